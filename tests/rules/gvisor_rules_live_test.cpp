// The gVisor-tagged rules of the default ruleset, proven on real runsc
// sandboxes through the real binary: `kestrel -o engine.kind=gvisor` with
// the embedded default rules listens on the socket named by the pod-init
// config that `kestrel --gvisor-generate-config` printed, and one sandbox
// runs every trigger.
//
// Needs root and /usr/bin/runsc; fails (never skips) without them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/rules/rule_window.h"
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
  c.start({KESTREL_BINARY, "-o", "json_output=true", "-o", "rule_matching=all", "-o", "engine.kind=gvisor", "-o",
           "engine.gvisor.config=" + config, "-M", "180"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(60))) << c.err;

  // One sandbox runs every trigger; the sandbox holds nothing else, so an
  // alert is attributed to its trigger by its fields. (The miner copy sits
  // in a project-like directory so the temp-dir rule stays out of it.)
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
  std::string script = "set -e";
  for (const auto& t : triggers) script += "; " + t.command;
  std::string runsc_log;
  int status = run_sandbox(dir, script, runsc_log);
  for (int i = 0; i < 30; ++i) c.pump(50);
  int code = c.stop();
  ASSERT_EQ(code, 0) << c.err;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << runsc_log;

  std::vector<nlohmann::json> alerts = c.alerts();
  std::string all;
  for (const auto& a : alerts) all += a.dump() + "\n";
  for (const auto& t : triggers) {
    SCOPED_TRACE("rule \"" + t.rule + "\", trigger in the sandbox: " + t.command);
    int matched = 0;
    for (const auto& a : alerts)
      if (alert_matches(a, t)) {
        ++matched;
        EXPECT_EQ(a["priority"], t.priority) << a.dump();
      }
    EXPECT_GE(matched, 1) << "alerts:\n" << all;
  }
  // Nothing else: each alert belongs to one of the triggers' rules.
  for (const auto& a : alerts) {
    bool expected = false;
    for (const auto& t : triggers) expected |= a["rule"] == t.rule;
    EXPECT_TRUE(expected) << "unexpected alert: " << a.dump();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kestrel::testing
