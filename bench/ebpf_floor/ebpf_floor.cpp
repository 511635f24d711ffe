// ebpf_floor — what hooking a syscall costs on this kernel before any of
// Kestrel's code runs: the floor under bench/ebpf_syscall_overhead's
// numbers. Each program of floor.bpf.c is attached alone and getppid is
// timed with and without it (thread CPU time, paired rounds, medians), with
// a reader thread draining the ring buffer as the collector would.
//
// Needs root, BTF and x86-64 (the raw dispatcher reads orig_ax).
// Usage: ebpf_floor [iterations per measurement] [rounds]
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <bpf/libbpf.h>

#include "kestrel_floor.skel.h"

namespace {

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double getppid_ns(long iters) {
  double t0 = thread_cpu_ns();
  for (long i = 0; i < iters; ++i) syscall(SYS_getppid);
  return (thread_cpu_ns() - t0) / static_cast<double>(iters);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int discard(void*, void*, size_t) { return 0; }

}  // namespace

int main(int argc, char** argv) {
  long iters = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 200000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 9;
  kestrel_floor* skel = kestrel_floor__open();
  if (skel == nullptr) {
    std::perror("ebpf_floor: open");
    return 1;
  }
  skel->rodata->floor_nr = SYS_getppid;
  if (int err = kestrel_floor__load(skel); err != 0) {
    std::fprintf(stderr, "ebpf_floor: load failed (%d): needs root and kernel BTF\n", err);
    return 1;
  }
  ring_buffer* rb = ring_buffer__new(bpf_map__fd(skel->maps.floor_rb), discard, nullptr, nullptr);
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      ring_buffer__consume(rb);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });

  struct Variant {
    const char* what;
    bpf_program* prog;
  } variants[] = {
      {"syscall tracepoint, empty program", skel->progs.tp_empty},
      {"  + bpf_ktime_get_boot_ns", skel->progs.tp_ktime},
      {"  + 64-byte bpf_ringbuf_output", skel->progs.tp_output64},
      {"  64-byte reserve+submit instead", skel->progs.tp_reserve64},
      {"tp_btf/sys_exit, empty program", skel->progs.raw_empty},
      {"tp_btf/sys_exit dispatch + 64-byte record", skel->progs.raw_reserve64},
  };
  std::printf("ebpf_floor: getppid, %ld calls per measurement, median of %d paired rounds, thread CPU time\n", iters,
              rounds);
  for (const Variant& v : variants) {
    std::vector<double> off, on, added;
    for (int r = 0; r < rounds; ++r) {
      double a = getppid_ns(iters);
      bpf_link* link = bpf_program__attach(v.prog);
      if (link == nullptr) {
        std::fprintf(stderr, "ebpf_floor: cannot attach %s\n", v.what);
        return 1;
      }
      double b = getppid_ns(iters);
      bpf_link__destroy(link);
      off.push_back(a);
      on.push_back(b);
      added.push_back(b - a);
    }
    std::printf("%-44s %7.1f -> %7.1f ns   added %6.1f ns\n", v.what, median(off), median(on), median(added));
  }
  stop = true;
  reader.join();
  ring_buffer__free(rb);
  kestrel_floor__destroy(skel);
  return 0;
}
