// The fleet bus's pure parts: subject names, the node status message, the
// alert a central rebuilds from a node's JSON (formatted by the real nats
// output's format, outputs/alert_format.h), and the plan the nats: keys
// make. The bus itself is tested for real in fleet_cluster_test.py.
#include <gtest/gtest.h>

#include "app/collector_plan.h"
#include "app/fleet_node.h"
#include "fleet/nats_bus.h"
#include "fleet/node_status.h"
#include "outputs/alert_format.h"

namespace kestrel {
namespace {

KestrelConfig config_with(std::vector<std::string> overrides) {
  auto c = load_config({"", std::move(overrides)});
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? *c : KestrelConfig{};
}

TEST(FleetSubjects, NodeNamesBecomeOneToken) {
  EXPECT_EQ(fleet::alerts_subject("web-1"), "kestrel.web-1.alerts");
  EXPECT_EQ(fleet::events_subject("a.b c*>"), "kestrel.a_b_c__.events");
  EXPECT_EQ(fleet::status_subject(""), "kestrel.unnamed.status");
  EXPECT_EQ(fleet::node_of_subject("kestrel.web-1.alerts"), "web-1");
  EXPECT_EQ(fleet::node_of_subject("other.web-1.alerts"), "");
  EXPECT_EQ(fleet::node_of_subject("kestrel.nodots"), "");
}

TEST(FleetNodeStatus, RoundTripsAndRefusesWhatIsNotOne) {
  fleet::NodeStatus s{.node = "n1", .hostname = "h", .kernel = "6.1.0-57-amd64", .source = "kmod",
                      .driver = "kestrel_x.ko (driver index, sha256 0123456789ab)", .version = "0.1.0",
                      .time_ns = 1700000000123456789ULL, .uptime_s = 12.5, .events = 1000, .events_per_s = 80.5,
                      .drops = 3, .alerts = 7, .alerts_dropped = 1, .final = true, .driver_proven = true};
  auto back = fleet::parse_node_status(fleet::node_status_json(s));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->node, "n1");
  EXPECT_EQ(back->kernel, "6.1.0-57-amd64");
  EXPECT_EQ(back->driver, s.driver);
  EXPECT_EQ(back->time_ns, s.time_ns);
  EXPECT_EQ(back->events, 1000u);
  EXPECT_DOUBLE_EQ(back->events_per_s, 80.5);
  EXPECT_EQ(back->drops, 3u);
  EXPECT_EQ(back->alerts, 7u);
  EXPECT_EQ(back->alerts_dropped, 1u);
  EXPECT_TRUE(back->final);
  EXPECT_EQ(back->driver_proven, std::optional<bool>(true));
  // Without a driver index the key is absent, and reads back unset.
  s.driver_proven.reset();
  EXPECT_EQ(fleet::node_status_json(s).find("driver_proven"), std::string::npos);
  EXPECT_FALSE(fleet::parse_node_status(fleet::node_status_json(s))->driver_proven.has_value());
  EXPECT_FALSE(fleet::parse_node_status("[1,2]").ok());
  EXPECT_FALSE(fleet::parse_node_status("{\"kernel\":\"x\"}").ok());  // no node
  EXPECT_FALSE(fleet::parse_node_status("{\"node\":\"n\",\"events\":\"many\"}").ok());
  EXPECT_FALSE(fleet::parse_node_status("{\"node\":").ok());
}

// What the nats output publishes (every property on) comes back as the
// same alert, with the node as hostname and the rule's own text as output.
TEST(FleetAlert, TheCentralRebuildsTheNodesAlert) {
  engine::Alert a;
  a.time_ns = 1764999712123456789ULL;
  a.rule = "Read sensitive file untrusted";
  a.priority = engine::Priority::kWarning;
  a.source = "syscall";
  a.hostname = "node-host";
  a.output = "Sensitive file opened (file=/etc/shadow proc=cat)";
  a.output_fields = {{"fd.name", std::string("/etc/shadow")}, {"proc.pid", int64_t{42}},
                     {"proc.tty", uint64_t{0}}, {"proc.is_exe_writable", true}, {"container.id", std::monostate{}}};
  a.tags = {"filesystem", "mitre_credential_access"};
  engine::AlertFormatOptions format{.json = true, .include_message = true};
  auto back = alert_from_fleet_json(engine::format_alert(a, format), "node-a");
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->hostname, "node-a");
  EXPECT_EQ(back->time_ns, a.time_ns);
  EXPECT_EQ(back->rule, a.rule);
  EXPECT_EQ(back->priority, engine::Priority::kWarning);
  EXPECT_EQ(back->source, "syscall");
  EXPECT_EQ(back->output, a.output);
  EXPECT_EQ(back->tags, a.tags);
  // Same fields and values; evt.time (which the format adds) is not kept.
  std::map<std::string, engine::FieldValue> fields(back->output_fields.begin(), back->output_fields.end());
  EXPECT_EQ(fields.size(), 5u);
  EXPECT_EQ(std::get<std::string>(fields.at("fd.name")), "/etc/shadow");
  EXPECT_EQ(engine::field_value_json(fields.at("proc.pid")), 42);
  EXPECT_EQ(std::get<bool>(fields.at("proc.is_exe_writable")), true);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(fields.at("container.id")));
  // The central's own text line is the node's, with the node's time.
  EXPECT_EQ(engine::alert_text(*back, true), engine::alert_text(a, true));
}

TEST(FleetAlert, MalformedOnesAreRefusedNamingTheNode) {
  for (const char* bad : {"not json", "{}", R"({"rule":"r","priority":"Loud","time":"2026-01-01T00:00:00Z"})",
                          R"({"rule":"r","priority":"Warning","time":"yesterday"})",
                          R"({"rule":"r","priority":"Warning"})"}) {
    auto a = alert_from_fleet_json(bad, "node-x");
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_NE(a.status().to_string().find("node-x"), std::string::npos) << a.status().to_string();
  }
}

TEST(FleetPlan, NatsKeysMakeTheOutputStatusAndSource) {
  auto none = plan_collector({}, config_with({"engine.kind=ebpf"}), {}, "h");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->fleet);

  auto node = plan_collector({}, config_with({"engine.kind=ebpf", "nats.servers=[nats://127.0.0.1:4222]"}), {}, "h");
  ASSERT_TRUE(node.ok()) << node.status().to_string();
  ASSERT_TRUE(node->fleet);
  EXPECT_EQ(node->fleet->node, "h");  // the hostname by default
  EXPECT_EQ(node->fleet->source_kind, "ebpf");
  EXPECT_EQ(node->fleet->driver, "embedded modern eBPF probe");
  EXPECT_EQ(node->sinks.back().kind, SinkPlan::Kind::kNats);
  EXPECT_EQ(node->dispatch.sink_queue_capacity.at("nats"), 65536u);
  EXPECT_FALSE(node->sources.nats_alerts);

  // A central: no syscall source, the nats one, no publishing of its own.
  auto central = plan_collector({}, config_with({"engine.kind=none", "nats.servers=[nats://127.0.0.1:4222]",
                                                 "nats.consume_alerts=true", "nats.publish_alerts=false",
                                                 "nats.node=central"}),
                                {}, "h");
  ASSERT_TRUE(central.ok()) << central.status().to_string();
  EXPECT_TRUE(central->sources.nats_alerts);
  EXPECT_EQ(central->fleet->node, "central");
  for (const auto& s : central->sinks) EXPECT_NE(s.kind, SinkPlan::Kind::kNats);

  // The switches that need the bus are refused without it.
  for (const char* key : {"nats.consume_alerts=true", "nats.publish_events=true"}) {
    auto refused = plan_collector({}, config_with({"engine.kind=ebpf", key}), {}, "h");
    ASSERT_FALSE(refused.ok()) << key;
    EXPECT_NE(refused.status().to_string().find("nats.servers"), std::string::npos);
  }
  EXPECT_FALSE(plan_collector({}, config_with({"engine.kind=none"}), {}, "h").ok());
}

}  // namespace
}  // namespace kestrel
