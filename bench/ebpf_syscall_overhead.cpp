// ebpf_syscall_overhead — what the eBPF source adds to a syscall.
//
// Whole-process benchmark (the probe is process-wide, so Google Benchmark's
// per-function fixtures would not isolate anything). It times loops of real
// syscalls in thread CPU time (a shared box's preemption is not counted;
// the BPF programs run in the calling thread, so they are):
//   captured:   openat(/etc/hostname) + close, both hooked (ns per syscall)
//   uncaptured: getppid (never hooked), and openat+close while only mkdir
//               is hooked: they pay just the syscall-tracepoint slow path
// in paired rounds without / with the programs attached (set_event_filter
// detaches everything for "without"), with a reader thread draining the
// buffers as the collector would, and reports medians. Then the kernel's
// own run-time accounting of each program. The sustained rate is measured by
// bench/ebpf_sustained_rate, the hook's own floor by bench/ebpf_floor.
//
// First, in the same run: the floor record (bench/ebpf_floor's 64-byte
// timestamped reserve+submit, on the exits of openat and close) against
// Kestrel's open/close records on the same loop, each round timing nothing
// attached, the floor, and Kestrel in turn: the added cost per captured
// syscall and its ratio to the floor.
//
// Needs root and a kernel with BTF.
// Usage: ebpf_syscall_overhead [iterations per measurement] [rounds]
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <bpf/libbpf.h>

#include "kestrel_floor.skel.h"
#include "sources/event/event_table.h"

#include "bench/source_reader.h"
#include "ebpf/ebpf_source.h"
#include "ebpf/probe.h"

namespace {

// Thread CPU time, not wall time: the box is shared (builds, other tests),
// and a syscall's own cost - including the BPF program, which runs in the
// calling thread - is all system time of this thread, while preemption by
// other processes is not.
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double ns_per_iter(size_t iters, void (*body)()) {
  double t0 = thread_cpu_ns();
  for (size_t i = 0; i < iters; ++i) body();
  return (thread_cpu_ns() - t0) / static_cast<double>(iters);
}

void open_close() {
  int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY));
  if (fd >= 0) syscall(SYS_close, fd);
}

void getppid_once() { syscall(SYS_getppid); }

using Reader = kestrel::bench::SourceReader;

kestrel::EventTypeSet types(std::initializer_list<uint16_t> ts) {
  kestrel::EventTypeSet s;
  for (uint16_t t : ts) s.set(t);
  return s;
}

}  // namespace

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Alternates rounds without and with `types` attached (detaching leaves no
// syscall tracepoint at all, so "without" is the true baseline) and reports
// the medians and the median per-round difference: on a shared, noisy box
// the pairing cancels slow drifts that separate phases would not.
void ab_rounds(kestrel::EbpfSource& source, const kestrel::EventTypeSet& types, const char* label, size_t iters,
               int rounds) {
  std::vector<double> oc_off, oc_on, gp_off, gp_on, d_oc, d_gp;
  Reader reader(source);
  for (int r = 0; r < rounds; ++r) {
    source.set_event_filter(kestrel::EventTypeSet());
    double a_oc = ns_per_iter(iters, open_close), a_gp = ns_per_iter(iters * 4, getppid_once);
    source.set_event_filter(types);
    double b_oc = ns_per_iter(iters, open_close), b_gp = ns_per_iter(iters * 4, getppid_once);
    oc_off.push_back(a_oc);
    oc_on.push_back(b_oc);
    gp_off.push_back(a_gp);
    gp_on.push_back(b_gp);
    d_oc.push_back((b_oc - a_oc) / 2);
    d_gp.push_back(b_gp - a_gp);
  }
  std::printf("%-22s openat+close %7.1f -> %7.1f ns/pair   getppid %6.1f -> %6.1f ns\n", label, median(oc_off),
              median(oc_on), median(gp_off), median(gp_on));
  std::printf("%-22s added per openat/close %6.1f ns   added per getppid %6.1f ns   (median of %d paired rounds)\n",
              "", median(d_oc), median(d_gp), rounds);
}

// Nothing, the floor record, Kestrel's records: per round, each timed on the
// open/close loop; the medians of the added cost per syscall and of its
// ratio to the floor's. Returns false if the floor cannot be loaded.
bool floor_rounds(kestrel::EbpfSource& source, size_t iters, int rounds) {
  kestrel_floor* skel = kestrel_floor__open_and_load();
  if (skel == nullptr) {
    std::fprintf(stderr, "ebpf_syscall_overhead: cannot load the floor programs\n");
    return false;
  }
  ring_buffer* rb = ring_buffer__new(
      bpf_map__fd(skel->maps.floor_rb), [](void*, void*, size_t) { return 0; }, nullptr, nullptr);
  std::atomic<bool> stop{false};
  std::thread floor_reader([&] {
    while (!stop) {
      ring_buffer__consume(rb);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::vector<double> off, floor_on, kestrel_on, floor_added, kestrel_added, ratio;
  bool ok = true;
  {
    Reader reader(source);
    for (int r = 0; r < rounds && ok; ++r) {
      source.set_event_filter(kestrel::EventTypeSet());
      double a = ns_per_iter(iters, open_close);
      bpf_link* l1 = bpf_program__attach(skel->progs.floor_openat);
      bpf_link* l2 = bpf_program__attach(skel->progs.floor_close);
      ok = l1 != nullptr && l2 != nullptr;
      double f = ns_per_iter(iters, open_close);
      bpf_link__destroy(l1);
      bpf_link__destroy(l2);
      source.set_event_filter(types({KE_OPENAT, KE_CLOSE}));
      double k = ns_per_iter(iters, open_close);
      source.set_event_filter(kestrel::EventTypeSet());
      off.push_back(a);
      floor_on.push_back(f);
      kestrel_on.push_back(k);
      floor_added.push_back((f - a) / 2);
      kestrel_added.push_back((k - a) / 2);
      ratio.push_back((k - a) / (f - a));
    }
  }
  stop = true;
  floor_reader.join();
  ring_buffer__free(rb);
  kestrel_floor__destroy(skel);
  if (!ok) {
    std::fprintf(stderr, "ebpf_syscall_overhead: cannot attach the floor programs\n");
    return false;
  }
  std::printf("floor vs Kestrel       openat+close %7.1f ns/pair; floor record %7.1f, Kestrel %7.1f ns/pair\n",
              median(off), median(floor_on), median(kestrel_on));
  std::printf("                       added per openat/close: floor %6.1f ns, Kestrel %6.1f ns, ratio %.2f "
              "(median of %d rounds)\n",
              median(floor_added), median(kestrel_added), median(ratio), rounds);
  return true;
}

int main(int argc, char** argv) {
  size_t iters = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 9;
  std::printf("ebpf_syscall_overhead: %zu iterations per measurement, thread CPU time\n", iters);

  kestrel::EbpfOptions opt;
  opt.drop_own_events = false;  // we are the workload
  opt.buffer_bytes = 8u << 20;
  kestrel::EbpfSource source(opt);
  source.set_event_filter(kestrel::EventTypeSet());
  if (auto s = source.open(); !s.ok()) {
    std::fprintf(stderr, "cannot open the eBPF source: %s\n", s.to_string().c_str());
    return 1;
  }
  if (!floor_rounds(source, iters, rounds)) return 1;
  // Captured: openat and close hooked, every call emits a record.
  ab_rounds(source, types({KE_OPENAT, KE_CLOSE}), "capturing open/close", iters, rounds);
  // Uncaptured: only mkdir hooked; openat/close/getppid pay only the
  // syscall tracepoint slow path.
  ab_rounds(source, types({KE_MKDIR}), "only mkdir attached", iters, rounds);
  // The default set (everything but I/O): what a deployment pays.
  kestrel::EventTypeSet defaults;
  for (const auto& e : kestrel::all_events())
    if (!(e.flags & KEF_IO)) defaults.set(e.type);
  ab_rounds(source, defaults, "default set attached", iters, rounds);

  // The kernel's own accounting of the programs' run time: the part of the
  // added cost spent in our BPF code.
  if (auto stats_fd = kestrel::ebpf::Probe::enable_run_time_stats(); stats_fd.ok()) {
    source.set_event_filter(types({KE_OPENAT, KE_CLOSE, KE_EXECVE, KE_CLONE, KE_PROCEXIT}));
    auto before = source.program_costs();
    {
      Reader reader(source);
      ns_per_iter(iters, open_close);
    }
    auto after = source.program_costs();
    for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
      uint64_t runs = after[i].runs - before[i].runs;
      if (runs == 0) continue;
      std::printf("in-kernel run time of %-14s %7.1f ns per run (%llu runs)\n", after[i].program.c_str(),
                  static_cast<double>(after[i].run_time_ns - before[i].run_time_ns) / static_cast<double>(runs),
                  static_cast<unsigned long long>(runs));
    }
    ::close(*stats_fd);
  }
  auto st = source.stats();
  std::printf("drops during the cost phases: %llu\n", static_cast<unsigned long long>(st.total_drops()));
  source.close();
  return 0;
}
