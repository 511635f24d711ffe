// ebpf_process_fields — what the probe's optional process params cost, with
// the mask the loaded rules ask for vs every param.
//
// The process block (execve/clone records) may carry the environment
// (KB_PF_ENV), the cwd (KB_PF_CWD, a dentry walk) and the cgroup paths
// (KB_PF_CGROUPS, one kernfs walk per hierarchy). The collector asks only
// for what its rules read (engine/rule_fields.h, app/collector_plan.h's
// capture_request). This bench takes a rule set that reads only proc.name
// and fd.name, derives its mask the same way, and compares it with all
// fields on an exec-heavy workload (fork + execve(/bin/true) + wait, with
// this process's environment), in paired rounds, each a freshly loaded
// probe (the mask is a load-time knob):
//   - in-kernel run time per run of each attached program (BPF run-time
//     stats): the captured-syscall cost the mask changes;
//   - wall time per fork+exec+wait cycle (noisier; the whole workload).
// Needs root and a kernel with BTF.
// Usage: ebpf_process_fields [execs per round] [rounds]
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "ebpf/bpf/probe_abi.h"
#include "bench/source_reader.h"
#include "ebpf/ebpf_source.h"
#include "ebpf/probe.h"
#include "engine/load_result.h"
#include "engine/rule_fields.h"
#include "engine/rule_set.h"

extern char** environ;

namespace {

constexpr const char* kNameAndFdRules = R"(
- rule: Sensitive Open By Name
  desc: reads only proc.name and fd.name
  condition: evt.type in (openat, open) and proc.name in (cat, less) and fd.name startswith /etc/shadow
  output: "%proc.name read %fd.name"
  priority: WARNING
)";

// The kb_process_fields mask a rule set asks for, as the collector derives
// it (the cwd always: the thread table resolves relative paths with it).
uint32_t mask_for_rules(const std::string& yaml) {
  const std::string path = "/tmp/kestrel_bench_rules_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << yaml;
  kestrel::engine::LoadResult result;
  kestrel::engine::RuleSet set = kestrel::engine::load_rules({path}, result);
  std::remove(path.c_str());
  if (!result.ok()) {
    std::fprintf(stderr, "bench rules do not load\n");
    std::exit(1);
  }
  auto read = kestrel::engine::process_params_read(kestrel::engine::fields_read(set));
  return (read.env ? KB_PF_ENV : 0) | KB_PF_CWD | (read.cgroups ? KB_PF_CGROUPS : 0);
}

double wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

void fork_exec_wait() {
  pid_t child = fork();
  if (child == 0) {
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execve("/bin/true", argv, environ);
    _exit(127);
  }
  if (child > 0) waitpid(child, nullptr, 0);
}

using Reader = kestrel::bench::SourceReader;

struct Round {
  double wall_per_exec = 0;
  std::map<std::string, double> ns_per_run;  // program -> in-kernel ns per run
};

Round measure(uint32_t mask, size_t execs) {
  kestrel::EbpfOptions opt;
  opt.drop_own_events = false;  // our children are the workload
  opt.process_env = mask & KB_PF_ENV;
  opt.process_cwd = mask & KB_PF_CWD;
  opt.process_cgroups = mask & KB_PF_CGROUPS;
  kestrel::EbpfSource source(opt);
  kestrel::EventTypeSet types;
  for (uint16_t t : {KE_EXECVE, KE_CLONE, KE_PROCEXIT, KE_OPENAT, KE_CLOSE}) types.set(t);
  source.set_event_filter(types);
  if (auto s = source.open(); !s.ok()) {
    std::fprintf(stderr, "cannot open the eBPF source: %s\n", s.to_string().c_str());
    std::exit(1);
  }
  Round round;
  {
    Reader reader(source);
    for (size_t i = 0; i < execs / 10; ++i) fork_exec_wait();  // warm up
    auto before = source.program_costs();
    double t0 = wall_ns();
    for (size_t i = 0; i < execs; ++i) fork_exec_wait();
    round.wall_per_exec = (wall_ns() - t0) / static_cast<double>(execs);
    auto after = source.program_costs();
    for (size_t i = 0; i < after.size() && i < before.size(); ++i) {
      uint64_t runs = after[i].runs - before[i].runs;
      if (runs >= execs)
        round.ns_per_run[after[i].program] =
            static_cast<double>(after[i].run_time_ns - before[i].run_time_ns) / static_cast<double>(runs);
    }
  }
  source.close();
  return round;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t execs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  size_t env_bytes = 0;
  for (char** e = environ; *e; ++e) env_bytes += std::strlen(*e) + 1;
  const uint32_t rules_mask = mask_for_rules(kNameAndFdRules);
  std::printf("ebpf_process_fields: %zu fork+execve(/bin/true)+wait per round, %d paired rounds, %zu env bytes\n",
              execs, rounds, env_bytes);
  std::printf("mask from rules reading proc.name, fd.name: 0x%x (env %s, cwd %s, cgroups %s); all fields: 0x%x\n",
              rules_mask, rules_mask & KB_PF_ENV ? "on" : "off", rules_mask & KB_PF_CWD ? "on" : "off",
              rules_mask & KB_PF_CGROUPS ? "on" : "off", static_cast<unsigned>(KB_PF_ALL));
  auto stats_fd = kestrel::ebpf::Probe::enable_run_time_stats();
  if (!stats_fd.ok()) {
    std::fprintf(stderr, "cannot enable BPF run-time stats: %s\n", stats_fd.status().to_string().c_str());
    return 1;
  }
  std::map<std::string, std::vector<double>> rules_ns, all_ns, diff_ns;
  std::vector<double> rules_wall, all_wall, diff_wall;
  for (int r = 0; r < rounds; ++r) {
    Round a = measure(rules_mask, execs);
    Round b = measure(KB_PF_ALL, execs);
    rules_wall.push_back(a.wall_per_exec);
    all_wall.push_back(b.wall_per_exec);
    diff_wall.push_back(b.wall_per_exec - a.wall_per_exec);
    for (const auto& [program, ns] : a.ns_per_run) {
      if (!b.ns_per_run.count(program)) continue;
      rules_ns[program].push_back(ns);
      all_ns[program].push_back(b.ns_per_run[program]);
      diff_ns[program].push_back(b.ns_per_run[program] - ns);
    }
  }
  ::close(*stats_fd);
  std::printf("%-22s %14s %14s %14s\n", "in-kernel ns per run", "name+fd rules", "all fields", "saved");
  for (const auto& [program, v] : rules_ns)
    std::printf("%-22s %14.1f %14.1f %14.1f\n", program.c_str(), median(v), median(all_ns[program]),
                median(diff_ns[program]));
  std::printf("%-22s %14.0f %14.0f %14.0f   (ns, median of %d paired rounds)\n", "fork+exec+wait wall",
              median(rules_wall), median(all_wall), median(diff_wall), rounds);
  return 0;
}
