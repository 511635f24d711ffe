// ebpf_sustained_rate — can the eBPF source take N events/s without drops?
//
// Whole-process benchmark. Generator threads issue captured syscalls at a
// paced rate of N events/s for D seconds, while a reader thread drains the
// source exactly as the collector's reader does (next() in a loop). Reports
// the rate the generators actually reached, the rate delivered, and the
// drops the probe counted, per reason. The buffer is the default one
// (EbpfOptions, engine.ebpf.buf_size) unless given.
//
// The generated event is close(-1): the cheapest syscall the probe
// captures (one record, res = -EBADF, fd = -1), so the generator can get
// as close to N as this machine allows; a syscall-bound generator is what
// limits the reachable rate on a small VM, and the report says so.
//
// Needs root and a kernel with BTF.
// Usage: ebpf_sustained_rate [events/s = 1000000] [seconds = 10]
//                            [generator threads = 1] [buffer bytes per CPU]
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "sources/abi/kestrel_event.h"

#include "ebpf/ebpf_source.h"

namespace {

using Clock = std::chrono::steady_clock;

// Issues close(-1) calls at `rate` per second from `start` until `end`
// (wall clock): whenever it is behind the schedule it issues back to back,
// when ahead it sleeps 100 us. A generator that cannot keep up simply
// falls short, which the report shows. Returns the calls issued.
uint64_t generate(double rate, Clock::time_point start, Clock::time_point end) {
  std::this_thread::sleep_until(start);
  uint64_t issued = 0;
  for (auto now = Clock::now(); now < end; now = Clock::now()) {
    const auto due = static_cast<uint64_t>(rate * std::chrono::duration<double>(now - start).count());
    if (issued >= due) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    for (uint64_t batch = std::min<uint64_t>(due - issued, 256); batch > 0; --batch, ++issued)
      syscall(SYS_close, -1);
  }
  return issued;
}

}  // namespace

int main(int argc, char** argv) {
  const double rate = argc > 1 ? std::strtod(argv[1], nullptr) : 1e6;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  kestrel::EbpfOptions opt;
  opt.drop_own_events = false;  // the generators are this process
  if (argc > 4) opt.buffer_bytes = std::strtoull(argv[4], nullptr, 10);
  if (rate <= 0 || seconds <= 0 || threads <= 0) {
    std::fprintf(stderr, "usage: %s [events/s] [seconds] [generator threads] [buffer bytes]\n", argv[0]);
    return 2;
  }

  // What the generators reach with nothing attached: the machine's ceiling.
  {
    const auto t0 = Clock::now() + std::chrono::milliseconds(5);
    std::vector<std::thread> gens;
    std::atomic<uint64_t> n{0};
    for (int i = 0; i < threads; ++i)
      gens.emplace_back([&] { n += generate(1e12, t0, t0 + std::chrono::seconds(1)); });
    for (auto& g : gens) g.join();
    std::printf("ceiling without the probe: %.0f close(-1)/s with %d thread(s)\n", static_cast<double>(n.load()),
                threads);
  }

  kestrel::EbpfSource source(opt);
  kestrel::EventTypeSet close_only;
  close_only.set(KE_CLOSE);
  source.set_event_filter(close_only);
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
      for (const auto& e : batch.events)
        if (e.view.type() == KE_CLOSE && e.view.param_int(KP_CLOSE_fd) == -1) ++n;
      delivered += n;
    }
  });

  std::printf("ebpf_sustained_rate: target %.0f events/s for %d s, %d generator thread(s), %zu-byte buffer per CPU\n",
              rate, seconds, threads, opt.buffer_bytes);
  const auto start = Clock::now() + std::chrono::milliseconds(20);
  const auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> gens;
  std::atomic<uint64_t> generated{0};
  for (int i = 0; i < threads; ++i)
    gens.emplace_back([&] { generated += generate(rate / threads, start, end); });
  for (auto& g : gens) g.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
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
