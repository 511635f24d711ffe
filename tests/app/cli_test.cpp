#include "app/cli.h"

#include <gtest/gtest.h>

#include "sources/capture/machine_environment.h"
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <set>

#include "app/config/config_schema.h"
#include "sources/event/event_table.h"
#include "tests/support/kestrel_cli.h"

namespace kestrel {
namespace {

using Run = testing::CliRun;
Run kestrel(std::vector<const char*> args) { return testing::run_cli(std::move(args)); }

TEST(Cli, VersionAndHelp) {
  auto v = kestrel({"--version"});
  EXPECT_EQ(v.code, kExitOk);
  EXPECT_NE(v.out.find("kestrel 0."), std::string::npos);
  // Where it runs, as detect_environment() says (its own test checks it
  // against this machine's CPUID).
  EXPECT_NE(v.out.find("\nenvironment: " + kcap::describe_environment(kcap::detect_environment()) + "\n"),
            std::string::npos)
      << v.out;
  auto h = kestrel({"--help"});
  EXPECT_EQ(h.code, kExitOk);
  for (const char* flag : {"-r", "-e", "-c", "-o", "-V", "--list", "--list-events", "-M", "-A"})
    EXPECT_NE(h.out.find(flag), std::string::npos) << flag;
  EXPECT_NE(h.out.find("engine.ebpf.buf_size"), std::string::npos) << "help lists config keys";
}

TEST(Cli, ListEventsPrintsEveryTypeWithItsParams) {
  auto r = kestrel({"--list-events"});
  ASSERT_EQ(r.code, kExitOk);
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);  // header
  size_t rows = 0;
  while (std::getline(lines, line)) ++rows;
  EXPECT_EQ(rows, all_events().size());
  EXPECT_NE(r.out.find("name:path flags:flags32(OPEN_FLAGS) mode:mode"), std::string::npos);
  EXPECT_NE(r.out.find("tuple:socktuple"), std::string::npos);
  EXPECT_NE(r.out.find("procexit"), std::string::npos);
}

TEST(Cli, BadFlagsExitTwoWithAMessage) {
  for (auto args : std::vector<std::vector<const char*>>{
           {"--no-such-flag"}, {"-M", "-5"}, {"-c", "/nonexistent/kestrel.yaml"}, {"-o", "bogus.key=1"}}) {
    auto r = kestrel(args);
    EXPECT_EQ(r.code, kExitUsage) << args[0];
    EXPECT_NE(r.err.find("kestrel:"), std::string::npos) << r.err;
  }
}

// A feature that has not landed has no config key, and a key Kestrel does
// not know is refused with exit code 2 naming it, never silently ignored:
// here keys of older falco.yaml files (the metadata download and the
// Kubernetes API client Falco has since removed) whose features Kestrel
// lacks, on the command line and in a file.
TEST(Cli, UnlandedFeaturesExitTwo) {
  for (const std::string key : {"metadata_download.max_mb", "k8s.api_server"}) {
    ASSERT_EQ(find_config_key(key), nullptr) << key << " has landed: pick a key that has not";
    const std::string arg = key + "=true";
    // --list-rules: were the key accepted, the run ends at once.
    auto r = kestrel({"-o", arg.c_str(), "--list-rules"});
    EXPECT_EQ(r.code, kExitUsage) << arg;
    EXPECT_NE(r.err.find(key), std::string::npos) << r.err;

    char path[] = "/tmp/kestrel_cli_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    ASSERT_GE(fd, 0);
    const std::string section = key.substr(0, key.find('.'));
    const std::string text = section + ":\n  " + key.substr(key.find('.') + 1) + ": true\n";
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    auto f = kestrel({"-c", path, "--list-rules"});
    unlink(path);
    EXPECT_EQ(f.code, kExitUsage) << text;
    // In a file the first unknown level is named, with its position.
    EXPECT_NE(f.err.find("'" + section + "'"), std::string::npos) << f.err;
    EXPECT_NE(f.err.find(std::string(path) + ":1:1"), std::string::npos) << f.err;
  }
}

// syscall_event_drops.actions is an enum list in the schema: an unknown
// action is refused when the configuration loads (exit 2, naming the key
// and the value), before any source or server starts.
TEST(Cli, UnknownDropActionExitsTwoNamingTheKey) {
  auto r = kestrel({"-o", "syscall_event_drops.actions=[log, panic]", "--list-rules"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_NE(r.err.find("'syscall_event_drops.actions'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'panic'"), std::string::npos) << r.err;
  auto run = kestrel({"-o", "syscall_event_drops.actions[]=sometimes", "-o", "engine.kind=none"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("'sometimes' is not one of: log, alert, exit, ignore"), std::string::npos) << run.err;
}

TEST(Cli, GvisorGenerateConfigNamesTheSocketAndThePoints) {
  auto r = kestrel({"--gvisor-generate-config=/run/test/k.sock"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["trace_session"]["name"], "Default");
  bool remote = false;
  for (const auto& sink : j["trace_session"]["sinks"])
    if (sink["name"] == "remote" && sink["config"]["endpoint"] == "/run/test/k.sock") remote = true;
  EXPECT_TRUE(remote) << r.out;
  std::set<std::string> points;
  for (const auto& p : j["trace_session"]["points"]) points.insert(p["name"].get<std::string>());
  // The default rules need execs (shell rules), opens (sensitive reads) and
  // container starts (sandbox identity).
  EXPECT_TRUE(points.count("sentry/execve")) << r.out;
  EXPECT_TRUE(points.count("syscall/openat/exit")) << r.out;
  EXPECT_TRUE(points.count("container/start")) << r.out;
}

TEST(Cli, EngineKindNoneHasNothingToDo) {
  auto r = kestrel({"-o", "engine.kind=none"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.err.find("engine.kind=none"), std::string::npos);
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

const std::string kShared = KESTREL_SHARED_DIR;

TEST(Cli, ValidateAcceptsUpstreamRulesAndExitsZero) {
  std::string rules = kShared + "/upstream-rules/falco_rules.yaml";
  auto r = kestrel({"-V", rules.c_str()});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find(": Ok"), std::string::npos) << r.out;
}

TEST(Cli, ValidateRejectsABrokenFileWithPositionAndExitsOne) {
  std::string rules = kShared + "/falco-regression/rules/invalid_macro_without_condition.yaml";
  auto r = kestrel({"-V", rules.c_str()});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_NE(r.out.find("invalid_macro_without_condition.yaml:1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LOAD_ERR_YAML_VALIDATE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Invalid"), std::string::npos);
}

TEST(Cli, ListFieldsBySource) {
  auto r = kestrel({"--list", "syscall"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_NE(r.out.find("proc.aname"), std::string::npos);
  EXPECT_NE(r.out.find("fd.sip"), std::string::npos);
  EXPECT_EQ(r.out.find("ka.verb"), std::string::npos) << "syscall listing must not show k8s audit fields";
  auto all = kestrel({"-L"});
  ASSERT_EQ(all.code, kExitOk);
  EXPECT_NE(all.out.find("ka.verb"), std::string::npos);
  auto bad = kestrel({"--list", "nosuch"});
  EXPECT_EQ(bad.code, kExitUsage);
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

// The default ruleset validates with no warnings at all.
TEST(DefaultRules, ValidateCleanly) {
  std::string rules = std::string(KESTREL_SOURCE_DIR) + "/rules";
  auto r = kestrel({"-V", rules.c_str()});
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_EQ(r.out.find("WARNING"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("LOAD_"), std::string::npos) << r.out;
}

TEST(DefaultRules, ListRulesShowsEveryEmbeddedRule) {
  std::ifstream in(std::string(KESTREL_SOURCE_DIR) + "/rules/kestrel_rules.yaml");
  std::string line;
  size_t declared = 0;
  while (std::getline(in, line)) declared += line.rfind("- rule: ", 0) == 0;
  ASSERT_GT(declared, 30u);
  auto r = kestrel({"--list-rules"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  size_t rows = std::count(r.out.begin(), r.out.end(), '\n') - 1;  // minus the header
  EXPECT_EQ(rows, declared);
  EXPECT_NE(r.out.find("Shell Spawned By Network Service"), std::string::npos);
  EXPECT_NE(r.out.find("T1059.004"), std::string::npos);
}

}  // namespace
}  // namespace kestrel
