// ebpf_sustained_rate — can the eBPF source take N events/s without drops?
//
// Whole-process benchmark. Generator threads issue captured syscalls at a
// paced rate of N events/s for D seconds, while a reader thread drains the
// source exactly as the collector's reader does (next() in a loop). Reports
// the rate the generators actually reached, the rate delivered, and the
// drops the probe counted, per reason. The buffer is the default one
// (EbpfOptions, engine.ebpf.buf_size) unless given.
//
// The generated event is close(-1) by default: the cheapest syscall the
// probe captures (one record, res = -EBADF, fd = -1), so the generator can
// get as close to N as this machine allows; a syscall-bound generator is
// what limits the reachable rate on a small VM, and the report says so.
// `open` generates openat(/etc/hostname) + close pairs instead (two events
// each), which the default rules evaluate.
//
// With `-- KESTREL [ARGS...]` the events are taken not by a reader in this
// process but by the real collector, started as a child (with the default
// rules unless ARGS say otherwise; add -o engine.kind=ebpf --stats): what
// is measured is then the whole engine keeping up, and the drops are the
// collector's own (--stats: the probe's, the queue's, at exit).
//
// Needs root and a kernel with BTF.
// Usage: ebpf_sustained_rate [events/s = 1000000] [seconds = 10]
//                            [generator threads = 1] [buffer bytes per CPU, 0 = default]
//                            [close|open] [-- KESTREL [ARGS...]]
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "sources/abi/kestrel_event.h"

#include "bench/collector_process.h"
#include "ebpf/ebpf_source.h"

namespace {

using Clock = std::chrono::steady_clock;

// One unit of the workload: close(-1) (one event), or an open/close pair
// (two events).
struct Workload {
  bool open = false;
  int events_per_unit() const { return open ? 2 : 1; }
  void run_once() const {
    if (open) {
      long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
      syscall(SYS_close, fd);
    } else {
      syscall(SYS_close, -1);
    }
  }
};

// Issues the workload at `rate` events per second from `start` until `end`
// (wall clock): whenever it is behind the schedule it issues back to back,
// when ahead it sleeps 100 us. A generator that cannot keep up simply
// falls short, which the report shows. Returns the events issued.
uint64_t generate(const Workload& w, double rate, Clock::time_point start, Clock::time_point end) {
  std::this_thread::sleep_until(start);
  uint64_t issued = 0;
  const int per = w.events_per_unit();
  for (auto now = Clock::now(); now < end; now = Clock::now()) {
    const auto due = static_cast<uint64_t>(rate * std::chrono::duration<double>(now - start).count());
    if (issued >= due) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    for (uint64_t batch = std::min<uint64_t>((due - issued + per - 1) / per, 256); batch > 0; --batch, issued += per)
      w.run_once();
  }
  return issued;
}

// Runs `threads` generators at `rate` events/s in total for `seconds`;
// returns the events issued and the seconds it took.
std::pair<uint64_t, double> generate_all(const Workload& w, double rate, int seconds, int threads) {
  const auto start = Clock::now() + std::chrono::milliseconds(20);
  const auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> gens;
  std::atomic<uint64_t> generated{0};
  for (int i = 0; i < threads; ++i) gens.emplace_back([&] { generated += generate(w, rate / threads, start, end); });
  for (auto& g : gens) g.join();
  return {generated.load(), std::chrono::duration<double>(Clock::now() - start).count()};
}

// The in-process reader: the source opened here, drained as the
// collector's reader thread does. Returns 0 on success.
int run_reader(const Workload& w, double rate, int seconds, int threads, kestrel::EbpfOptions opt) {
  kestrel::EbpfSource source(opt);
  kestrel::EventTypeSet types;
  types.set(KE_CLOSE);
  if (w.open) types.set(KE_OPENAT);
  source.set_event_filter(types);
  if (auto s = source.open(); !s.ok()) {
    std::fprintf(stderr, "cannot open the eBPF source: %s\n", s.to_string().c_str());
    return 1;
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> delivered{0};
  std::thread reader([&] {
    kestrel::EventBatch batch;
    while (!stop) {
      if (!source.next(batch, std::chrono::milliseconds(10)).ok()) return;
      uint64_t n = 0;
      for (const auto& e : batch.events) {
        if (e.view.type() == KE_CLOSE && (w.open || e.view.param_int(KP_CLOSE_fd) == -1)) ++n;
        if (e.view.type() == KE_OPENAT) ++n;
      }
      delivered += n;
    }
  });

  std::printf("ebpf_sustained_rate: target %.0f events/s for %d s, %d generator thread(s), %zu-byte buffer per CPU\n",
              rate, seconds, threads, opt.buffer_bytes);
  auto [generated, secs] = generate_all(w, rate, seconds, threads);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the reader drain
  stop = true;
  reader.join();

  const auto stats = source.stats();
  std::printf("generated %.0f events/s (%.1f%% of target), delivered %.0f events/s\n", generated / secs,
              100.0 * generated / (rate * seconds), delivered / secs);
  std::printf("dropped %llu (", static_cast<unsigned long long>(stats.total_drops()));
  for (const auto& [reason, n] : stats.drops)
    std::printf(" %s=%llu", reason.c_str(), static_cast<unsigned long long>(n));
  std::printf(" ), lost fraction %.6f\n",
              generated ? static_cast<double>(stats.total_drops()) / static_cast<double>(generated) : 0.0);
  if (generated < rate * seconds * 0.99)
    std::printf("note: the generator could not reach the target rate on this machine (syscall-bound)\n");
  source.close();
  return 0;
}

// The sum of the "dropped N (reason)" counts on the collector's "Source
// ebpf:" summary line (probe, queue and at-exit drops alike).
uint64_t collector_drops(const std::string& line) {
  uint64_t total = 0;
  static const std::regex dropped("dropped ([0-9]+)");
  for (auto it = std::sregex_iterator(line.begin(), line.end(), dropped); it != std::sregex_iterator(); ++it)
    total += std::strtoull((*it)[1].str().c_str(), nullptr, 10);
  return total;
}

// The real collector takes the events (see the header). Returns 0 on success.
int run_collector(const Workload& w, double rate, int seconds, int threads, std::vector<std::string> argv) {
  char path[] = "/tmp/kestrel_sustained_stderr.XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) {
    std::perror("mkstemp");
    return 1;
  }
  ::close(fd);
  kestrel::bench::CollectorProcess collector;
  if (!collector.start(argv, path) || !collector.wait_capturing(std::chrono::seconds(120))) {
    std::fprintf(stderr, "the collector did not start capturing:\n%s\n", collector.stop().c_str());
    ::unlink(path);
    return 1;
  }
  std::printf("ebpf_sustained_rate: target %.0f events/s for %d s, %d generator thread(s), into %s", rate, seconds,
              threads, argv[0].c_str());
  for (size_t i = 1; i < argv.size(); ++i) std::printf(" %s", argv[i].c_str());
  std::printf("\n");
  auto [generated, secs] = generate_all(w, rate, seconds, threads);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the collector drain
  std::string err = collector.stop();
  ::unlink(path);

  std::smatch m;
  static const std::regex source_line("Source ebpf: ([0-9]+) events[^\n]*");
  static const std::regex processed("Events processed: ([0-9]+)");
  if (!std::regex_search(err, m, source_line)) {
    std::fprintf(stderr, "no 'Source ebpf:' line in the collector's summary (run it with --stats):\n%s\n",
                 err.c_str());
    return 1;
  }
  const std::string line = m[0].str();
  const uint64_t delivered = std::strtoull(m[1].str().c_str(), nullptr, 10);
  const uint64_t drops = collector_drops(line);
  uint64_t events_processed = 0;
  if (std::regex_search(err, m, processed)) events_processed = std::strtoull(m[1].str().c_str(), nullptr, 10);
  std::printf("generated %.0f events/s (%.1f%% of target); the collector read %.0f events/s, its engine processed "
              "%llu events\n",
              generated / secs, 100.0 * generated / (rate * seconds), delivered / secs,
              static_cast<unsigned long long>(events_processed));
  std::printf("dropped %llu, lost fraction %.6f\n  %s\n", static_cast<unsigned long long>(drops),
              generated ? static_cast<double>(drops) / static_cast<double>(generated) : 0.0, line.c_str());
  for (const char* key : {"kernel_filtered"}) {
    size_t at = 0;
    while ((at = err.find(key, at)) != std::string::npos) {
      size_t eol = err.find('\n', at);
      std::printf("  %s\n", err.substr(at, eol - at).c_str());
      at = eol;
    }
  }
  if (generated < rate * seconds * 0.99)
    std::printf("note: the generator could not reach the target rate on this machine (syscall-bound)\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int positional = argc;
  std::vector<std::string> collector;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--") == 0) {
      positional = i;
      for (int j = i + 1; j < argc; ++j) collector.emplace_back(argv[j]);
      break;
    }
  const double rate = positional > 1 ? std::strtod(argv[1], nullptr) : 1e6;
  const int seconds = positional > 2 ? std::atoi(argv[2]) : 10;
  const int threads = positional > 3 ? std::atoi(argv[3]) : 1;
  kestrel::EbpfOptions opt;
  opt.drop_own_events = false;  // the generators are this process
  if (positional > 4 && std::strtoull(argv[4], nullptr, 10) != 0) opt.buffer_bytes = std::strtoull(argv[4], nullptr, 10);
  Workload w;
  w.open = positional > 5 && std::strcmp(argv[5], "open") == 0;
  if (rate <= 0 || seconds <= 0 || threads <= 0 || (positional > 5 && !w.open && std::strcmp(argv[5], "close") != 0) ||
      (positional < argc && collector.empty())) {
    std::fprintf(stderr,
                 "usage: %s [events/s] [seconds] [generator threads] [buffer bytes, 0 = default] [close|open] "
                 "[-- KESTREL [ARGS...]]\n",
                 argv[0]);
    return 2;
  }

  // What the generators reach with nothing attached: the machine's ceiling.
  {
    auto [n, secs] = generate_all(w, 1e12, 1, threads);
    std::printf("ceiling without the probe: %.0f events/s (%s) with %d thread(s)\n", static_cast<double>(n) / secs,
                w.open ? "openat+close" : "close(-1)", threads);
  }
  return collector.empty() ? run_reader(w, rate, seconds, threads, opt) : run_collector(w, rate, seconds, threads, collector);
}
