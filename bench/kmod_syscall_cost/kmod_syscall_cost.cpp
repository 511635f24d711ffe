// kmod_syscall_cost — what a captured syscall costs under the kernel module
// vs under the eBPF probe, measured in one VM run on the same kernel
// (Debian's 6.1 in qemu under TCG, scripts/vm/): the module built for it
// (kestrel-driverkit build), the real collector with the embedded config,
// and syscall_loop timing close(-1), openat(missing) and getppid with no
// capture, with engine.kind=kmod and with engine.kind=ebpf (scenario.sh).
//
// Prints ns per syscall (thread CPU time: the hook runs in the calling
// thread; wall time also counts the collector sharing the VM's one CPU)
// and what each source adds over no capture. TCG emulates the CPU, so the
// numbers are slow in absolute terms; compare them with each other.
// Needs root, qemu and apt (as the VM tests). Exit 1 when the VM run fails.
// KESTREL_BENCH_KO=PATH measures that kestrel.ko (another branch's build)
// instead of building this tree's.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>

#include "bench/bench_module.h"
#include "tests/vm/vm_run.h"

using namespace kestrel::testing;

int main() {
  std::string log;
  double build_s = 0;
  const std::string ko = bench_kestrel_module("kmod_syscall_cost", log, build_s);
  if (ko.empty()) return 1;
  VmOptions options;
  options.scenario = std::string(KESTREL_SOURCE_DIR) + "/bench/kmod_syscall_cost/scenario.sh";
  options.binaries = {KESTREL_BINARY, SYSCALL_LOOP_BINARY};
  options.files = {{ko, "/kestrel.ko"}};
  options.timeout_s = 600;
  options.work_dir = VM_WORK_DIR;
  VmRun run = run_vm(options);
  if (run.exit_code != 0 || !console_marker(run.console, "RMMOD 0 ")) {
    std::fprintf(stderr, "kmod_syscall_cost: the VM run failed (exit %d):\n%s\n%s\n", run.exit_code,
                 tail(run.harness).c_str(), tail(run.console).c_str());
    return 1;
  }
  if (auto splats = kernel_splats(run.console); !splats.empty()) {
    std::fprintf(stderr, "kmod_syscall_cost: the kernel complained:\n%s\n", splats.front().c_str());
    return 1;
  }
  // mode -> syscall -> {cpu, wall}
  std::map<std::string, std::map<std::string, std::pair<double, double>>> ns;
  static const std::regex kLoop("LOOP (\\S+) (\\S+) cpu_ns=([0-9.]+) wall_ns=([0-9.]+)");
  std::smatch m;
  std::string console = run.console;
  for (auto it = std::sregex_iterator(console.begin(), console.end(), kLoop); it != std::sregex_iterator(); ++it)
    ns[(*it)[1]][(*it)[2]] = {std::stod((*it)[3]), std::stod((*it)[4])};
  for (const char* mode : {"none", "kmod", "ebpf"})
    if (ns[mode].size() != 3) {
      std::fprintf(stderr, "kmod_syscall_cost: no results for %s:\n%s\n", mode, tail(run.console).c_str());
      return 1;
    }
  std::printf("captured-syscall cost, ns per call (qemu TCG, %s; thread CPU time / wall time)\nmodule: %s\n",
              console_marker(run.console, "READY").value_or("?").c_str(), ko.c_str());
  std::printf("%-8s %16s %16s %16s %14s %14s\n", "syscall", "none", "kmod", "ebpf", "kmod adds", "ebpf adds");
  for (const char* sc : {"close", "openat", "getppid"}) {
    auto none = ns["none"][sc], kmod = ns["kmod"][sc], ebpf = ns["ebpf"][sc];
    std::printf("%-8s %7.0f / %6.0f %7.0f / %6.0f %7.0f / %6.0f %14.0f %14.0f\n", sc, none.first, none.second,
                kmod.first, kmod.second, ebpf.first, ebpf.second, kmod.first - none.first,
                ebpf.first - none.first);
  }
  std::printf("(module build %.1fs, VM host wall %.1fs)\n", build_s, run.wall_s);
  return 0;
}
