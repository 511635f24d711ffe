// The fleet correlator (app/fleet_correlator.h): distinct nodes, window
// edges, the re-arm rule, the key cap, and the load-time check.
#include "app/fleet_correlator.h"

#include <gtest/gtest.h>

namespace kestrel {
namespace {

constexpr uint64_t kSec = 1'000'000'000ull;

FleetCorrelation same_binary(uint64_t nodes = 3) {
  return FleetCorrelation{.name = "Same binary on many nodes",
                          .rule = "Exec from tmp",
                          .key = "proc.exepath",
                          .nodes = nodes,
                          .window = std::chrono::minutes(1),
                          .priority = "critical"};
}

engine::Alert exec_alert(const std::string& path, uint64_t t_ns, const std::string& rule = "Exec from tmp") {
  engine::Alert a;
  a.time_ns = t_ns;
  a.rule = rule;
  a.priority = engine::Priority::kWarning;
  a.source = "syscall";
  a.output_fields = {{"proc.name", std::string("x")}, {"proc.exepath", path}};
  return a;
}

TEST(FleetCorrelator, RaisesOnceWhenEnoughDistinctNodesHaveTheKey) {
  FleetCorrelator c({same_binary(3)});
  std::vector<engine::Alert> raised;
  c.offer(exec_alert("/tmp/x", 10 * kSec), "node-a", raised);
  c.offer(exec_alert("/tmp/x", 11 * kSec), "node-a", raised);  // same node again: still one
  c.offer(exec_alert("/tmp/x", 12 * kSec), "node-b", raised);
  c.offer(exec_alert("/tmp/y", 12 * kSec), "node-c", raised);  // another key
  EXPECT_TRUE(raised.empty());
  c.offer(exec_alert("/tmp/x", 13 * kSec), "node-c", raised);
  ASSERT_EQ(raised.size(), 1u);
  const engine::Alert& a = raised[0];
  EXPECT_EQ(a.rule, "Same binary on many nodes");
  EXPECT_EQ(a.priority, engine::Priority::kCritical);
  EXPECT_EQ(a.source, "syscall");
  EXPECT_EQ(a.time_ns, 13 * kSec);
  EXPECT_EQ(a.output,
            "Same binary on many nodes: proc.exepath=/tmp/x on 3 nodes within 1m (node-a, node-b, node-c)");
  ASSERT_EQ(a.output_fields.size(), 2u);
  EXPECT_EQ(a.output_fields[0].first, "proc.exepath");
  EXPECT_EQ(field_value_text(a.output_fields[0].second), "/tmp/x");
  EXPECT_EQ(a.output_fields[1].first, "fleet.nodes");
  EXPECT_EQ(field_value_text(a.output_fields[1].second), "node-a, node-b, node-c");
  // A fourth node while the key is still seen: no second alert.
  c.offer(exec_alert("/tmp/x", 14 * kSec), "node-d", raised);
  EXPECT_EQ(raised.size(), 1u);
  EXPECT_EQ(c.stats().raised, 1u);
  EXPECT_EQ(c.stats().keys_tracked, 2u);
}

TEST(FleetCorrelator, OtherRulesAndAlertsWithoutTheKeyAreNotCounted) {
  FleetCorrelator c({same_binary(2)});
  std::vector<engine::Alert> raised;
  c.offer(exec_alert("/tmp/x", 1 * kSec, "Some other rule"), "node-a", raised);
  c.offer(exec_alert("/tmp/x", 1 * kSec, "Some other rule"), "node-b", raised);
  engine::Alert no_key = exec_alert("", 1 * kSec);
  no_key.output_fields[1].second = std::monostate{};
  c.offer(no_key, "node-a", raised);
  c.offer(no_key, "node-b", raised);
  EXPECT_TRUE(raised.empty());
  EXPECT_EQ(c.stats().without_key, 2u);
  EXPECT_EQ(c.stats().keys_tracked, 0u);
}

TEST(FleetCorrelator, WindowEdgeIsInclusive) {
  // A node last seen exactly one window ago still counts; a nanosecond
  // more and it does not.
  {
    FleetCorrelator c({same_binary(2)});
    std::vector<engine::Alert> raised;
    c.offer(exec_alert("/tmp/x", 100 * kSec), "node-a", raised);
    c.offer(exec_alert("/tmp/x", 160 * kSec), "node-b", raised);
    EXPECT_EQ(raised.size(), 1u);
  }
  {
    FleetCorrelator c({same_binary(2)});
    std::vector<engine::Alert> raised;
    c.offer(exec_alert("/tmp/x", 100 * kSec), "node-a", raised);
    c.offer(exec_alert("/tmp/x", 160 * kSec + 1), "node-b", raised);
    EXPECT_TRUE(raised.empty());
    // node-a again: now both are within the window.
    c.offer(exec_alert("/tmp/x", 161 * kSec), "node-a", raised);
    EXPECT_EQ(raised.size(), 1u);
  }
}

TEST(FleetCorrelator, LateAlertKeepsTheNodesLatestTime) {
  FleetCorrelator c({same_binary(2)});
  std::vector<engine::Alert> raised;
  c.offer(exec_alert("/tmp/x", 200 * kSec), "node-a", raised);
  // node-b's alert arrives late, from before the window: not counted.
  c.offer(exec_alert("/tmp/x", 100 * kSec), "node-b", raised);
  EXPECT_TRUE(raised.empty());
  // A late one within the window counts.
  c.offer(exec_alert("/tmp/x", 150 * kSec), "node-b", raised);
  EXPECT_EQ(raised.size(), 1u);
}

TEST(FleetCorrelator, RearmsOnlyAfterAWholeWindowWithoutTheKey) {
  FleetCorrelator c({same_binary(2)});
  std::vector<engine::Alert> raised;
  c.offer(exec_alert("/tmp/x", 0 * kSec), "node-a", raised);
  c.offer(exec_alert("/tmp/x", 1 * kSec), "node-b", raised);
  ASSERT_EQ(raised.size(), 1u);
  // The key goes on being seen every 50 s, past several windows: quiet.
  for (uint64_t t = 50; t <= 300; t += 50) {
    c.offer(exec_alert("/tmp/x", t * kSec), "node-a", raised);
    c.offer(exec_alert("/tmp/x", t * kSec), "node-b", raised);
  }
  EXPECT_EQ(raised.size(), 1u);
  // Exactly one window after the last sighting: not yet re-armed.
  c.offer(exec_alert("/tmp/x", 360 * kSec), "node-a", raised);
  c.offer(exec_alert("/tmp/x", 360 * kSec), "node-b", raised);
  EXPECT_EQ(raised.size(), 1u);
  // More than a window without it: re-armed, and counting starts afresh
  // (node-b's earlier sighting is gone: one node is not enough).
  c.offer(exec_alert("/tmp/x", 500 * kSec), "node-a", raised);
  EXPECT_EQ(raised.size(), 1u);
  c.offer(exec_alert("/tmp/x", 501 * kSec), "node-b", raised);
  ASSERT_EQ(raised.size(), 2u);
  EXPECT_EQ(raised[1].time_ns, 501 * kSec);
  EXPECT_EQ(c.stats().raised, 2u);
}

TEST(FleetCorrelator, ExpiresKeysNotSeenWithinTheWindow) {
  FleetCorrelator c({same_binary(3)});
  std::vector<engine::Alert> raised;
  c.offer(exec_alert("/tmp/a", 0), "node-a", raised);
  c.offer(exec_alert("/tmp/b", 1 * kSec), "node-a", raised);
  EXPECT_EQ(c.stats().keys_tracked, 2u);
  c.offer(exec_alert("/tmp/c", 61 * kSec), "node-a", raised);  // /tmp/a is over a window old
  EXPECT_EQ(c.stats().keys_tracked, 2u);
  EXPECT_EQ(c.stats().expired, 1u);
  // Both over a window old at 200 s: /tmp/c is tracked afresh.
  c.offer(exec_alert("/tmp/c", 200 * kSec), "node-a", raised);
  EXPECT_EQ(c.stats().keys_tracked, 1u);
  EXPECT_EQ(c.stats().expired, 3u);
}

TEST(FleetCorrelator, CapEvictsTheLeastRecentlySeenKey) {
  FleetCorrelator c({same_binary(2)}, 2);
  std::vector<engine::Alert> raised;
  c.offer(exec_alert("/tmp/a", 1 * kSec), "node-a", raised);
  c.offer(exec_alert("/tmp/b", 2 * kSec), "node-a", raised);
  c.offer(exec_alert("/tmp/a", 3 * kSec), "node-a", raised);  // /tmp/a is now the most recent
  c.offer(exec_alert("/tmp/c", 4 * kSec), "node-a", raised);  // evicts /tmp/b
  EXPECT_EQ(c.stats().keys_tracked, 2u);
  EXPECT_EQ(c.stats().evicted, 1u);
  // /tmp/b starts afresh: node-a's sighting was evicted.
  c.offer(exec_alert("/tmp/b", 5 * kSec), "node-b", raised);
  EXPECT_TRUE(raised.empty());
  EXPECT_EQ(c.stats().evicted, 2u);  // (and evicted /tmp/a)
  // /tmp/c kept node-a.
  c.offer(exec_alert("/tmp/c", 6 * kSec), "node-b", raised);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(field_value_text(raised[0].output_fields[0].second), "/tmp/c");
}

TEST(FleetCorrelator, CheckNamesTheCorrelationAndTheRule) {
  engine::RuleSet rules;
  engine::LoadedRule r;
  r.name = "Exec from tmp";
  r.output = "exec from tmp (proc.name=%proc.name path=%proc.exepath parent=%proc.aname[2])";
  rules.rules.push_back(std::move(r));
  EXPECT_TRUE(check_fleet_correlations({same_binary()}, rules).ok());

  FleetCorrelation no_rule = same_binary();
  no_rule.rule = "No such rule";
  Status s = check_fleet_correlations({no_rule}, rules);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'Same binary on many nodes'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'No such rule' is not a loaded rule"), std::string::npos) << s.message();

  FleetCorrelation bad_key = same_binary();
  bad_key.key = "fd.name";
  s = check_fleet_correlations({bad_key}, rules);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("key 'fd.name' is not an output field of rule 'Exec from tmp'"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("proc.name, proc.exepath, proc.aname[2]"), std::string::npos) << s.message();

  rules.rules[0].enabled = false;
  s = check_fleet_correlations({same_binary()}, rules);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("disabled"), std::string::npos) << s.message();
}

TEST(FleetCorrelator, WindowText) {
  EXPECT_EQ(window_text(std::chrono::minutes(1)), "1m");
  EXPECT_EQ(window_text(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(window_text(std::chrono::hours(2)), "2h");
  EXPECT_EQ(window_text(std::chrono::milliseconds(1500)), "1500ms");
}

}  // namespace
}  // namespace kestrel
