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

#include <bpf/bpf.h>
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

// The kernel's run-time accounting of one program: {runs, ns}.
std::pair<uint64_t, uint64_t> prog_run_time(const bpf_program* prog) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) return {0, 0};
  return {info.run_cnt, info.run_time_ns};
}

// Nothing, the floor record, Kestrel's records: each round times the
// open/close loop with nothing attached, then the floor and Kestrel (in
// alternating order), then nothing again; the added costs are taken against
// the mean of the two bare runs, which cancels a drift within the round.
// Reports the medians of the added cost per syscall and of its ratio to
// the floor's, then both sides' in-kernel run time per record (the
// kernel's accounting, on a separate loop). False if the floor cannot be
// loaded or attached.
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
  bool ok = true;
  auto floor_on = [&] {
    bpf_link* l1 = bpf_program__attach(skel->progs.floor_openat);
    bpf_link* l2 = bpf_program__attach(skel->progs.floor_close);
    ok = ok && l1 != nullptr && l2 != nullptr;
    double t = ns_per_iter(iters, open_close);
    bpf_link__destroy(l1);
    bpf_link__destroy(l2);
    return t;
  };
  auto kestrel_on = [&] {
    source.set_event_filter(types({KE_OPENAT, KE_CLOSE}));
    double t = ns_per_iter(iters, open_close);
    source.set_event_filter(kestrel::EventTypeSet());
    return t;
  };
  std::vector<double> off, f_on, k_on, f_added, k_added, ratio;
  {
    Reader reader(source);
    source.set_event_filter(kestrel::EventTypeSet());
    for (int r = 0; r < rounds && ok; ++r) {
      double a = ns_per_iter(iters, open_close);
      double f = 0, k = 0;
      if (r % 2 == 0) {
        f = floor_on();
        k = kestrel_on();
      } else {
        k = kestrel_on();
        f = floor_on();
      }
      double bare = (a + ns_per_iter(iters, open_close)) / 2;
      off.push_back(bare);
      f_on.push_back(f);
      k_on.push_back(k);
      f_added.push_back((f - bare) / 2);
      k_added.push_back((k - bare) / 2);
      ratio.push_back((k - bare) / (f - bare));
    }
  }
  if (ok) {
    std::printf("floor vs Kestrel       openat+close %7.1f ns/pair; floor record %7.1f, Kestrel %7.1f ns/pair\n",
                median(off), median(f_on), median(k_on));
    std::printf("                       added per openat/close: floor %6.1f ns, Kestrel %6.1f ns, ratio %.2f "
                "(medians of %d rounds)\n",
                median(f_added), median(k_added), median(ratio), rounds);
  }
  // In-kernel run time of each side's programs (the accounting adds two
  // clock reads to every run, the same on both sides).
  if (auto stats_fd = kestrel::ebpf::Probe::enable_run_time_stats(); ok && stats_fd.ok()) {
    Reader reader(source);
    bpf_link* l1 = bpf_program__attach(skel->progs.floor_openat);
    bpf_link* l2 = bpf_program__attach(skel->progs.floor_close);
    auto fo0 = prog_run_time(skel->progs.floor_openat), fc0 = prog_run_time(skel->progs.floor_close);
    ns_per_iter(iters, open_close);
    auto fo1 = prog_run_time(skel->progs.floor_openat), fc1 = prog_run_time(skel->progs.floor_close);
    bpf_link__destroy(l1);
    bpf_link__destroy(l2);
    source.set_event_filter(types({KE_OPENAT, KE_CLOSE}));
    auto before = source.program_costs();
    ns_per_iter(iters, open_close);
    auto after = source.program_costs();
    source.set_event_filter(kestrel::EventTypeSet());
    auto per = [](std::pair<uint64_t, uint64_t> a, std::pair<uint64_t, uint64_t> b) {
      return b.first > a.first ? static_cast<double>(b.second - a.second) / static_cast<double>(b.first - a.first)
                               : 0.0;
    };
    double k_open = 0, k_close = 0;
    for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
      double v = per({before[i].runs, before[i].run_time_ns}, {after[i].runs, after[i].run_time_ns});
      if (after[i].program == "ke_openat") k_open = v;
      if (after[i].program == "ke_close") k_close = v;
    }
    std::printf("                       in-kernel run time openat / close: floor %5.1f / %5.1f ns, Kestrel %5.1f / "
                "%5.1f ns\n",
                per(fo0, fo1), per(fc0, fc1), k_open, k_close);
    ::close(*stats_fd);
  }
  stop = true;
  floor_reader.join();
  ring_buffer__free(rb);
  kestrel_floor__destroy(skel);
  if (!ok) std::fprintf(stderr, "ebpf_syscall_overhead: cannot attach the floor programs\n");
  return ok;
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
