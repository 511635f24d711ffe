// The gVisor-tagged rules of the default ruleset, proven on real runsc
// sandboxes: runsc → GvisorSource → state → the embedded default rules,
// the same Pipeline the collector runs, assembled in-process because the
// `kestrel` binary does not wire the gVisor source in yet (issue 5: its
// engine.gvisor.* keys and --gvisor-generate-config are still refused).
// Once they land, these triggers belong in a test of the real binary.
//
// Needs root and /usr/bin/runsc; fails (never skips) without them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "app/pipeline.h"
#include "app/rules_loading.h"
#include "engine/outputs/output_sink.h"
#include "gvisor/gvisor_source.h"
#include "gvisor/pod_init_config.h"
#include "sources/event/event_table.h"
#include "tests/rules/rule_window.h"

namespace kestrel::testing {
namespace {

constexpr const char* kRunsc = "/usr/bin/runsc";
const std::string kTrigger = RULE_TRIGGER_BINARY;

EventTypeSet state_types() {
  EventTypeSet types;
  for (const auto& e : all_events())
    if (e.flags & KEF_STATE) types.set(e.type);
  return types;
}

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

  std::ostringstream log;
  auto rules = load_configured_rules({}, log);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  engine::eval::RuleEngineOptions engine_options;
  engine_options.rule_matching = engine::eval::RuleMatching::kAll;
  engine_options.hostname = "test";
  auto engine = engine::eval::RuleEngine::create(*rules, engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  EventTypeSet wanted = (*engine)->required_event_types() | state_types();

  gvisor::GvisorSourceConfig cfg;
  cfg.server.socket_path = dir + "/gvisor.sock";
  auto source = gvisor::make_gvisor_source(cfg);
  ASSERT_TRUE(source->set_event_filter(wanted).ok());
  gvisor::PodInitConfigOptions pod;
  pod.endpoint = cfg.server.socket_path;
  pod.ignore_setup_error = false;  // a sandbox that cannot reach us must not run
  std::ofstream(dir + "/pod_init.json") << gvisor::pod_init_config_json(wanted, pod);

  Multiplexer mux;
  mux.add(std::move(source));
  ThreadTable table(ThreadTableConfig{});
  std::ostringstream alerts_out;
  engine::DispatcherOptions dispatch;
  dispatch.format.json = true;
  std::vector<std::unique_ptr<engine::OutputSink>> sinks;
  sinks.push_back(engine::make_stream_sink(alerts_out));
  engine::AlertDispatcher outputs(dispatch, std::move(sinks));
  Pipeline pipeline(mux, table, **engine, outputs);

  std::atomic<bool> stop{false}, started{false};
  Status run_status;
  std::thread engine_thread([&] {
    auto summary = pipeline.run(stop, std::chrono::milliseconds(120000), [&] { started = true; });
    if (!summary.ok()) run_status = summary.status();
    started = true;
  });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));

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
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  engine_thread.join();
  outputs.stop();
  ASSERT_TRUE(run_status.ok()) << run_status.to_string();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << runsc_log;

  std::vector<nlohmann::json> alerts;
  std::istringstream lines(alerts_out.str());
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) alerts.push_back(nlohmann::json::parse(line));
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
