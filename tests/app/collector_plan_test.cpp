// The collector's plan: which sources, sinks, engines and alarm actions a
// configuration, the command line and the loaded rules ask for. Pure: no
// root, no kernel, no sockets.
#include "app/collector_plan.h"

#include <gtest/gtest.h>

#include "app/config/config.h"
#include "app/rules_loading.h"
#include "engine/load_result.h"
#include "engine/rule_set.h"
#include "tests/support/rules_from_yaml.h"

#include <unistd.h>

#include <sstream>

namespace kestrel {
namespace {

KestrelConfig config_with(std::vector<std::string> overrides) {
  auto c = load_config({"", std::move(overrides)});
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? *c : KestrelConfig{};
}

std::vector<SinkPlan::Kind> kinds(const CollectorPlan& plan) {
  std::vector<SinkPlan::Kind> out;
  for (const auto& s : plan.sinks) out.push_back(s.kind);
  return out;
}

RulesNeeds needs_openat() {
  RulesNeeds needs;
  needs.event_types.set(KE_OPENAT);
  return needs;
}

TEST(CollectorPlan, DefaultsCaptureWhatRulesAndStateNeedToStdout) {
  auto plan = plan_collector({}, config_with({}), needs_openat(), "host1");
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plan->sources.syscall_kind, "auto");
  EXPECT_TRUE(plan->sources.capture.empty());
  EXPECT_FALSE(plan->sources.gvisor_alongside);
  EXPECT_TRUE(plan->capture.event_types.test(KE_OPENAT));
  EXPECT_EQ(plan->capture.event_types, needs_openat().event_types | state_event_types());
  EXPECT_FALSE(plan->capture.event_types.test(KE_READ));  // neither rules nor state need it
  EXPECT_EQ(kinds(*plan), std::vector{SinkPlan::Kind::kStdout});
  EXPECT_FALSE(plan->grpc_server);
  EXPECT_FALSE(plan->webserver);
  EXPECT_FALSE(plan->duration);
  EXPECT_EQ(plan->rule_engine.hostname, "host1");
  EXPECT_EQ(plan->rule_engine.rule_matching, engine::eval::RuleMatching::kFirst);
  // syscall_event_drops.actions defaults to log, alert.
  EXPECT_TRUE(plan->drop_alarm.log);
  EXPECT_TRUE(plan->drop_alarm.alert);
  EXPECT_FALSE(plan->drop_alarm.exit);
  EXPECT_DOUBLE_EQ(plan->drop_alarm.threshold, 0.1);
}

TEST(CollectorPlan, AllEventsAndDurationFromTheCommandLine) {
  CliOptions options;
  options.all_events = true;
  options.duration_s = 1.5;
  options.write_capture = "/tmp/x.kcap.gz";
  auto plan = plan_collector(options, config_with({}), needs_openat(), "h");
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->capture.event_types.all());
  ASSERT_TRUE(plan->duration);
  EXPECT_EQ(*plan->duration, std::chrono::milliseconds(1500));
  EXPECT_EQ(plan->write_capture, "/tmp/x.kcap.gz");
}

TEST(CollectorPlan, CaptureReplacesEverySource) {
  CliOptions options;
  options.capture = "in.kcap";
  auto plan = plan_collector(options, config_with({"engine.kind=ebpf", "engine.gvisor.enabled=true"}), {}, "h");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->sources.capture, "in.kcap");
  EXPECT_TRUE(plan->sources.syscall_kind.empty());
  EXPECT_FALSE(plan->sources.gvisor_alongside);
}

// Falco's drop monitor ticks on every event of a replay; simulated drops
// must not lose the seconds of events no rule reads (a .scap replay skips
// those otherwise, and ping_sendto.scap's 9 checkpoints fell to 0).
TEST(CollectorPlan, SimulatedDropsReplayEveryEventType) {
  CliOptions options;
  options.capture = "in.scap";
  auto plain = plan_collector(options, config_with({}), needs_openat(), "h");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->capture.event_types.all());
  auto simulated = plan_collector(options, config_with({"syscall_event_drops.simulate_drops=true"}), needs_openat(), "h");
  ASSERT_TRUE(simulated.ok());
  EXPECT_TRUE(simulated->capture.event_types.all());
  options.capture.clear();  // live: the clock is the wall clock, the filter stays
  auto live = plan_collector(options, config_with({"engine.kind=ebpf", "syscall_event_drops.simulate_drops=true"}), needs_openat(), "h");
  ASSERT_TRUE(live.ok());
  EXPECT_FALSE(live->capture.event_types.all());
}

TEST(CollectorPlan, GvisorRunsAlongsideTheHostSourceOrAlone) {
  auto both = plan_collector({}, config_with({"engine.kind=ebpf", "engine.gvisor.enabled=true"}), {}, "h");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->sources.syscall_kind, "ebpf");
  EXPECT_TRUE(both->sources.gvisor_alongside);
  auto alone = plan_collector({}, config_with({"engine.kind=gvisor", "engine.gvisor.enabled=true"}), {}, "h");
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->sources.syscall_kind, "gvisor");
  EXPECT_FALSE(alone->sources.gvisor_alongside);  // not twice
}

TEST(CollectorPlan, NoSourceAtAllIsAnError) {
  auto none = plan_collector({}, config_with({"engine.kind=none"}), {}, "h");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("engine.kind=none"), std::string::npos);
  auto capture = plan_collector({}, config_with({"engine.kind=capture"}), {}, "h");
  ASSERT_FALSE(capture.ok());
  EXPECT_NE(capture.status().message().find("-e FILE"), std::string::npos);
  // Plugin sources alone are a valid setup, each with its own engine.
  RulesNeeds plugins;
  plugins.plugin_event_sources = {"k8s_audit"};
  auto plugin_only = plan_collector({}, config_with({"engine.kind=none"}), plugins, "h");
  ASSERT_TRUE(plugin_only.ok()) << plugin_only.status().to_string();
  EXPECT_TRUE(plugin_only->sources.syscall_kind.empty());
  EXPECT_EQ(plugin_only->sources.plugin_event_sources, std::vector<std::string>{"k8s_audit"});
}

TEST(CollectorPlan, SinksInConfiguredOrderWithTheirSettings) {
  auto plan = plan_collector({},
                             config_with({"file_output.enabled=true", "file_output.filename=/tmp/a.txt",
                                          "file_output.keep_alive=true", "program_output.enabled=true",
                                          "program_output.program=cat", "syslog_output.enabled=true",
                                          "http_output.enabled=true", "http_output.url=http://127.0.0.1:1/",
                                          "output_timeout=750", "json_include_tags_property=false"}),
                             {}, "h");
  ASSERT_TRUE(plan.ok());
  using K = SinkPlan::Kind;
  EXPECT_EQ(kinds(*plan), (std::vector{K::kStdout, K::kFile, K::kProgram, K::kSyslog, K::kHttp}));
  EXPECT_EQ(plan->sinks[1].target, "/tmp/a.txt");
  EXPECT_TRUE(plan->sinks[1].keep_alive);
  EXPECT_EQ(plan->sinks[2].target, "cat");
  EXPECT_EQ(plan->sinks[4].target, "http://127.0.0.1:1/");
  EXPECT_EQ(plan->http.url, "http://127.0.0.1:1/");
  EXPECT_FALSE(plan->http.format.include_tags);
  EXPECT_EQ(plan->program_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(plan->dispatch.shutdown_timeout, std::chrono::milliseconds(750));
}

TEST(CollectorPlan, GrpcOutputNeedsTheServerAndExtendsTheDrain) {
  auto output_only = plan_collector({}, config_with({"grpc_output.enabled=true"}), {}, "h");
  ASSERT_TRUE(output_only.ok());
  EXPECT_FALSE(output_only->grpc_server);
  EXPECT_EQ(kinds(*output_only), std::vector{SinkPlan::Kind::kStdout});  // no server, no gRPC sink
  auto both = plan_collector({},
                             config_with({"grpc.enabled=true", "grpc.bind_address=unix:///tmp/k.sock",
                                          "grpc_output.enabled=true", "outputs.grpc.drain_timeout=9s",
                                          "outputs.grpc.wait_subscribers=2"}),
                             {}, "h");
  ASSERT_TRUE(both.ok());
  ASSERT_TRUE(both->grpc_server);
  EXPECT_EQ(both->grpc_server->bind_address, "unix:///tmp/k.sock");
  EXPECT_EQ(both->sinks.back().kind, SinkPlan::Kind::kGrpc);
  EXPECT_EQ(both->dispatch.shutdown_timeout, std::chrono::seconds(9));
  EXPECT_EQ(both->grpc_wait_subscribers, 2u);
}

TEST(CollectorPlan, WebserverMetricsStateAndEngineOptions) {
  auto plan = plan_collector({},
                             config_with({"webserver.enabled=true", "webserver.listen_port=0",
                                          "metrics.enabled=true", "metrics.interval=5s", "state.max_threads=77",
                                          "rule_matching=all", "priority=warning"}),
                             {}, "h");
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->webserver);
  EXPECT_EQ(plan->webserver->address, "127.0.0.1");
  EXPECT_EQ(plan->webserver->port, 0);
  EXPECT_TRUE(plan->metrics.enabled);
  EXPECT_EQ(plan->metrics.interval, std::chrono::seconds(5));
  EXPECT_EQ(plan->state.max_threads, 77u);
  EXPECT_EQ(plan->rule_engine.rule_matching, engine::eval::RuleMatching::kAll);
  EXPECT_EQ(plan->rule_engine.min_priority, engine::Priority::kWarning);
}

TEST(CollectorPlan, DropAlarmActions) {
  auto exit_only = plan_collector({}, config_with({"syscall_event_drops.actions=[exit]"}), {}, "h");
  ASSERT_TRUE(exit_only.ok());
  EXPECT_FALSE(exit_only->drop_alarm.log);
  EXPECT_FALSE(exit_only->drop_alarm.alert);
  EXPECT_TRUE(exit_only->drop_alarm.exit);
  auto ignore = plan_collector({}, config_with({"syscall_event_drops.actions=[ignore]"}), {}, "h");
  ASSERT_TRUE(ignore.ok());
  EXPECT_FALSE(ignore->drop_alarm.log || ignore->drop_alarm.alert || ignore->drop_alarm.exit);
  auto bucket = plan_collector({}, config_with({"syscall_event_drops.rate=2", "syscall_event_drops.max_burst=5",
                                               "syscall_event_drops.simulate_drops=true"}),
                               {}, "h");
  ASSERT_TRUE(bucket.ok());
  EXPECT_DOUBLE_EQ(bucket->drop_alarm.rate, 2);
  EXPECT_DOUBLE_EQ(bucket->drop_alarm.max_burst, 5);
  EXPECT_TRUE(bucket->drop_alarm.simulate_drops);
}

// Falco's checks and words (falco configuration.cpp): a threshold outside
// [0, 1], and "ignore" with an action that reports.
TEST(CollectorPlan, DropAlarmSettingsFalcoRefuses) {
  for (const char* threshold : {"syscall_event_drops.threshold=1.1", "syscall_event_drops.threshold=-1"}) {
    auto p = plan_collector({}, config_with({threshold}), {}, "h");
    ASSERT_FALSE(p.ok()) << threshold;
    EXPECT_NE(p.status().message().find("syscall event drops threshold must be a double in the range [0, 1]"),
              std::string::npos)
        << p.status().message();
  }
  EXPECT_TRUE(plan_collector({}, config_with({"syscall_event_drops.threshold=1"}), {}, "h").ok());
  EXPECT_TRUE(plan_collector({}, config_with({"syscall_event_drops.threshold=0"}), {}, "h").ok());
  for (const char* actions : {"syscall_event_drops.actions=[ignore, log]", "syscall_event_drops.actions=[alert, ignore]"}) {
    auto p = plan_collector({}, config_with({actions}), {}, "h");
    ASSERT_FALSE(p.ok()) << actions;
    EXPECT_NE(p.status().message().find("does not make sense with the \"ignore\" action"), std::string::npos)
        << p.status().message();
  }
  EXPECT_TRUE(plan_collector({}, config_with({"syscall_event_drops.actions=[ignore, exit]"}), {}, "h").ok());
  EXPECT_FALSE(plan_collector({}, config_with({"syscall_event_drops.rate=-1"}), {}, "h").ok());
}

// Rules drive fields: the process params the sources are asked for follow
// the fields the loaded rules read (conditions, exceptions, outputs).
engine::RuleSet rules_from(const std::string& yaml) { return testing::rules_from_yaml(yaml); }

CaptureRequest request_for(const std::string& yaml, CliOptions options = {}) {
  engine::RuleSet set = rules_from(yaml);
  auto engine = engine::eval::RuleEngine::create(set, {});
  EXPECT_TRUE(engine.ok());
  return capture_request(options, rules_needs(set, **engine, {}));
}

TEST(CollectorPlan, EntersAreAskedForOnlyWhereARuleCanMatchThem) {
  const std::string yaml = R"(
- rule: Reads
  desc: d
  condition: evt.type = read and evt.dir = < and fd.name = /x
  output: o
  priority: WARNING
- rule: Opens
  desc: d
  condition: evt.type = openat and proc.name = cat
  output: o
  priority: WARNING
)";
  CaptureRequest r = request_for(yaml);
  EXPECT_TRUE(r.event_types.test(KE_READ));
  EXPECT_FALSE(r.enter_event_types.test(KE_READ));  // evt.dir=<: a replay leaves read enters out
  EXPECT_TRUE(r.enter_event_types.test(KE_OPENAT));  // both directions, as Falco counts them
  // close is evaluated before its state change: its enter makes the thread known.
  EXPECT_TRUE(r.enter_event_types.test(KE_CLOSE));
  EXPECT_EQ(r.enter_event_types.count(), 2u);
  // -A shows every event, -w records every event: enters too.
  CliOptions all;
  all.all_events = true;
  EXPECT_TRUE(request_for(yaml, all).enter_event_types.all());
  CliOptions write;
  write.write_capture = "/tmp/x.scap";
  EXPECT_TRUE(request_for(yaml, write).enter_event_types.all());
}

TEST(CollectorPlan, RulesReadingOnlyProcNameAndFdNameAskForNoEnvOrCgroups) {
  CaptureRequest r = request_for(R"(
- rule: Open By Cat
  desc: d
  condition: evt.type = openat and proc.name = cat and fd.name startswith /etc
  output: "%proc.name opened %fd.name"
  priority: WARNING
)");
  EXPECT_FALSE(r.process_params.env);
  EXPECT_FALSE(r.process_params.cgroups);
  EXPECT_FALSE(r.process_params.exe_sha256);  // a sandbox is not asked to hash its executables
  EXPECT_TRUE(r.process_params.cwd);  // the thread table resolves relative paths with it
  EXPECT_TRUE(r.event_types.test(KE_OPENAT));
  EXPECT_TRUE(r.event_types.test(KE_EXECVE));  // the state tables' own needs stay
}

TEST(CollectorPlan, OnlyARuleReadingTheDigestAsksForExeSha256) {
  CaptureRequest digest = request_for(R"(
- rule: R
  desc: d
  condition: evt.type = execve and proc.exe_sha256 = "00"
  output: "%proc.name"
  priority: WARNING
)");
  EXPECT_TRUE(digest.process_params.exe_sha256);
  CaptureRequest all_args = request_for(R"(
- rule: R
  desc: d
  condition: evt.type = execve
  output: "%evt.args"
  priority: WARNING
)");
  EXPECT_FALSE(all_args.process_params.exe_sha256);  // evt.args does not make every Sentry hash
}

TEST(CollectorPlan, FieldsInConditionsExceptionsOrOutputsAskForTheirParams) {
  CaptureRequest by_output = request_for(R"(
- rule: R
  desc: d
  condition: evt.type = execve and proc.name = sh
  output: "%proc.name in %container.id"
  priority: WARNING
)");
  EXPECT_TRUE(by_output.process_params.cgroups);
  EXPECT_FALSE(by_output.process_params.env);
  CaptureRequest by_exception = request_for(R"(
- rule: R
  desc: d
  condition: evt.type = execve and proc.name = sh
  output: "%proc.name"
  priority: WARNING
  exceptions:
    - name: ci
      fields: [proc.env]
      comps: [contains]
      values: [[GITHUB_ACTIONS]]
)");
  EXPECT_TRUE(by_exception.process_params.env);
  EXPECT_FALSE(by_exception.process_params.cgroups);
  CaptureRequest by_arg = request_for(R"(
- rule: R
  desc: d
  condition: evt.type = execve and evt.arg.env contains LD_PRELOAD
  output: "%proc.name"
  priority: WARNING
)");
  EXPECT_TRUE(by_arg.process_params.env);
  CaptureRequest all_args = request_for(R"(
- rule: R
  desc: d
  condition: evt.type = execve
  output: "%proc.name %evt.args"
  priority: WARNING
)");
  EXPECT_TRUE(all_args.process_params.env && all_args.process_params.cgroups);
}

TEST(CollectorPlan, DisabledRulesAndRecordingsAndTheDefaultRules) {
  const std::string disabled = R"(
- rule: R
  desc: d
  condition: evt.type = execve and proc.env contains X
  output: "%proc.name %container.id"
  priority: WARNING
  enabled: false
)";
  CaptureRequest off = request_for(disabled);
  EXPECT_FALSE(off.process_params.env);
  EXPECT_FALSE(off.process_params.cgroups);
  CliOptions recording;
  recording.write_capture = "/tmp/r.kcap";  // a recording keeps every param
  EXPECT_EQ(request_for(disabled, recording).process_params, ProcessParamSet{});
  // Kestrel's own ruleset names container.id in its outputs and never
  // reads the environment.
  std::ostringstream log;
  auto defaults = load_configured_rules({}, log);
  ASSERT_TRUE(defaults.ok()) << defaults.status().to_string();
  auto engine = engine::eval::RuleEngine::create(*defaults, {});
  ASSERT_TRUE(engine.ok());
  CaptureRequest request = capture_request({}, rules_needs(*defaults, **engine, {}));
  EXPECT_FALSE(request.process_params.env);
  EXPECT_TRUE(request.process_params.cgroups);
}

}  // namespace
}  // namespace kestrel
