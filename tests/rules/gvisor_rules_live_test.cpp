// The gVisor-tagged rules of the default ruleset, proven on real runsc
// sandboxes through the real binary: `kestrel -o engine.kind=gvisor` with
// the embedded default rules listens on the socket named by the pod-init
// config that `kestrel --gvisor-generate-config` printed, and one sandbox
// runs every trigger. Each trigger runs as a background job of the
// sandbox's shell, which prints the job's pid (a pid of the sandbox, as
// the alerts carry them); alerts are attributed to a trigger by that
// process tree (trigger_tree.h), so the shell itself or one trigger's
// side effects are never taken for another's.
//
// Needs root and /usr/bin/runsc; fails (never skips) without them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/rules/trigger_tree.h"
#include "tests/support/kestrel_collector.h"

namespace kestrel::testing {
namespace {

constexpr const char* kRunsc = "/usr/bin/runsc";
const std::string kTrigger = RULE_TRIGGER_BINARY;

// Runs `script` with /bin/sh in a runsc sandbox (no network) that streams
// to `socket`; returns the exit status and leaves runsc's output in `log`.
int run_sandbox(const std::string& dir, const std::string& script, std::string& log) {
  std::string root = dir + "/runsc-root", log_path = dir + "/runsc.log";
  std::filesystem::create_directories(root);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::string root_flag = "--root=" + root, cfg_flag = "--pod-init-config=" + dir + "/pod_init.json";
    execl(kRunsc, kRunsc, root_flag.c_str(), "--network=none", cfg_flag.c_str(), "do", "--quiet", "/bin/sh", "-c",
          script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log_path);
  log.assign(std::istreambuf_iterator<char>(in), {});
  return status;
}

TEST(GvisorRulesLive, SandboxTriggersFireTheGvisorRules) {
  ASSERT_EQ(access(kRunsc, X_OK), 0) << "runsc is not installed at " << kRunsc;
  ASSERT_EQ(geteuid(), 0u) << "runsc sandboxes need root";
  char tmpl[] = "/tmp/kestrel-gvisor-rules-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;

  // The config the collector itself generates for its loaded rules; made
  // fail-closed so a sandbox that cannot reach the collector does not run.
  const std::string socket = dir + "/gvisor.sock", config = dir + "/pod_init.json";
  ASSERT_EQ(std::system((std::string(KESTREL_BINARY) + " --gvisor-generate-config=" + socket + " > " + config).c_str()), 0);
  nlohmann::json pod = nlohmann::json::parse(std::ifstream(config));
  for (auto& sink : pod["trace_session"]["sinks"]) sink["ignore_setup_error"] = false;
  std::ofstream(config) << pod.dump(2);

  Collector c;
  std::vector<std::string> args = {KESTREL_BINARY, "-o", "json_output=true", "-o", "rule_matching=all", "-o",
                                   "engine.kind=gvisor", "-o", "engine.gvisor.config=" + config, "-M", "180"};
  for (auto& a : default_rules_with_ancestry(dir + "/ancestry.yaml")) args.push_back(std::move(a));
  c.start(args);
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(60))) << c.err;

  // One sandbox runs every trigger. (The miner copy sits in a
  // project-like directory so the temp-dir rule stays out of it.)
  std::vector<Trigger> triggers = {
      {"Shell In gVisor Sandbox", "Notice", "/bin/sh -c 'exit 0'",
       // runsc names the process after the resolved binary (dash on Debian).
       {{"proc.name", "~sh"}, {"proc.cmdline", "~sh -c exit 0"}, {"container.id", "~runsc-"}}},
      {"Sensitive File Read In gVisor Sandbox", "Warning", "cat /etc/shadow > /dev/null",
       {{"fd.name", "/etc/shadow"}, {"proc.name", "cat"}, {"container.id", "~runsc-"}}},
      {"Cryptominer In gVisor Sandbox", "Critical", "mkdir -p /tmp/work && cp /bin/true /tmp/work/xmrig && /tmp/work/xmrig",
       {{"proc.name", "xmrig"}, {"container.id", "~runsc-"}}},
      {"Cryptominer In gVisor Sandbox", "Critical", "/bin/echo stratum+tcp://pool.invalid:3333 > /dev/null",
       {{"proc.cmdline", "~stratum+tcp://pool.invalid:3333"}, {"container.id", "~runsc-"}}},
      {"Ptrace In gVisor Sandbox", "Warning", kTrigger + " ptrace-attach",
       {{"evt.arg.request", "PTRACE_ATTACH"}, {"container.id", "~runsc-"}}},
      {"Connection To Miner Pool Port From gVisor Sandbox", "Critical", kTrigger + " connect 127.0.0.1 3333",
       {{"fd.name", "~127.0.0.1:3333"}, {"proc.name", "rule_trigger"}, {"container.id", "~runsc-"}}},
  };
  // Trigger i runs as a background job whose pid the shell prints as
  // "kestrel-trigger i PID"; the sentinel last, as "kestrel-trigger -1 PID".
  auto job = [](const std::string& command, int i) {
    return "; { " + command + "; } & p=$!; echo \"kestrel-trigger " + std::to_string(i) + " $p\"; wait $p";
  };
  std::string script = "set -e";
  for (size_t i = 0; i < triggers.size(); ++i) script += job(triggers[i].command, static_cast<int>(i));
  script += job(kSentinelCommand, -1);
  std::string runsc_log;
  int status = run_sandbox(dir, script, runsc_log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << runsc_log;
  pid_t sentinel = 0;
  std::istringstream log_lines(runsc_log);
  for (std::string line; std::getline(log_lines, line);) {
    int i = 0, pid = 0;
    if (sscanf(line.c_str(), "kestrel-trigger %d %d", &i, &pid) != 2) continue;
    if (i == -1) sentinel = pid;
    else if (i >= 0 && static_cast<size_t>(i) < triggers.size()) triggers[static_cast<size_t>(i)].root = pid;
  }
  for (const auto& t : triggers) ASSERT_GT(t.root, 0) << "no pid printed for " << t.command << "\n" << runsc_log;
  ASSERT_GT(sentinel, 0) << runsc_log;

  // gVisor sends the ptrace syscall (a raw `syscall/sysno/101` point)
  // without the process: its alert has proc.pid 0 and an empty proc.name,
  // so no process tree can claim it. It is attributed to its trigger as
  // the one processless alert from this sandbox (the sentinel's
  // container.id) instead, until the gVisor source fills the process in.
  for (auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       !sentinel_seen(c.alerts(), sentinel) && std::chrono::steady_clock::now() < end;)
    c.pump(50);
  for (const auto& a : c.alerts())
    if (a.value("rule", "") == kSentinelRule && alert_from_tree(a, sentinel))
      for (auto& t : triggers)
        if (t.rule == "Ptrace In gVisor Sandbox") t.processless_container = a["output_fields"].value("container.id", "");
  wait_for_alerts(c, triggers, sentinel, 60000);
  int code = c.stop();
  ASSERT_EQ(code, 0) << c.err;
  check_triggers(c, triggers);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kestrel::testing
