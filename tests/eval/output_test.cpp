// Output formats: literal chunks, %field / %field[arg] / %(field) forms,
// <NA> for missing values, typed output_fields, and alert metadata.
#include <fcntl.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kestrel::engine::eval::testing
