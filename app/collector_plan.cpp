#include "app/collector_plan.h"

#include "app/static_fields.h"
#include "app/fleet_node.h"
#include "app/node_facts.h"

#include <algorithm>
#include <cstdio>

#include "engine/eval/kernel_filter.h"
#include "sources/event/event_table.h"

namespace kestrel {

EventTypeSet state_event_types() {
  EventTypeSet types;
  for (const auto& e : all_events())
    if (e.flags & KEF_STATE) types.set(e.type);
  return types;
}

engine::eval::RuleEngineOptions rule_engine_options(const KestrelConfig& config, const std::string& hostname) {
  engine::eval::RuleEngineOptions options;
  options.rule_matching =
      config.rule_matching == "all" ? engine::eval::RuleMatching::kAll : engine::eval::RuleMatching::kFirst;
  options.min_priority = engine::parse_priority(config.priority).value_or(engine::Priority::kDebug);
  options.hostname = hostname;
  // Falco's append_output: the config's entries (and -p's) in the engine's terms.
  for (const AppendOutput& entry : config.append_output) {
    const engine::AppendOutput& out = options.append_output.emplace_back(engine_append_output(entry));
    // Falco appends the suggested fields after the entry's own format, one
    // format each: here static_fields' (app/static_fields.h).
    if (entry.suggested_output) {
      const engine::AppendOutput match = out;
      for (auto& e : suggested_static_output(match, config.static_fields)) options.append_output.push_back(std::move(e));
    }
  }
  return options;
}

engine::AppendOutput engine_append_output(const AppendOutput& entry) {
  engine::AppendOutput out;
  if (!entry.match_source.empty()) out.source = entry.match_source;
  if (!entry.match_rule.empty()) out.rule = entry.match_rule;
  out.tags = entry.match_tags;
  out.extra_output = entry.extra_output;
  for (const auto& [name, format] : entry.extra_fields) out.extra_fields.push_back({name, format});
  return out;
}

CaptureRequest capture_request(const CliOptions& options, const RulesNeeds& needs) {
  CaptureRequest request;
  request.event_types = needs.event_types | state_event_types();
  // Plugin events a capture holds are replayed to their plugins' rules.
  if (!needs.plugin_event_sources.empty()) request.event_types.set(KE_PLUGINEVENT);
  if (options.all_events) request.event_types.set();
  if (!options.write_capture.empty()) return request;  // every process param, every enter
  // -A shows every event: enters too.
  request.enter_event_types = options.all_events ? EventTypeSet().set() : needs.enter_event_types;
  // close is evaluated before its state change (Pipeline::handle): its
  // enter is what makes an unknown thread known (resolved from a late
  // process list) before the rules read the exit. Kept.
  request.enter_event_types.set(KE_CLOSE);
  request.process_params.env = needs.process_params.env;
  request.process_params.cgroups = needs.process_params.cgroups;
  request.process_params.exe_sha256 = needs.process_params.exe_sha256;
  request.process_params.cwd = true;  // the state tables resolve paths against it
  // -A shows every event the types name, so nothing is dropped in the kernel.
  if (!options.all_events) request.kernel_filters = needs.kernel_filters;
  return request;
}

Status apply_base_syscalls(CaptureRequest& request, const KestrelConfig& config, const RulesNeeds& needs) {
  for (const auto& entry : config.base_syscalls.custom_set) {
    const bool leave_out = entry.starts_with('!');
    const std::string name = leave_out ? entry.substr(1) : entry;
    const auto type = event_type_by_name(name);
    if (!type)
      return Status(StatusCode::kInvalidArgument,
                    "base_syscalls.custom_set: '" + name + "' is not an event type (kestrel --list-events)");
    if (!leave_out) request.event_types.set(*type);
    else if (!needs.event_types.test(*type)) request.event_types.reset(*type);
  }
  return ok_status();
}

RulesNeeds rules_needs(const engine::RuleSet& rules, const engine::eval::RuleEngine& engine,
                       const engine::eval::RuleEngineOptions& options) {
  RulesNeeds needs;
  needs.event_types = engine.required_event_types();
  needs.enter_event_types = engine.required_enter_types();
  needs.process_params =
      engine::process_params_read(engine::fields_read(rules, options.source, options.min_priority));
  needs.kernel_filters = engine::eval::derive_kernel_filters(rules, options.source, options.min_priority,
                                                             !options.append_output.empty());
  return needs;
}

namespace {

// Falco's metrics.*_enabled switches as the groups the Falco-shaped
// renderings carry; per-CPU counters turn the kernel counters on, as in Falco.
MetricsGroups metrics_groups(const KestrelConfig& config) {
  const auto& m = config.metrics;
  return MetricsGroups{.rules_counters = m.rules_counters_enabled,
                       .resource_utilization = m.resource_utilization_enabled,
                       .state_counters = m.state_counters_enabled,
                       .kernel_event_counters = m.kernel_event_counters_enabled || m.kernel_event_counters_per_cpu_enabled,
                       .kernel_event_counters_per_cpu = m.kernel_event_counters_per_cpu_enabled,
                       .libbpf_stats = m.libbpf_stats_enabled,
                       .plugins_metrics = m.plugins_metrics_enabled,
                       .convert_memory_to_mb = m.convert_memory_to_mb,
                       .include_empty_values = m.include_empty_values};
}

Result<SourcePlan> plan_sources(const CliOptions& options, const KestrelConfig& config, const RulesNeeds& needs) {
  SourcePlan plan;
  plan.plugin_event_sources = needs.plugin_event_sources;
  if (!options.capture.empty()) {
    plan.capture = options.capture;
    return plan;
  }
  const std::string& kind = config.engine.kind;
  plan.remote_listen = config.remote.listen;
  plan.nats_alerts = config.nats.consume_alerts;
  plan.nats_events = config.nats.consume_events;
  if (kind == "none") {
    if (needs.plugin_event_sources.empty() && plan.remote_listen.empty() && !plan.nats_alerts && !plan.nats_events)
      return Status(StatusCode::kInvalidArgument, "engine.kind=none and no -e capture: there is no event source");
    return plan;
  }
  if (kind == "capture") return Status(StatusCode::kInvalidArgument, "engine.kind=capture needs -e FILE");
  plan.syscall_kind = kind;
  // Sandboxes alongside the host: one stream, events tagged by domain.
  plan.gvisor_alongside = kind != "gvisor" && config.engine.gvisor_enabled;
  return plan;
}

std::vector<SinkPlan> plan_sinks(const KestrelConfig& config) {
  std::vector<SinkPlan> sinks;
  using Kind = SinkPlan::Kind;
  if (config.stdout_output.enabled) sinks.push_back({Kind::kStdout, "", false});
  if (config.file_output.enabled)
    sinks.push_back({Kind::kFile, config.file_output.filename, config.file_output.keep_alive});
  if (config.program_output.enabled)
    sinks.push_back({Kind::kProgram, config.program_output.program, config.program_output.keep_alive});
  if (config.syslog_output.enabled) sinks.push_back({Kind::kSyslog, "", false});
  if (config.http_output.enabled) sinks.push_back({Kind::kHttp, config.http_output.url, false});
  // Alerts reach gRPC subscribers only through the server's hub.
  if (config.grpc.enabled && config.grpc_output.enabled) sinks.push_back({Kind::kGrpc, "", false});
  if (!config.nats.servers.empty() && config.nats.publish_alerts) sinks.push_back({Kind::kNats, "", false});
  return sinks;
}

engine::DispatcherOptions plan_dispatch(const KestrelConfig& config) {
  engine::DispatcherOptions dispatch;
  dispatch.format.json = config.json_output;
  dispatch.format.include_output = config.json_include_output_property;
  dispatch.format.include_tags = config.json_include_tags_property;
  dispatch.format.include_message = config.json_include_message_property;
  dispatch.format.include_output_fields = config.json_include_output_fields_property;
  dispatch.format.iso_time = config.time_format_iso_8601;
  dispatch.format.ocsf = config.outputs.ocsf;
  dispatch.queue_capacity = config.outputs.queue_capacity;
  dispatch.sink_queue_capacity["http"] = config.outputs.http_queue_capacity;
  dispatch.sink_queue_capacity["nats"] = config.nats.queue_capacity;
  // At exit the outputs get output_timeout to deliver what is queued; gRPC
  // subscribers keep their own (longer) drain time if one is configured.
  dispatch.shutdown_timeout = config.output_timeout;
  if (config.grpc_output.enabled)
    dispatch.shutdown_timeout = std::max(dispatch.shutdown_timeout, config.outputs.grpc_drain_timeout);
  dispatch.rate_per_second = static_cast<double>(config.outputs.rate);
  dispatch.max_burst = static_cast<double>(config.outputs.max_burst);
  return dispatch;
}

// nats: — nothing without servers; the switches that need the bus are
// refused without it rather than silently doing nothing.
Result<std::optional<FleetPlan>> plan_fleet(const CliOptions& options, const KestrelConfig& config,
                                            const SourcePlan& sources, const std::string& hostname) {
  const auto& nats = config.nats;
  if (nats.servers.empty()) {
    if (nats.consume_alerts) return Status(StatusCode::kInvalidArgument, "nats.consume_alerts needs nats.servers");
    if (nats.consume_events) return Status(StatusCode::kInvalidArgument, "nats.consume_events needs nats.servers");
    if (nats.publish_events) return Status(StatusCode::kInvalidArgument, "nats.publish_events needs nats.servers");
    return std::optional<FleetPlan>();
  }
  if (nats.replicas < 1 || nats.replicas > 5)
    return Status(StatusCode::kInvalidArgument, "nats.replicas must be 1 to 5 (JetStream's limit), not " +
                                                    std::to_string(nats.replicas));
  if (nats.status_interval.count() <= 0)
    return Status(StatusCode::kInvalidArgument, "nats.status_interval must be positive");
  FleetPlan fleet;
  fleet.bus = nats_bus_options(config);
  fleet.node = nats_node_name(config, hostname);
  fleet.publish_alerts = nats.publish_alerts;
  fleet.publish_events = nats.publish_events;
  fleet.status_interval = nats.status_interval;
  fleet.durable = nats.durable;
  fleet.events_durable = nats.events_durable;
  if (nats.consume_events && nats.consume_alerts && nats.events_durable == nats.durable)
    return Status(StatusCode::kInvalidArgument, "nats.events_durable and nats.durable must differ: one JetStream "
                                                "consumer reads one subject (both are '" + nats.durable + "')");
  fleet.source_kind = !options.capture.empty()      ? "capture"
                      : sources.syscall_kind.empty() ? "none"
                                                     : sources.syscall_kind;
  fleet.driver = describe_driver(fleet.source_kind, config, options.capture);
  if (!config.engine.kmod_index.empty())
    fleet.driver_proven = driver_index_facts(config.engine.kmod_index).value("proven", false);
  return std::optional<FleetPlan>(std::move(fleet));
}

// syscall_event_drops, checked as Falco checks it (its words, which
// Falco's regression tests look for).
Result<DropAlarmOptions> plan_drop_alarm(const KestrelConfig& config) {
  const auto& drops = config.syscall_event_drops;
  auto invalid = [](const std::string& key, const std::string& what) {
    return Status(StatusCode::kInvalidArgument, "config key 'syscall_event_drops." + key + "': " + what);
  };
  if (!(drops.threshold >= 0 && drops.threshold <= 1)) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", drops.threshold);
    return invalid("threshold", std::string("syscall event drops threshold must be a double in the range [0, 1], not ") +
                                    value);
  }
  if (drops.rate < 0) return invalid("rate", "must not be negative");
  if (drops.max_burst < 0) return invalid("max_burst", "must not be negative");
  DropAlarmOptions alarm{.threshold = drops.threshold,
                         .log = false,
                         .alert = false,
                         .exit = false,
                         .rate = drops.rate,
                         .max_burst = drops.max_burst,
                         .simulate_drops = drops.simulate_drops};
  // The schema admits only these names. "ignore" adds nothing and, as in
  // Falco, cannot go with an action that reports (in either order here).
  bool ignore = false;
  std::string reporting;
  for (const auto& action : drops.actions) {
    if (action == "log") alarm.log = true;
    else if (action == "alert") alarm.alert = true;
    else if (action == "exit") alarm.exit = true;
    else if (action == "ignore") ignore = true;
    if ((action == "log" || action == "alert") && reporting.empty()) reporting = action;
  }
  if (ignore && !reporting.empty())
    return invalid("actions", "syscall event drop action \"" + reporting +
                                  "\" does not make sense with the \"ignore\" action");
  return alarm;
}

}  // namespace

Result<CollectorPlan> plan_collector(const CliOptions& options, const KestrelConfig& config, const RulesNeeds& needs,
                                     const std::string& hostname) {
  CollectorPlan plan;
  auto sources = plan_sources(options, config, needs);
  if (!sources.ok()) return sources.status();
  plan.sources = std::move(*sources);
  plan.capture = capture_request(options, needs);
  if (Status s = apply_base_syscalls(plan.capture, config, needs); !s.ok()) return s;
  // Falco's drop monitor ticks on the time of every event of a replay, not
  // only of those the rules read; simulated drops (the test of that monitor)
  // therefore need every event, which a .scap replay would otherwise skip.
  if (!options.capture.empty() && config.syscall_event_drops.simulate_drops) plan.capture.event_types.set();
  // Rule captures record the events around a match, which need not match.
  if (!config.engine.kernel_filter || config.capture.enabled) plan.capture.kernel_filters.clear();
  plan.rule_engine = rule_engine_options(config, hostname);
  plan.state = ThreadTableConfig{config.state.max_threads, config.state.max_fds_per_process,
                                 config.engine.memory_limit_mb << 20};

  plan.sinks = plan_sinks(config);
  plan.buffered_outputs = config.buffered_outputs;
  plan.http.url = config.http_output.url;
  plan.http.user_agent = config.http_output.user_agent;
  plan.http.max_backoff = config.outputs.http_max_backoff;
  plan.http.request_timeout = config.outputs.http_timeout;
  plan.http.format.include_output = config.json_include_output_property;
  plan.http.format.include_tags = config.json_include_tags_property;
  plan.http.format.include_message = config.json_include_message_property;
  plan.http.format.include_output_fields = config.json_include_output_fields_property;
  plan.http.format.iso_time = config.time_format_iso_8601;
  if (auto fleet = plan_fleet(options, config, plan.sources, hostname); !fleet.ok()) return fleet.status();
  else plan.fleet = std::move(*fleet);
  if (plan.fleet) plan.nats = engine::NatsSinkOptions{.node = plan.fleet->node, .iso_time = config.time_format_iso_8601};
  plan.program_timeout = config.output_timeout;
  plan.grpc_drain_timeout = config.outputs.grpc_drain_timeout;
  plan.dispatch = plan_dispatch(config);

  if (config.grpc.enabled) {
    plan.grpc_server = engine::GrpcServerOptions{.bind_address = config.grpc.bind_address,
                                                 .threadiness = config.grpc.threadiness,
                                                 .private_key = config.grpc.private_key,
                                                 .cert_chain = config.grpc.cert_chain,
                                                 .root_certs = config.grpc.root_certs,
                                                 .version = KESTREL_VERSION};
    plan.grpc_wait_subscribers = config.outputs.grpc_wait_subscribers;
    plan.grpc_wait_timeout = config.outputs.grpc_wait_timeout;
  }
  if (config.webserver.enabled)
    plan.webserver = WebserverPlan{config.webserver.listen_address, static_cast<uint16_t>(config.webserver.listen_port),
                                   config.webserver.k8s_healthz_endpoint, config.webserver.prometheus_metrics_enabled};
  if (config.store.enabled && (options.capture.empty() || config.store.replays)) {
    plan.store = store::StoreOptions{config.store.path, config.store.retention_days, config.store.max_size_mb};
    plan.dispatch.sink_queue_capacity["store"] = config.store.queue_capacity;
  }
  auto drop_alarm = plan_drop_alarm(config);
  if (!drop_alarm.ok()) return drop_alarm.status();
  plan.drop_alarm = *drop_alarm;
  plan.metrics = MetricsPlan{config.metrics.enabled, config.metrics.interval, config.metrics.output_file,
                             config.metrics.output_rule, config.metrics.kestrel_output_file,
                             metrics_groups(config)};
  if (config.capture.enabled) {
    plan.triggered_capture = TriggeredCaptureOptions{
        .path_prefix = config.capture.path_prefix,
        .all_rules = config.capture.mode == "all_rules",
        .default_duration_ms = static_cast<uint64_t>(config.capture.default_duration.count()),
        .max_file_size_bytes = config.capture.max_file_size_mb * 1048576ULL};
  }
  plan.write_capture = options.write_capture;
  if (!plan.write_capture.empty()) {
    auto format = capture_format_for(plan.write_capture, options.capture_format);
    if (!format.ok()) return format.status();
    plan.write_format = *format;
  }
  if (options.duration_s) plan.duration = std::chrono::milliseconds(static_cast<int64_t>(*options.duration_s * 1000));
  return plan;
}

}  // namespace kestrel
