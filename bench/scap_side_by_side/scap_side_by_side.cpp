// scap_side_by_side — Kestrel's kernel module and eBPF probe side by side
// with Falco's own kernel driver of the seed era (scap.ko from Debian's
// falcosecurity-scap-dkms, the falcosecurity libs driver of 2022, read by
// Debian's sysdig), in one boot of Debian's 6.1 kernel under qemu TCG
// (scripts/vm/). One workload (open_read_close: openat + read + close of
// one file, 20,000 rounds) runs these ways, taking turns for 9 rounds, each
// round starting one way further along (scenario.sh): no probe; scap.ko
// with `sysdig -w /dev/null` consuming (no filter: every event kept);
// Kestrel's module and Kestrel's probe with a consumer doing sysdig's job
// (-A: every event type; an empty rules file; every event recorded with
// `-w /dev/null`), and the same two as a detector (-A with the embedded
// rules evaluated on everything). The VM has one CPU: the consumer's work
// is part of the workload's wall time, so "equal consumer" is the
// like-for-like comparison of the drivers, "with rules" what Kestrel costs
// doing its job.
//
// Prints, per way, the workload's median wall time and its ratio to no
// probe in the same round (the slowdown: median, quartiles, min-max), the
// median ratio to scap.ko's run in the same round and in how many rounds
// the way was faster than scap.ko, the workload thread's CPU, the guest's
// busy CPU over the run (workload, consumer, kernel), the consumer's CPU,
// and the events the consumer processed, lost and left unread at exit.
// scap.ko writes an enter and an exit event per syscall, Kestrel one
// record per syscall: "per syscall" puts the counts side by side. TCG
// emulates the CPU: compare the ratios, not the absolute times.
//
// Both modules are built for the VM's kernel here: kestrel.ko by
// kestrel-driverkit, scap.ko by build-scap-module.sh with the headers tree
// driverkit prepared (apt-get download, no install). Needs root, qemu, apt
// and sysdig (scripts/install-deps.sh). Exit 1 when a build or the VM run
// fails or a way produced no result; a missed target is reported, not an
// error. KESTREL_BENCH_KO=PATH measures that kestrel.ko instead.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "bench/bench_module.h"
#include "tests/support/run_command.h"
#include "tests/vm/vm_run.h"

using namespace kestrel::testing;

namespace {

struct WayResult {
  std::vector<double> wall_ns, cpu_ns;  // one per round, in round order
  std::vector<double> busy_s;           // guest non-idle CPU a run (+ the drain second)
  long syscalls = 0;                    // workload syscalls per run
  double consumer_s = 0;                // consumer CPU over its runs
  // Summed over rounds: events the consumer processed, events lost on the
  // way (the driver's drops; Kestrel's queue_full too), events that reached
  // userspace or the ring but were still unprocessed when the consumer
  // was stopped (not a loss under load: the capture ended).
  long processed = 0, dropped = 0, left_at_exit = 0;
  int reports = 0;                      // consumer exit reports read
};

// The q-quantile of v (linear between the two nearest ranks).
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}
double median(const std::vector<double>& v) { return quantile(v, 0.5); }

// Per round, the way's time over no probe's in the same round.
std::vector<double> ratios(const std::vector<double>& way, const std::vector<double>& none) {
  std::vector<double> out;
  for (size_t i = 0; i < way.size() && i < none.size(); ++i) out.push_back(way[i] / none[i]);
  return out;
}

std::string section_text(const std::string& console, const std::string& name) {
  std::string text;
  if (auto lines = console_section(console, name))
    for (const auto& l : *lines) text += l + "\n";
  return text;
}

std::optional<long> number_after(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return std::nullopt;
  return std::stol(m[1]);
}

// sysdig -v at exit: "Driver Events:N", "Driver Drops:N", "... Captured Events: N, ...".
void read_sysdig_report(const std::string& err, WayResult& way) {
  auto produced = number_after(err, "Driver Events:([0-9]+)");
  auto dropped = number_after(err, "Driver Drops:([0-9]+)");
  auto delivered = number_after(err, "Captured Events: ([0-9]+)");
  if (!produced || !dropped || !delivered) return;
  way.processed += *delivered;
  way.dropped += *dropped;
  way.left_at_exit += *produced - *dropped - *delivered;
  ++way.reports;
}

// Kestrel's exit summary: "Source kmod: 60148 events, dropped 12
// (buffer_full: by cpu 0=12), dropped 2 (dropped_at_exit)". Its events
// count what left the ring: processed + queue_full + dropped_at_exit
// (sources/multiplexer.h); the kernel's drops come on top.
void read_kestrel_summary(const std::string& err, WayResult& way) {
  static const std::regex kSource("Source \\S+: ([0-9]+) events([^\n]*)");
  static const std::regex kDropped("dropped ([0-9]+) \\((\\w+)");
  std::smatch m;
  if (!std::regex_search(err, m, kSource)) return;
  long processed = std::stol(m[1]);
  const std::string rest = m[2];
  for (auto it = std::sregex_iterator(rest.begin(), rest.end(), kDropped); it != std::sregex_iterator(); ++it) {
    const long n = std::stol((*it)[1]);
    if ((*it)[2] == "dropped_at_exit") {
      way.left_at_exit += n;
      processed -= n;
    } else {
      way.dropped += n;
      if ((*it)[2] == "queue_full") processed -= n;
    }
  }
  way.processed += processed;
  ++way.reports;
}

// The headers tree kestrel-driverkit unpacked for `release` (its debian
// target's cache layout: <cache>/debian/<release>-<arch>/tree/usr/src/linux-headers-<release>).
std::string driverkit_headers_dir(const std::string& release) {
  return std::string(DRIVERKIT_CACHE_DIR) + "/debian/" + release + "-amd64/tree/usr/src/linux-headers-" + release;
}

}  // namespace

int main() {
  std::string log;
  double build_s = 0;
  const std::string ko = bench_kestrel_module("scap_side_by_side", log, build_s);
  if (ko.empty()) return 1;
  const std::string release = vm_kernel_release(log);
  if (release.empty()) {
    std::fprintf(stderr, "scap_side_by_side: no VM kernel:\n%s\n", tail(log).c_str());
    return 1;
  }
  // (driverkit prepared the tree when it built kestrel.ko; with
  // KESTREL_BENCH_KO it may not have, and the script says so)
  auto [scap_code, scap_out] =
      run_command(std::string(KESTREL_SOURCE_DIR) + "/bench/scap_side_by_side/build-scap-module.sh --kernel-dir '" +
                  driverkit_headers_dir(release) + "' --out '" + SCAP_OUT_DIR + "' 2>&1");
  std::string scap_ko = scap_out.substr(scap_out.find_last_of('\n', scap_out.size() - 2) + 1);
  while (!scap_ko.empty() && scap_ko.back() == '\n') scap_ko.pop_back();
  if (scap_code != 0 || scap_ko.empty()) {
    std::fprintf(stderr, "scap_side_by_side: building scap.ko failed:\n%s\n", tail(scap_out).c_str());
    return 1;
  }
  auto [which_code, sysdig] = run_command("command -v sysdig");
  while (!sysdig.empty() && sysdig.back() == '\n') sysdig.pop_back();
  if (which_code != 0 || sysdig.empty()) {
    std::fprintf(stderr, "scap_side_by_side: sysdig is not installed (scripts/install-deps.sh)\n");
    return 1;
  }

  VmOptions options;
  options.scenario = std::string(KESTREL_SOURCE_DIR) + "/bench/scap_side_by_side/scenario.sh";
  options.binaries = {KESTREL_BINARY, WORKLOAD_BINARY, sysdig};
  options.files = {{ko, "/kestrel.ko"}, {scap_ko, "/scap.ko"}};
  options.timeout_s = 1800;  // 9 rounds of six ways under TCG
  options.work_dir = VM_WORK_DIR;
  VmRun run = run_vm(options);
  if (run.exit_code != 0 || !console_marker(run.console, "DONE")) {
    std::fprintf(stderr, "scap_side_by_side: the VM run failed:\n%s\n", vm_failure_context(run, options).c_str());
    return 1;
  }
  if (auto splats = kernel_splats(run.console); !splats.empty()) {
    std::fprintf(stderr, "scap_side_by_side: the kernel complained:\n%s\n", splats.front().c_str());
    return 1;
  }

  std::map<std::string, WayResult> ways;
  static const std::regex kWorkload("WORKLOAD (\\S+) rounds=[0-9]+ syscalls=([0-9]+) cpu_ns=([0-9.]+) wall_ns=([0-9.]+)");
  const std::string& console = run.console;
  for (auto it = std::sregex_iterator(console.begin(), console.end(), kWorkload); it != std::sregex_iterator(); ++it) {
    if ((*it)[1] == "warmup") continue;
    WayResult& way = ways[(*it)[1]];
    way.syscalls = std::stol((*it)[2]);
    way.cpu_ns.push_back(std::stod((*it)[3]));
    way.wall_ns.push_back(std::stod((*it)[4]));
  }
  static const std::regex kCpu("KESTREL-VM: CPU (\\S+) [0-9]+ busy_ticks=([0-9]+) consumer_ticks=([0-9]+)");
  for (auto it = std::sregex_iterator(console.begin(), console.end(), kCpu); it != std::sregex_iterator(); ++it) {
    WayResult& way = ways[(*it)[1]];
    way.busy_s.push_back(std::stod((*it)[2]) / 100.0);  // USER_HZ
    way.consumer_s += std::stod((*it)[3]) / 100.0;
  }
  static const char* const kOrder[] = {"none", "scap", "kmod-dump", "ebpf-dump", "kmod", "ebpf"};
  static const std::map<std::string, std::string> kLabel = {{"none", "no probe"},
                                                            {"scap", "scap.ko + sysdig -w"},
                                                            {"kmod-dump", "kestrel.ko, equal cons."},
                                                            {"ebpf-dump", "eBPF probe, equal cons."},
                                                            {"kmod", "kestrel.ko, -A + rules"},
                                                            {"ebpf", "eBPF probe, -A + rules"}};
  const size_t rounds = ways["none"].wall_ns.size();
  for (size_t r = 1; r <= rounds; ++r) {
    read_sysdig_report(section_text(console, "scap." + std::to_string(r)), ways["scap"]);
    for (const char* kind : kOrder)
      if (std::string(kind) != "none" && std::string(kind) != "scap")
        read_kestrel_summary(section_text(console, std::string(kind) + "." + std::to_string(r)), ways[kind]);
  }

  for (const char* mode : kOrder) {
    const WayResult& way = ways[mode];
    const bool consumer = std::string(mode) != "none";
    if (rounds == 0 || way.wall_ns.size() != rounds || way.busy_s.size() != rounds ||
        (consumer && way.reports != static_cast<int>(rounds))) {
      std::fprintf(stderr, "scap_side_by_side: %s has %zu of %zu runs and %d of %zu consumer reports:\n%s\n", mode,
                   way.wall_ns.size(), rounds, way.reports, rounds, vm_failure_context(run, options).c_str());
      return 1;
    }
  }
  const WayResult& none = ways["none"];
  const WayResult& scap = ways["scap"];
  std::printf("Kestrel vs Falco's scap.ko, one VM boot (qemu TCG, 1 CPU, %s)\n",
              console_marker(console, "READY").value_or("?").c_str());
  std::printf("workload: open_read_close, %ld syscalls a run (openat+read+close); %zu rounds, the ways taking turns,\n"
              "each round starting one way further along; slowdown: the run's wall time / no probe's in that round\n"
              "(median, p25-p75, min-max over rounds); vs scap: / scap.ko's in that round (median; rounds faster)\n",
              none.syscalls, rounds);
  std::printf("kestrel.ko: %s\nscap.ko: %s\nguest clocksource: %s\n", ko.c_str(), scap_ko.c_str(),
              console_marker(console, "CLOCKSOURCE").value_or("?").c_str());
  std::printf("%-24s %7s %8s %11s %11s %6s %6s %7s %7s %8s %8s %10s %6s %7s %7s\n", "way", "wall ms", "slowdown",
              "(p25-p75)", "(min-max)", "vs scap", "faster", "wl cpu", "guest s", "(ratio)", "cons s", "processed",
              "per sc", "dropped", "at exit");
  std::map<std::string, double> slowdown, vs_scap;
  std::map<std::string, int> faster;
  for (const char* mode : kOrder) {
    const WayResult& way = ways[mode];
    const std::vector<double> wall = ratios(way.wall_ns, none.wall_ns), paired = ratios(way.wall_ns, scap.wall_ns);
    slowdown[mode] = median(wall);
    vs_scap[mode] = median(paired);
    faster[mode] = static_cast<int>(std::count_if(paired.begin(), paired.end(), [](double x) { return x < 1; }));
    std::printf("%-24s %7.1f %7.2fx %5.2f-%4.2fx %5.2f-%4.2fx %6.2fx %3d/%-2zu %6.2fx %7.2f %7.2fx",
                kLabel.at(mode).c_str(), median(way.wall_ns) / 1e6, slowdown[mode], quantile(wall, 0.25),
                quantile(wall, 0.75), *std::min_element(wall.begin(), wall.end()),
                *std::max_element(wall.begin(), wall.end()), vs_scap[mode], faster[mode], rounds,
                median(ratios(way.cpu_ns, none.cpu_ns)), median(way.busy_s), median(ratios(way.busy_s, none.busy_s)));
    if (std::string(mode) == "none") {
      std::printf("\n");
      continue;
    }
    // cons s: consumer CPU a run; per sc: events processed per workload
    // syscall (the consumer also gets the events of everything else that runs)
    const double runs = static_cast<double>(rounds), workload_syscalls = static_cast<double>(way.syscalls) * runs;
    std::printf(" %8.2f %10ld %6.2f %7ld %7ld\n", way.consumer_s / runs, way.processed,
                static_cast<double>(way.processed) / workload_syscalls, way.dropped, way.left_at_exit);
  }
  std::printf("wl cpu: the workload thread's CPU / no probe's (the hooks run in its syscalls); guest s: the guest's\n"
              "busy CPU over the run and the drain second after it (median), ratio / no probe's; cons s: the\n"
              "consumer's CPU a run (mean). Events summed over the rounds; scap.ko writes an enter and an exit event\n"
              "a syscall, Kestrel one record; at exit: in the ring or queue, unprocessed when the consumer was\n"
              "stopped (not a loss under load). equal cons.: -A, no rule, -w /dev/null (sysdig's job)\n");
  for (const char* mode : {"kmod-dump", "ebpf-dump", "kmod", "ebpf"}) {
    const bool cheaper = slowdown[mode] < slowdown["scap"], no_more_drops = ways[mode].dropped <= ways["scap"].dropped;
    std::printf("target %-9s: %s than scap.ko (%.2fx vs %.2fx; %.2fx of scap.ko's time, faster in %d of %zu rounds), "
                "%s drops (%ld vs %ld): %s\n",
                mode, cheaper ? "cheaper" : "NOT cheaper", slowdown[mode], slowdown["scap"], vs_scap[mode],
                faster[mode], rounds, no_more_drops ? "no more" : "MORE", ways[mode].dropped, ways["scap"].dropped,
                cheaper && no_more_drops ? "met" : "missed");
  }
  std::printf("(kestrel.ko build %.1fs, VM host wall %.1fs)\n", build_s, run.wall_s);
  return 0;
}
