// RuleEngine: rule_matching first/all, exceptions, buckets, priorities,
// selective capture, counters, and the upstream ruleset end to end.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/eval/rule_harness.h"

namespace kestrel::engine::eval::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names(const std::vector<Alert>& alerts) {
  std::vector<std::string> out;
  for (const auto& a : alerts) out.push_back(a.rule);
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { world.seed_tree(); }
  World world;
};

const std::string kTwoRules = rule_yaml("shadow read", "evt.type = openat and fd.name = /etc/shadow") +
                              rule_yaml("any etc open", "evt.type in (open, openat) and fd.name startswith /etc") +
                              rule_yaml("exec rule", "evt.type = execve and proc.name = curl");

TEST_F(EngineTest, RuleMatchingFirstStopsAtTheFirstMatch) {
  Compiled c = compile_rules(kTwoRules);
  ASSERT_EQ(c.error, "");
  const Event& e = world.openat(300, 5, "/etc/shadow", O_RDONLY);
  EXPECT_EQ(names(run(*c.engine, e, world.table())), std::vector<std::string>{"shadow read"});
}

TEST_F(EngineTest, RuleMatchingAllRaisesEveryMatchInOrder) {
  RuleEngineOptions opt;
  opt.rule_matching = RuleMatching::kAll;
  Compiled c = compile_rules(kTwoRules, opt);
  ASSERT_EQ(c.error, "");
  const Event& e = world.openat(300, 5, "/etc/shadow", O_RDONLY);
  EXPECT_EQ(names(run(*c.engine, e, world.table())), (std::vector<std::string>{"shadow read", "any etc open"}));
  const Event& other = world.openat(300, 6, "/etc/hosts", O_RDONLY);
  EXPECT_EQ(names(run(*c.engine, other, world.table())), std::vector<std::string>{"any etc open"});
}

TEST_F(EngineTest, BucketsOnlyEvaluateRulesForTheEventType) {
  Compiled c = compile_rules(kTwoRules);
  ASSERT_EQ(c.error, "");
  const Event& e = world.execve(300, "/usr/bin/curl", {"-s"}, "curl");
  EXPECT_EQ(names(run(*c.engine, e, world.table())), std::vector<std::string>{"exec rule"});
  auto stats = c.engine->rule_stats();
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0].evaluated, 0u);  // openat rules never saw the execve
  EXPECT_EQ(stats[1].evaluated, 0u);
  EXPECT_EQ(stats[2].evaluated, 1u);
  EXPECT_EQ(stats[2].matches, 1u);
  const Event& r = world.read(300, 5, 10);
  EXPECT_TRUE(run(*c.engine, r, world.table()).empty());
  EXPECT_EQ(c.engine->stats().events, 2u);
  EXPECT_EQ(c.engine->stats().rules_evaluated, 1u);
}

TEST_F(EngineTest, RulesWithoutTypeRestrictionSeeEveryEvent) {
  Compiled c = compile_rules(rule_yaml("any python", "proc.name = python3"));
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(run(*c.engine, world.read(300, 5, 1), world.table()).size(), 1u);
  EXPECT_EQ(run(*c.engine, world.close(300, 5), world.table()).size(), 1u);
  EXPECT_EQ(run(*c.engine, world.setuid(300, 0), world.table()).size(), 1u);
  EXPECT_TRUE(c.engine->required_event_types().test(KE_READ));
  EXPECT_TRUE(c.engine->required_event_types().test(KE_EXECVE));
}

TEST_F(EngineTest, BucketsKeepDefinitionOrderAcrossRestrictedAndUnrestrictedRules) {
  std::string yaml = rule_yaml("exec only", "evt.type = execve") + rule_yaml("anything", "proc.pid > 0") +
                     rule_yaml("open only", "evt.type = openat and proc.pid > 0");
  Compiled first = compile_rules(yaml);
  ASSERT_EQ(first.error, "");
  const Event& e = world.openat(300, 5, "/tmp/a", O_RDONLY);
  EXPECT_EQ(names(run(*first.engine, e, world.table())), std::vector<std::string>{"anything"});
  RuleEngineOptions opt;
  opt.rule_matching = RuleMatching::kAll;
  Compiled all = compile_rules(yaml, opt);
  ASSERT_EQ(all.error, "");
  EXPECT_EQ(names(run(*all.engine, e, world.table())), (std::vector<std::string>{"anything", "open only"}));
  const Event& x = world.execve(300, "/usr/bin/env", {}, "env");
  EXPECT_EQ(names(run(*all.engine, x, world.table())), (std::vector<std::string>{"exec only", "anything"}));
}

TEST_F(EngineTest, RequiredEventTypesAreTheUnionOfTheRules) {
  Compiled c = compile_rules(kTwoRules);
  ASSERT_EQ(c.error, "");
  EventTypeSet req = c.engine->required_event_types();
  EXPECT_TRUE(req.test(KE_OPENAT));
  EXPECT_TRUE(req.test(KE_OPEN));
  EXPECT_TRUE(req.test(KE_EXECVE));
  EXPECT_FALSE(req.test(KE_READ));
  EXPECT_FALSE(req.test(KE_CONNECT));
  EXPECT_EQ(req.count(), 3u);
}

TEST_F(EngineTest, MinimumPriorityAndDisabledRulesAreSkipped) {
  std::string yaml = rule_yaml("loud", "evt.type = openat", "o", "CRITICAL") +
                     rule_yaml("quiet", "evt.type = openat", "o", "DEBUG") +
                     "- rule: off\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: ERROR\n"
                     "  enabled: false\n";
  RuleEngineOptions opt;
  opt.rule_matching = RuleMatching::kAll;
  opt.min_priority = Priority::kWarning;
  Compiled c = compile_rules(yaml, opt);
  ASSERT_EQ(c.error, "");
  EXPECT_EQ(c.engine->rule_count(), 1u);
  EXPECT_EQ(c.engine->skipped_rules(), 2u);
  auto alerts = run(*c.engine, world.openat(300, 5, "/x", O_RDONLY), world.table());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "loud");
  EXPECT_EQ(alerts[0].priority, Priority::kCritical);
}

TEST_F(EngineTest, ExceptionsSuppressMatchesFromRuleFiles) {
  fs::path dir = fs::temp_directory_path() / ("kestrel_eval_exc_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "rules.yaml") << R"(
- list: trusted_readers
  items: [sshd, systemd]
- macro: open_read
  condition: evt.type in (open, openat) and evt.is_open_read = true
- rule: Read shadow
  desc: reading /etc/shadow
  condition: open_read and fd.name = /etc/shadow and not proc.name in (trusted_readers)
  output: "%proc.name read %fd.name"
  priority: WARNING
  exceptions:
    - name: known_tools
      fields: [proc.name, proc.pname]
      comps: [=, =]
      values:
        - [python3, bash]
    - name: dirs
      fields: proc.cwd
      comps: pmatch
      values: [/srv]
)";
  std::ofstream(dir / "local.yaml") << R"(
- rule: Read shadow
  exceptions:
    - name: dirs
      values: [/opt]
  append: true
)";
  LoadResult result;
  RuleSet set = load_rules({(dir / "rules.yaml").string(), (dir / "local.yaml").string()}, result);
  fs::remove_all(dir);
  for (const auto& msg : result.filtered(true)) ADD_FAILURE() << msg.code << ": " << msg.message;
  ASSERT_TRUE(result.ok());
  auto engine = RuleEngine::create(set);
  ASSERT_TRUE(engine.ok()) << engine.status().message();

  // python3 (parent bash) is excepted by known_tools.
  EXPECT_TRUE(run(**engine, world.openat(300, 5, "/etc/shadow", O_RDONLY), world.table()).empty());
  // A shell whose parent is sshd is not.
  EXPECT_EQ(run(**engine, world.openat(200, 5, "/etc/shadow", O_RDONLY), world.table()).size(), 1u);
  // The list excludes sshd itself.
  EXPECT_TRUE(run(**engine, world.openat(100, 5, "/etc/shadow", O_RDONLY), world.table()).empty());
  // The appended exception value (/opt) suppresses too.
  ProcSpec tool;
  tool.pid = 600;
  tool.ppid = 1;
  tool.comm = "backup";
  tool.exepath = "/opt/backup/bin/backup";
  tool.cwd = "/opt/backup";
  world.add_process(tool);
  EXPECT_TRUE(run(**engine, world.openat(600, 5, "/etc/shadow", O_RDONLY), world.table()).empty());
  tool.pid = 601;
  tool.cwd = "/var/tmp";
  world.add_process(tool);
  EXPECT_EQ(run(**engine, world.openat(601, 5, "/etc/shadow", O_RDONLY), world.table()).size(), 1u);
  // Writes are not reads.
  EXPECT_TRUE(run(**engine, world.openat(601, 6, "/etc/shadow", O_WRONLY), world.table()).empty());
}

TEST_F(EngineTest, CompileErrorNamesTheRule) {
  RuleSet set;
  LoadedRule r;
  r.name = "broken";
  r.source = "syscall";
  r.output = "x";
  r.evttypes = EvttypeSet::all();
  r.condition = std::make_unique<Expr>();
  r.condition->kind = ExprKind::kCheck;
  r.condition->left.field = "proc.nosuchfield";
  r.condition->op = CmpOp::kEq;
  r.condition->rhs = RhsKind::kValue;
  r.condition->values.push_back(Value{"x", false, {}});
  set.rules.push_back(std::move(r));
  auto engine = RuleEngine::create(set);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("rule 'broken'"), std::string::npos) << engine.status().message();
  EXPECT_NE(engine.status().message().find("proc.nosuchfield"), std::string::npos);
}

// The whole stable upstream ruleset compiles, and its rules fire on the
// events they describe.
class UpstreamRulesTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    LoadResult result;
    set = load_rules({std::string(KESTREL_SHARED_DIR) + "/upstream-rules/falco_rules.yaml"}, result);
    ASSERT_TRUE(result.ok());
    RuleEngineOptions opt;
    opt.rule_matching = RuleMatching::kAll;
    auto e = RuleEngine::create(set, opt);
    ASSERT_TRUE(e.ok()) << e.status().message();
    engine = std::move(e).value();
  }
  RuleSet set;
  std::unique_ptr<RuleEngine> engine;
};

TEST_F(UpstreamRulesTest, CompilesEveryEnabledRule) {
  size_t enabled = 0;
  for (const auto& r : set.rules) enabled += r.enabled ? 1 : 0;
  EXPECT_EQ(engine->rule_count(), enabled);
  EXPECT_GT(engine->rule_count(), 20u);
}

TEST(UpstreamRulesAll, IncubatingAndSandboxRulesCompileToo) {
  const std::string dir = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/";
  LoadResult result;
  RuleSet set = load_rules({dir + "falco_rules.yaml", dir + "falco-incubating_rules.yaml",
                            dir + "falco-sandbox_rules.yaml"},
                           result);
  ASSERT_TRUE(result.ok());
  auto engine = RuleEngine::create(set);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  size_t enabled = 0;
  for (const auto& r : set.rules) enabled += r.enabled && r.source == "syscall" ? 1 : 0;
  EXPECT_EQ((*engine)->rule_count(), enabled);
  EXPECT_GT((*engine)->rule_count(), 50u);
}

TEST_F(UpstreamRulesTest, SensitiveFileReadByAnUntrustedProgram) {
  auto alerts = run(*engine, world.openat(300, 5, "/etc/shadow", O_RDONLY), world.table());
  EXPECT_EQ(names(alerts), std::vector<std::string>{"Read sensitive file untrusted"});
  ASSERT_FALSE(alerts.empty());
  EXPECT_NE(alerts[0].output.find("file=/etc/shadow"), std::string::npos) << alerts[0].output;
  EXPECT_NE(alerts[0].output.find("process=python3"), std::string::npos) << alerts[0].output;
  EXPECT_TRUE(run(*engine, world.openat(300, 6, "/etc/hosts", O_RDONLY), world.table()).empty());
}

TEST_F(UpstreamRulesTest, ShellInAContainerWithATerminal) {
  ProcSpec shim;
  shim.pid = 450;
  shim.ppid = 1;
  shim.comm = "containerd-shim";
  shim.exepath = "/usr/bin/containerd-shim-runc-v2";
  world.add_process(shim);
  ProcSpec sh;
  sh.pid = 700;
  sh.ppid = 450;
  sh.comm = "runc:[2:INIT]";
  sh.exepath = "/usr/bin/runc";
  sh.tty = 34817;
  sh.container_id = "abcdef012345";
  world.add_process(sh);
  auto alerts = run(*engine, world.execve(700, "/bin/bash", {}, "bash"), world.table());
  EXPECT_EQ(names(alerts), std::vector<std::string>{"Terminal shell in container"});
}

TEST_F(UpstreamRulesTest, ExecutionFromDevShm) {
  auto alerts = run(*engine, world.execve(200, "/dev/shm/x", {"-q"}, "x"), world.table());
  EXPECT_EQ(names(alerts), std::vector<std::string>{"Execution from /dev/shm"});
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
