// Output formats: literal chunks, %field / %field[arg] / %(field) forms,
// <NA> for missing values, typed output_fields, and alert metadata.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "outputs/alert_format.h"
#include "tests/eval/rule_harness.h"

namespace kestrel::engine::eval::testing {
namespace {

class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override { world.seed_tree(); }

  Alert alert_for(const std::string& output, const Event& e) {
    RuleEngineOptions opt;
    opt.hostname = "node-1";
    Compiled c = compile_rules(rule_yaml("Out rule", "evt.type in (openat, connect)", output, "ERROR") , opt);
    EXPECT_EQ(c.error, "");
    if (!c.engine) return {};
    auto alerts = run(*c.engine, e, world.table());
    EXPECT_EQ(alerts.size(), 1u);
    return alerts.empty() ? Alert{} : alerts[0];
  }

  World world;
};

TEST_F(OutputTest, SubstitutesFieldsInEveryForm) {
  const Event& e = world.openat(300, 5, "/etc/shadow", O_RDONLY | O_CLOEXEC, 1700000000000000000ull);
  Alert a = alert_for("File opened by %proc.name (parent %proc.aname[1], pid=%proc.pid) file=%(fd.name) "
                      "flags=%evt.arg.flags.",
                      e);
  EXPECT_EQ(a.output, "File opened by python3 (parent bash, pid=300) file=/etc/shadow flags=O_RDONLY|O_CLOEXEC.");
  EXPECT_EQ(a.rule, "Out rule");
  EXPECT_EQ(a.priority, Priority::kError);
  EXPECT_EQ(a.hostname, "node-1");
  EXPECT_EQ(a.source, "syscall");
  EXPECT_EQ(a.time_ns, 1700000000000000000ull);
}

// Upstream rules print %evt.arg.flags on exec alerts: Falco's name for the
// image flags Kestrel's process block calls exe_flags.
TEST_F(OutputTest, ExecFlagsAnswerToFalcosName) {
  Compiled c = compile_rules(rule_yaml("Exec rule", "evt.type = execve", "f=%evt.arg.flags e=%evt.arg.exe_flags", "ERROR"),
                             RuleEngineOptions{});
  ASSERT_EQ(c.error, "");
  auto alerts = run(*c.engine, world.execve(300, "/usr/bin/curl", {"-s"}, "curl"), world.table());
  ASSERT_EQ(alerts.size(), 1u);
  const std::string& out = alerts[0].output;
  const size_t e = out.find(" e=");
  ASSERT_NE(e, std::string::npos) << out;
  EXPECT_EQ(out.substr(2, e - 2), out.substr(e + 3)) << out;
  EXPECT_EQ(out.find("<NA>"), std::string::npos) << out;
}

TEST_F(OutputTest, MissingValuesPrintNA) {
  const Event& e = world.openat(300, 5, "/etc/shadow", O_RDONLY);
  Alert a = alert_for("ip=%fd.sip image=%container.image.repository anc=%proc.aname[7]", e);
  EXPECT_EQ(a.output, "ip=<NA> image=<NA> anc=<NA>");
  ASSERT_EQ(a.output_fields.size(), 3u);
  for (const auto& [key, value] : a.output_fields) {
    EXPECT_TRUE(std::holds_alternative<std::monostate>(value)) << key;
  }
}

TEST_F(OutputTest, OutputFieldsAreTypedAndDeduplicated) {
  const Event& e = world.openat(300, 5, "/etc/shadow", O_RDONLY, 1700000000000000000ull);
  Alert a = alert_for("%proc.name %proc.pid %user.uid %evt.failed %proc.name %evt.time", e);
  ASSERT_EQ(a.output_fields.size(), 5u);
  EXPECT_EQ(a.output_fields[0].first, "proc.name");
  EXPECT_EQ(std::get<std::string>(a.output_fields[0].second), "python3");
  EXPECT_EQ(a.output_fields[1].first, "proc.pid");
  EXPECT_EQ(std::get<int64_t>(a.output_fields[1].second), 300);
  EXPECT_EQ(std::get<uint64_t>(a.output_fields[2].second), 1000u);
  EXPECT_EQ(std::get<bool>(a.output_fields[3].second), false);
  // evt.time: text in the message, the raw ns timestamp in the fields.
  EXPECT_EQ(a.output_fields[4].first, "evt.time");
  EXPECT_EQ(std::get<uint64_t>(a.output_fields[4].second), 1700000000000000000ull);
}

TEST_F(OutputTest, SocketsAndJson) {
  const uint8_t l[4] = {10, 0, 0, 5}, r[4] = {93, 184, 216, 34};
  world.socket(300, 7, 2, 1);
  const Event& e = world.connect(300, 7, l, 45000, r, 443);
  Alert a = alert_for("connection %fd.name to %fd.rip:%fd.rport (%fd.l4proto)", e);
  EXPECT_EQ(a.output, "connection 10.0.0.5:45000->93.184.216.34:443 to 93.184.216.34:443 (tcp)");
  AlertFormatOptions json;
  json.json = true;
  std::string text = format_alert(a, json);
  EXPECT_NE(text.find("\"fd.rport\":443"), std::string::npos) << text;
  EXPECT_NE(text.find("\"fd.rip\":\"93.184.216.34\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"hostname\":\"node-1\""), std::string::npos) << text;
}

TEST_F(OutputTest, TagsAndPercentSignsWithoutFields) {
  std::string yaml = "- rule: tagged\n  desc: d\n  condition: evt.type = openat\n  output: 100% sure %proc.name\n"
                     "  priority: INFO\n  tags: [b_tag, a_tag]\n";
  Compiled c = compile_rules(yaml);
  ASSERT_EQ(c.error, "");
  auto alerts = run(*c.engine, world.openat(300, 5, "/x", O_RDONLY), world.table());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].output, "100% sure python3");
  EXPECT_EQ(alerts[0].tags, (std::vector<std::string>{"a_tag", "b_tag"}));
  EXPECT_EQ(alerts[0].priority, Priority::kInformational);
}

// Falco's append_output: extra_output joins the text after a space for
// the rules an entry matches (source, all its tags, rule name); extra_fields
// reach only JSON's output_fields — a field name typed, a custom name its
// rendered format — never the text.
TEST_F(OutputTest, AppendOutputAddsTextAndFieldsToTheRulesItMatches) {
  const std::string rules = "- rule: Tagged\n  desc: d\n  condition: evt.type = openat\n  output: opened %fd.name\n"
                            "  priority: WARNING\n  tags: [filesystem, mitre]\n"
                            "- rule: Other\n  desc: d\n  condition: evt.type = openat\n  output: other\n"
                            "  priority: NOTICE\n  tags: [filesystem]\n";
  RuleEngineOptions opt;
  opt.rule_matching = RuleMatching::kAll;
  opt.append_output = {
      {.source = "syscall", .extra_output = "pid=%proc.pid", .extra_fields = {{"proc.name", ""}, {"who", "u=%user.uid"}}},
      {.tags = {"filesystem", "mitre"}, .extra_output = "tagged"},
      {.rule = "Other", .extra_output = "by-name"},
      {.source = "k8s_audit", .extra_output = "never"},
  };
  Compiled c = compile_rules(rules, opt);
  ASSERT_EQ(c.error, "");
  const Event& e = world.openat(300, 5, "/etc/shadow", O_RDONLY, 1700000000000000000ull);
  auto alerts = run(*c.engine, e, world.table());
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].output, "opened /etc/shadow pid=300 tagged");
  EXPECT_EQ(alerts[1].output, "other pid=300 by-name");
  ASSERT_EQ(alerts[0].extra_fields.size(), 2u);
  EXPECT_EQ(alerts[0].extra_fields[0].first, "proc.name");
  EXPECT_EQ(std::get<std::string>(alerts[0].extra_fields[0].second), "python3");
  EXPECT_EQ(alerts[0].extra_fields[1].first, "who");
  EXPECT_EQ(std::get<std::string>(alerts[0].extra_fields[1].second), "u=1000");
  // In JSON's output_fields, not in the text line.
  auto j = nlohmann::json::parse(format_alert(alerts[0], {.json = true}));
  EXPECT_EQ(j["output_fields"]["proc.name"], "python3");
  EXPECT_EQ(j["output_fields"]["who"], "u=1000");
  EXPECT_EQ(j["output_fields"]["proc.pid"], 300);
  EXPECT_EQ(j["output"].get<std::string>().find("u=1000"), std::string::npos);
}

TEST_F(OutputTest, AppendOutputNamingAnUnknownFieldFailsTheRule) {
  RuleEngineOptions opt;
  opt.append_output = {{.extra_output = "%no.such_field"}};
  Compiled c = compile_rules(rule_yaml("R", "evt.type = openat"), opt);
  EXPECT_NE(c.error.find("no.such_field"), std::string::npos) << c.error;
}

// Falco 0.42's rule keys: `capture: true` and `capture_duration` (ms) ride
// on the alert to the triggered capture; a rule without them asks for none.
TEST_F(OutputTest, CaptureKeysReachTheAlert) {
  const std::string rules = "- rule: Captures\n  desc: d\n  condition: evt.type = openat\n  output: o\n"
                            "  priority: WARNING\n  capture: true\n  capture_duration: 7000\n"
                            "- rule: Plain\n  desc: d\n  condition: evt.type = openat\n  output: o\n"
                            "  priority: WARNING\n";
  RuleEngineOptions opt;
  opt.rule_matching = RuleMatching::kAll;
  Compiled c = compile_rules(rules, opt);
  ASSERT_EQ(c.error, "");
  auto alerts = run(*c.engine, world.openat(300, 5, "/etc/shadow", O_RDONLY), world.table());
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_TRUE(alerts[0].capture);
  EXPECT_EQ(alerts[0].capture_duration_ms, 7000u);
  EXPECT_FALSE(alerts[1].capture);
  EXPECT_EQ(alerts[1].capture_duration_ms, 0u);
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
