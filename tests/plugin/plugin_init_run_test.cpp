// The real `kestrel` binary loading a plugin that, like plugins built with
// plugin-sdk-cpp at API 3.3, calls in->log_fn and reads in->tables in
// plugin_init (test_plugins/sdk_like_plugin.cpp, built against the
// published plugin_api.h). Once the host passed NULL for both and the
// process died with SIGSEGV; now it runs, or refuses cleanly by name.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

struct RunResult {
  int status = 0;
  std::string out, err;
};

RunResult run_plugin(const std::string& name, const std::string& path, const std::string& init_config,
                     const std::string& open_params = "", const std::string& rules_file = "",
                     const std::vector<std::string>& extra = {}) {
  Collector c;
  std::vector<std::string> args{KESTREL_BINARY, "-o", "engine.kind=none", "-o", "load_plugins=" + name, "-o",
                                "plugins=[{name: " + name + ", library_path: " + path + ", init_config: '" +
                                    init_config + "', open_params: '" + open_params + "'}]",
                                "-M", "2"};
  if (!rules_file.empty()) args.insert(args.end(), {"-r", rules_file});
  args.insert(args.end(), extra.begin(), extra.end());
  c.start(args);
  RunResult r;
  auto end = Collector::Clock::now() + std::chrono::seconds(60);
  while (c.pid > 0 && Collector::Clock::now() < end) {
    c.pump(50);
    if (waitpid(c.pid, &r.status, WNOHANG) == c.pid) c.pid = -1;
  }
  if (c.pid > 0) {
    kill(c.pid, SIGKILL);
    waitpid(c.pid, &r.status, 0);
    ADD_FAILURE() << "kestrel did not exit";
  }
  for (int i = 0; i < 20; ++i) c.pump(10);
  r.out = c.out;
  r.err = c.err;
  return r;
}

RunResult run_sdk_like(const std::string& init_config) { return run_plugin("sdklike", SDK_LIKE_PLUGIN, init_config); }

TEST(PluginInitRun, SdkStylePluginRunsAndLogsThroughKestrel) {
  RunResult r = run_sdk_like("");
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find("kestrel: plugin 'sdklike': info: hello from plugin_init"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Source sdklike: 0 events"), std::string::npos) << r.err;
}

TEST(PluginInitRun, PluginNeedingTheThreadsTableGetsItAndRuns) {
  RunResult r = run_sdk_like("needs-threads");
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find("Source sdklike: 0 events"), std::string::npos) << r.err;
}

TEST(PluginInitRun, Api312PluginLoadsAndSourcesThroughKestrel) {
  RunResult r = run_plugin("api312", API312_PLUGIN, R"({"mode": "strict"})", "1,2,3");
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find("kestrel: plugin 'api312': info: init, mode strict"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Source api312: 3 events"), std::string::npos) << r.err;
}

TEST(PluginInitRun, InitConfigAgainstTheSchemaIsRefusedNamingTheKey) {
  RunResult r = run_plugin("api312", API312_PLUGIN, R"({"mode": "loud"})");
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_NE(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find("plugin 'api312': init_config does not follow the plugin's JSON schema: init_config/mode"),
            std::string::npos)
      << r.err;
}

TEST(PluginInitRun, APluginAsking313IsRefusedWithBothVersions) {
  RunResult r = run_plugin("api313", API313_PLUGIN, "");
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_NE(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find("plugin requires plugin API version 3.13.0, which this Kestrel (plugin API 3.12.0) does not "
                       "support"),
            std::string::npos)
      << r.err;
}

// The plugin's async events (api312_plugin.cpp: `ticks` events named
// "api312_tick", then one it never declared) reach the syscall rules in a
// live run as asyncevent records with their name; the undeclared one is
// refused.
TEST(PluginInitRun, AsyncEventsOfAPluginRaiseSyscallRulesByTheirName) {
  const std::string rules = ::testing::TempDir() + "/async_rules_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(rules) << R"(
- rule: Plugin Async Tick
  desc: an async event of the api312 plugin
  condition: evt.type = asyncevent and evt.asynctype = api312_tick
  output: "async tick type=%evt.asynctype"
  priority: NOTICE
  source: syscall
)";
  RunResult r = run_plugin("api312", API312_PLUGIN, R"({"ticks": 3})", "", rules);
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.err;
  size_t alerts = 0;
  for (size_t at = r.out.find("async tick type=api312_tick"); at != std::string::npos;
       at = r.out.find("async tick type=api312_tick", at + 1))
    ++alerts;
  EXPECT_EQ(alerts, 3u) << r.out << r.err;
  EXPECT_EQ(r.out.find("undeclared"), std::string::npos) << r.out;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Rules on async events of the api312 plugins for both streams they can go
// to: the syscall source's and the plugin's own source's.
std::string async_rules_file(const std::string& tag) {
  const std::string rules = ::testing::TempDir() + "/async_route_rules_" + tag + "_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(rules) << R"(
- rule: Async On Syscall
  desc: an async event in the syscall stream
  condition: evt.type = asyncevent and evt.asynctype = api312_tick
  output: "syscall-stream tick by=%evt.pluginname type=%evt.asynctype"
  priority: NOTICE
  source: syscall
- rule: Async On Own Source
  desc: an async event in the api312 stream
  condition: evt.asynctype = api312_tick
  output: "api312-stream tick by=%evt.pluginname type=%evt.asynctype"
  priority: NOTICE
  source: api312
)";
  return rules;
}

// get_async_event_sources is honoured: a plugin that names only its own
// source ["api312"] sends nothing to the syscall rules; one that names none
// reaches every source's. evt.pluginname is the plugin that sent it.
TEST(PluginInitRun, AsyncEventsGoToTheSourcesThePluginNames) {
  RunResult own = run_plugin("api312", API312_OWN_PLUGIN, R"({"ticks": 3})", "", async_rules_file("own"));
  ASSERT_FALSE(WIFSIGNALED(own.status)) << own.err;
  EXPECT_EQ(WEXITSTATUS(own.status), 0) << own.err;
  EXPECT_EQ(count(own.out, "api312-stream tick by=api312 type=api312_tick"), 3u) << own.out << own.err;
  EXPECT_EQ(count(own.out, "syscall-stream"), 0u) << own.out;

  RunResult any = run_plugin("api312", API312_PLUGIN, R"({"ticks": 3})", "", async_rules_file("any"));
  ASSERT_FALSE(WIFSIGNALED(any.status)) << any.err;
  EXPECT_EQ(WEXITSTATUS(any.status), 0) << any.err;
  EXPECT_EQ(count(any.out, "syscall-stream tick by=api312 type=api312_tick"), 3u) << any.out << any.err;
  EXPECT_EQ(count(any.out, "api312-stream tick by=api312 type=api312_tick"), 3u) << any.out << any.err;
}

// A live run's async events are written to its .kcap (-w) and come back
// from it (-e) to the same rules, with the plugin's live source not opened.
TEST(PluginInitRun, AsyncEventsAreCapturedAndReplayed) {
  const std::string capture = ::testing::TempDir() + "/async_" + std::to_string(getpid()) + ".kcap";
  const std::string rules = async_rules_file("replay");
  RunResult live = run_plugin("api312", API312_PLUGIN, R"({"ticks": 3})", "", rules, {"-w", capture});
  ASSERT_FALSE(WIFSIGNALED(live.status)) << live.err;
  ASSERT_EQ(WEXITSTATUS(live.status), 0) << live.err;
  ASSERT_EQ(count(live.out, "syscall-stream tick by=api312"), 3u) << live.out << live.err;
  // open params that would make the live source emit events: a replay must not open it.
  RunResult replay = run_plugin("api312", API312_PLUGIN, R"({"ticks": 0})", "7,8", rules, {"-e", capture});
  ASSERT_FALSE(WIFSIGNALED(replay.status)) << replay.err;
  EXPECT_EQ(WEXITSTATUS(replay.status), 0) << replay.err;
  EXPECT_EQ(count(replay.out, "syscall-stream tick by=api312 type=api312_tick"), 3u) << replay.out << replay.err;
  EXPECT_EQ(count(replay.out, "api312-stream tick by=api312 type=api312_tick"), 3u) << replay.out << replay.err;
  std::remove(capture.c_str());
}

// Async events reach a plugin's extractor when its extract event types
// take code 402 (api312 built with API312_EXTRACT_ASYNC: [322, 402]), in
// the libscap layout (name and data read back by the plugin); the same
// plugin declaring no types (plugin events only, by the API's rule) is
// not handed them, so its field is missing and the rule stays silent.
// Live, and from a capture of the run.
TEST(PluginInitRun, AsyncEventsReachExtractorsThatTakeCode402) {
  const std::string rules = ::testing::TempDir() + "/xasync_rules_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(rules) << R"(
- rule: Extracted Async
  desc: a plugin field read from an async event
  condition: api312.async startswith "api312_tick:tick "
  output: "extracted async=%api312.async by=%evt.pluginname"
  priority: NOTICE
  source: api312
)";
  const std::string capture = ::testing::TempDir() + "/xasync_" + std::to_string(getpid()) + ".kcap";
  RunResult on = run_plugin("api312", API312_XASYNC_PLUGIN, R"({"ticks": 3})", "", rules, {"-w", capture});
  ASSERT_FALSE(WIFSIGNALED(on.status)) << on.err;
  EXPECT_EQ(WEXITSTATUS(on.status), 0) << on.err;
  for (int n = 0; n < 3; ++n)
    EXPECT_EQ(count(on.out, "extracted async=api312_tick:tick " + std::to_string(n) + " by=api312"), 1u)
        << on.out << on.err;
  RunResult replay = run_plugin("api312", API312_XASYNC_PLUGIN, R"({"ticks": 0})", "", rules, {"-e", capture});
  ASSERT_FALSE(WIFSIGNALED(replay.status)) << replay.err;
  EXPECT_EQ(WEXITSTATUS(replay.status), 0) << replay.err;
  EXPECT_EQ(count(replay.out, "extracted async=api312_tick:tick "), 3u) << replay.out << replay.err;
  std::remove(capture.c_str());

  RunResult off = run_plugin("api312", API312_PLUGIN, R"({"ticks": 3})", "", rules);
  ASSERT_FALSE(WIFSIGNALED(off.status)) << off.err;
  EXPECT_EQ(WEXITSTATUS(off.status), 0) << off.err;
  EXPECT_EQ(count(off.out, "extracted async"), 0u) << off.out;
}

// An ipaddr plugin field (api312.ip: 10.1.2.<tid>, 4 bytes) is an address
// to rules: equality with an IPv4 literal, and its text in outputs.
TEST(PluginInitRun, AnIpaddrPluginFieldComparesAsAnAddress) {
  const std::string rules = ::testing::TempDir() + "/ip_rules_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(rules) << R"(
- rule: Plugin Address
  desc: an ipaddr field of a plugin
  condition: api312.ip = 10.1.2.2
  output: "plugin address ip=%api312.ip"
  priority: NOTICE
  source: api312
)";
  RunResult r = run_plugin("api312", API312_PLUGIN, "", "1,2,3", rules);
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.out.find("plugin address ip=10.1.2.2"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("ip=10.1.2.1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ip=10.1.2.3"), std::string::npos) << r.out;
}

// An ipnet plugin field (api312.net: the 4 bytes of 10.1.2.<tid>, the
// address only as plugin_types.h defines FTYPE_IPNET) compares as a
// network field, as fd.net: a CIDR on the right matches the addresses it
// contains; outputs print the address.
TEST(PluginInitRun, AnIpnetPluginFieldMatchesTheNetworksHoldingItsAddress) {
  const std::string rules = ::testing::TempDir() + "/ipnet_rules_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(rules) << R"(
- rule: Plugin Net In 10.1.2.0/24
  desc: an ipnet field of a plugin against a network
  condition: api312.net = 10.1.2.0/24 and api312.tid = 2
  output: "in-24 net=%api312.net"
  priority: NOTICE
  source: api312
- rule: Plugin Net In 10.9.0.0/16
  desc: a network that does not hold it
  condition: api312.net = 10.9.0.0/16
  output: "in-other net=%api312.net"
  priority: NOTICE
  source: api312
- rule: Plugin Net In List
  desc: in with networks
  condition: api312.net in (192.168.0.0/16, 10.1.2.3/32)
  output: "in-list net=%api312.net"
  priority: NOTICE
  source: api312
)";
  RunResult r = run_plugin("api312", API312_PLUGIN, "", "1,2,3", rules);
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.out.find("in-24 net=10.1.2.2"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("in-other"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in-list net=10.1.2.3"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("in-list net=10.1.2.1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("in-list net=10.1.2.2"), std::string::npos) << r.out;
}

// SIGHUP with a changed init_config in the -c file: the running plugin gets
// it through plugin_set_config (api312_plugin.cpp logs "mode now <mode>");
// one the schema refuses is logged and changes nothing.
TEST(PluginInitRun, SighupGivesAPluginItsChangedConfigThroughSetConfig) {
  const std::string tag = std::to_string(getpid());
  const std::string config = ::testing::TempDir() + "/set_config_" + tag + ".yaml";
  const std::string rules = ::testing::TempDir() + "/set_config_rules_" + tag + ".yaml";
  std::ofstream(rules) << "- list: nothing\n  items: []\n";
  auto write_config = [&](const std::string& mode) {
    // The eBPF source keeps the run going after the plugin's own source ends.
    std::ofstream(config) << "engine:\n  kind: ebpf\nload_plugins: [api312]\nplugins:\n  - name: api312\n"
                          << "    library_path: " << API312_PLUGIN << "\n    init_config: {mode: " << mode << "}\n";
  };
  write_config("normal");
  Collector c;
  c.start({KESTREL_BINARY, "-c", config, "-r", rules, "--allow-empty-rules", "-M", "30"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(30))) << c.err;
  write_config("strict");
  ASSERT_EQ(kill(c.pid, SIGHUP), 0);
  EXPECT_TRUE(c.wait_for_stderr("kestrel: plugin 'api312'/config: info: mode now strict", std::chrono::seconds(10)))
      << c.err;
  EXPECT_TRUE(c.wait_for_stderr("plugin 'api312' config changed (set_config)", std::chrono::seconds(5))) << c.err;
  write_config("loud");  // not in the plugin's schema
  ASSERT_EQ(kill(c.pid, SIGHUP), 0);
  EXPECT_TRUE(c.wait_for_stderr("plugin 'api312' keeps its config", std::chrono::seconds(10))) << c.err;
  EXPECT_EQ(c.err.find("mode now loud"), std::string::npos) << c.err;
  c.stop();
}

}  // namespace
