// rules_load_bench — what loading a large, legal rules file costs: wall
// time and peak RSS per pipeline stage, per rule and per input byte.
//
// A 50 MB rules file once took 43 s and 4.6 GB to load (issue #11); files
// above limits.rules_file_bytes (16 MiB) are now refused, so this generates
// the largest kind of file still accepted: the upstream falco_rules.yaml
// (its lists and macros) followed by N synthetic groups shaped like its
// rules — a list, a macro using that list and upstream macros, a rule with
// upstream macros, list names, an inline list and an upstream-style output,
// every fourth rule with exceptions.
//
// Every stage runs in a fresh process (this binary re-executed with
// --child, or `kestrel -V FILE`), so wait4()'s ru_maxrss is that stage's
// own peak; "baseline" is the same child doing nothing, and "per rule" is
// (peak - baseline) / rules. "retained" is the heap still in use with the
// stage's result alive (mallinfo2; the YAML tree is gone by then): the
// collection after read, the RuleSet after load_rules, RuleSet and
// compiled engine after create — what a running collector keeps.
//
//   rules_load_bench [--rules N] [--keep FILE] [--kestrel PATH]
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/eval/rule_engine.h"
#include "engine/rule_reader.h"
#include "engine/rule_set.h"

#ifndef KESTREL_SHARED_DIR
#error "the build defines KESTREL_SHARED_DIR"
#endif

namespace {

using kestrel::engine::LoadResult;

const char* kProcs[] = {"nginx", "java", "python3", "node", "bash", "curl", "sshd", "postgres", "redis-server",
                        "etcd", "kubelet", "containerd", "dockerd", "cron", "rsyslogd", "systemd"};
const char* kUpstreamMacros[] = {"spawned_process", "open_read", "open_write", "container", "proc_name_exists",
                                 "sensitive_files", "interactive", "shell_procs", "etc_dir", "never_true"};
const char* kUpstreamLists[] = {"shell_binaries", "package_mgmt_binaries", "user_mgmt_binaries",
                                "http_server_binaries", "db_server_binaries", "cron_binaries"};

// One list, one macro, one rule; `i` makes the names unique and varies the
// shape so no two conditions are textually the same.
void append_group(std::string& out, int i) {
  auto proc = [&](int k) { return std::string(kProcs[(i + k) % 16]); };
  std::string n = std::to_string(i);
  out += "- list: bench_binaries_" + n + "\n  items: [";
  for (int k = 0; k < 10; ++k) out += (k ? ", " : "") + proc(k) + "-" + n;
  out += "]\n\n";
  out += "- macro: bench_macro_" + n + "\n  condition: >\n    (proc.name in (bench_binaries_" + n +
         ") or proc.pname in (bench_binaries_" + n + "))\n    and " + kUpstreamMacros[i % 10] +
         "\n    and not proc.cmdline contains \"--bench-" + n + "\"\n\n";
  out += "- rule: Bench rule " + n + "\n  desc: >\n    Synthetic rule " + n +
         " shaped like the upstream ones: a process from a known list doing\n"
         "    something unexpected in a container, with trusted exceptions.\n";
  out += "  condition: >\n    " + std::string(i % 2 ? "spawned_process" : "open_read") + "\n    and " +
         kUpstreamMacros[(i + 3) % 10] + "\n    and bench_macro_" + n + "\n    and not proc.name in (" +
         kUpstreamLists[i % 6] + ", " + kUpstreamLists[(i + 1) % 6] + ", " + proc(3) + ", " + proc(4) +
         ")\n    and not fd.name startswith /var/lib/bench/" + n + "\n    and (user.name = root or proc.pname = " +
         proc(5) + ")\n";
  out += "  output: Bench rule " + n +
         " fired | evt_type=%evt.type user=%user.name user_uid=%user.uid process=%proc.name "
         "proc_exepath=%proc.exepath parent=%proc.pname command=%proc.cmdline file=%fd.name "
         "terminal=%proc.tty container_id=%container.id\n";
  out += std::string("  priority: ") + (i % 3 ? "WARNING" : "NOTICE") + "\n";
  out += "  tags: [maturity_stable, host, container, bench_" + std::to_string(i % 50) + ", T1059]\n";
  if (i % 4 == 0) {
    out += "  exceptions:\n  - name: trusted_parents\n    fields: [proc.name, proc.pname]\n    comps: [=, in]\n"
           "    values:\n    - [" + proc(6) + ", [" + proc(7) + ", " + proc(8) + "]]\n    - [" + proc(9) +
           ", [" + proc(10) + "]]\n";
  }
  out += "\n";
}

std::string generate(int rules, bool& have_upstream) {
  std::string out;
  std::ifstream base(std::string(KESTREL_SHARED_DIR) + "/upstream-rules/falco_rules.yaml");
  have_upstream = static_cast<bool>(base);
  if (base) {
    std::ostringstream text;
    text << base.rdbuf();
    out = text.str();
    out += "\n";
  } else {
    // Without the upstream file: small stand-ins for what the groups use.
    for (const char* l : kUpstreamLists) out += std::string("- list: ") + l + "\n  items: [" + l + "_a, " + l + "_b]\n\n";
    for (const char* m : kUpstreamMacros) {
      out += std::string("- macro: ") + m + "\n  condition: (evt.type in (execve, openat) and proc.name != " + m +
             ")\n\n";
    }
  }
  for (int i = 0; i < rules; ++i) append_group(out, i);
  return out;
}

size_t heap_in_use() { return mallinfo2().uordblks; }

// --child MODE FILE: one stage, then exit. Prints the heap bytes still in
// use while the stage's result is alive (what a collector keeps).
int child(const std::string& mode, const std::string& file) {
  const size_t before = heap_in_use();
  if (mode == "baseline") {
    std::printf("0\n");
    return 0;
  }
  LoadResult result;
  size_t retained = 0;
  if (mode == "read") {
    kestrel::engine::RuleCollection c;
    kestrel::engine::read_rules_path(file, c, result);
    retained = heap_in_use() - before;
  } else {
    kestrel::engine::RuleSet set = kestrel::engine::load_rules({file}, result);
    retained = heap_in_use() - before;
    if (mode == "engine" && result.ok()) {
      auto engine = kestrel::engine::eval::RuleEngine::create(set);
      if (!engine.ok()) {
        std::fprintf(stderr, "compile failed: %s\n", engine.status().message().c_str());
        return 1;
      }
      retained = heap_in_use() - before;
    }
  }
  if (!result.ok()) {
    std::fprintf(stderr, "load failed: %s\n", result.filtered(true).front().message.c_str());
    return 1;
  }
  std::printf("%zu\n", retained);
  return 0;
}

struct Run {
  double seconds = 0;
  long maxrss_kib = 0;
  long retained = -1;  // what the child printed (our children only)
  bool ok = false;
};

// `ours`: the child is this binary, whose stdout is the retained heap.
Run run(const std::vector<std::string>& argv, bool ours = true) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) return Run{};
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  close(out[0]);
  Run r;
  int status = 0;
  rusage ru{};
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) return r;
  if (ours && !text.empty()) r.retained = std::atol(text.c_str());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.maxrss_kib = ru.ru_maxrss;
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int rules = 10000;
  std::string keep;
  std::string kestrel_bin = KESTREL_BINARY;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--child" && i + 2 < argc) return child(argv[i + 1], argv[i + 2]);
    if (a == "--rules" && i + 1 < argc) rules = std::atoi(argv[++i]);
    else if (a == "--keep" && i + 1 < argc) keep = argv[++i];
    else if (a == "--kestrel" && i + 1 < argc) kestrel_bin = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--rules N] [--keep FILE] [--kestrel PATH]\n", argv[0]);
      return 2;
    }
  }
  bool have_upstream = false;
  std::string text = generate(rules, have_upstream);
  std::string file = keep.empty() ? "/tmp/kestrel-rules-load-bench-" + std::to_string(getpid()) + ".yaml" : keep;
  std::ofstream(file, std::ios::binary) << text;
  std::string self = "/proc/self/exe";
  char buf[4096];
  ssize_t n = readlink(self.c_str(), buf, sizeof buf - 1);
  if (n > 0) self.assign(buf, static_cast<size_t>(n));

  Run base = run({self, "--child", "baseline", file});
  Run kbase = run({kestrel_bin, "--version"}, false);
  size_t total_rules = 0;
  {
    LoadResult result;
    kestrel::engine::RuleCollection c;
    kestrel::engine::read_rules_content(file, text, c, result);
    total_rules = c.rules.all().size();
  }
  text.clear();
  text.shrink_to_fit();
  std::printf("rules file: %s, %zu bytes, %zu rules (%d synthetic + %s)\n", file.c_str(),
              static_cast<size_t>(std::ifstream(file, std::ios::ate | std::ios::binary).tellg()), total_rules, rules,
              have_upstream ? "upstream falco_rules.yaml" : "stand-ins for upstream macros and lists");
  size_t bytes = static_cast<size_t>(std::ifstream(file, std::ios::ate | std::ios::binary).tellg());
  std::printf("%-34s %8s %10s %12s %12s %14s %12s\n", "stage", "seconds", "peak MiB", "bytes/rule",
              "bytes/input B", "retained MiB", "retained/rule");
  auto report = [&](const char* name, const Run& r, const Run& baseline) {
    if (!r.ok) {
      std::printf("%-34s FAILED\n", name);
      return false;
    }
    double grown = static_cast<double>(r.maxrss_kib - baseline.maxrss_kib) * 1024.0;
    std::printf("%-34s %8.2f %10.1f %12.0f %12.1f", name, r.seconds, r.maxrss_kib / 1024.0,
                grown / static_cast<double>(total_rules), grown / static_cast<double>(bytes));
    if (r.retained >= 0) {
      std::printf(" %14.1f %12.0f", static_cast<double>(r.retained) / (1 << 20),
                  static_cast<double>(r.retained) / static_cast<double>(total_rules));
    }
    std::printf("\n");
    return true;
  };
  bool ok = true;
  ok = report("read (YAML -> items)", run({self, "--child", "read", file}), base) && ok;
  ok = report("load_rules (-> resolved RuleSet)", run({self, "--child", "build", file}), base) && ok;
  ok = report("load_rules + RuleEngine::create", run({self, "--child", "engine", file}), base) && ok;
  if (kbase.ok) ok = report("kestrel -V FILE", run({kestrel_bin, "-V", file}, false), kbase) && ok;
  if (keep.empty()) std::remove(file.c_str());
  return ok ? 0 : 1;
}
