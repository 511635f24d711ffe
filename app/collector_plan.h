// collector_plan.h — what the collector will run, decided before anything runs.
//
// A CollectorPlan is a value computed from the configuration, the command
// line and what the loaded rules need: which sources, which event types
// they are asked for, which rule engines (one per event source), which
// outputs, which servers, what the drop alarm does, how long to run. It
// touches no file, socket or kernel, so it is tested without root
// (tests/app/collector_plan_test.cpp). The Collector (collector.h) turns a
// plan into running parts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/config/config.h"
#include "app/drop_alarm.h"
#include "app/metrics.h"
#include "engine/eval/rule_engine.h"
#include "state/containers/container_store.h"
#include "state/machine_directory.h"
#include "engine/rule_fields.h"
#include "engine/rule_set.h"
#include "outputs/alert_dispatcher.h"
#include "outputs/store/alert_store.h"
#include "outputs/grpc/grpc_server.h"
#include "outputs/http_sink.h"
#include "outputs/nats_sink.h"
#include "fleet/nats_bus.h"
#include "sources/capture/capture_recorder.h"
#include "sources/capture/triggered_capture.h"
#include "sources/event/event.h"
#include "sources/source.h"
#include "state/thread_table.h"

namespace kestrel {

// What the loaded rules (and plugins) ask of the collector.
struct RulesNeeds {
  // Event types the syscall-source rules need (RuleEngine::required_event_types).
  EventTypeSet event_types;
  // Of those, the types some rule can match on an enter record
  // (RuleEngine::required_enter_types): a replay delivers only these enters.
  EventTypeSet enter_event_types;
  // The optional process params the syscall-source rules' fields read
  // (engine/rule_fields.h); default: all, as when nothing is known.
  engine::ProcessParamsRead process_params{true, true, true, true};
  // Event sources of the loaded source plugins ("k8s_audit"), one per
  // plugin source, in load order; each gets its own rule engine.
  std::vector<std::string> plugin_event_sources;
  // What the kernel may drop for these rules (engine/eval/kernel_filter.h).
  KernelFilterSet kernel_filters;
};

// The sources to open. make_sources() (source_factory.h) builds them.
struct SourcePlan {
  std::string capture;            // -e FILE: replay this and nothing else
  std::string syscall_kind;       // engine.kind when not replaying: auto, ebpf, kmod, gvisor; "" for none
  bool gvisor_alongside = false;  // engine.gvisor.enabled next to an ebpf/kmod syscall source
  std::vector<std::string> plugin_event_sources;  // one plugin source each
  // remote.listen (+ --listen-remote): a RemoteSource for forwarded streams
  std::vector<std::string> remote_listen;
  // Where a RemoteSource registers its guests (vm.*, machine.*); owned by
  // run_collector, outlives the collector.
  MachineDirectory* machines = nullptr;
  bool nats_alerts = false;  // nats.consume_alerts: every node's alerts from the bus (a central)
  bool nats_events = false;  // nats.consume_events: every node's events from the bus, as remote domains
};

struct SinkPlan {
  enum class Kind { kStdout, kFile, kProgram, kSyslog, kHttp, kGrpc, kNats };
  Kind kind;
  std::string target;       // kFile: file name; kProgram: shell command
  bool keep_alive = false;  // kFile, kProgram
};

struct WebserverPlan {
  std::string address;
  uint16_t port = 0;
  std::string healthz_path = "/healthz";  // webserver.k8s_healthz_endpoint
  bool prometheus = true;                 // webserver.prometheus_metrics_enabled: serve /metrics
};

struct MetricsPlan {
  bool enabled = false;  // log a stats line every `interval`
  std::chrono::milliseconds interval{60000};
  // Falco's metrics.output_file: append each as Falco's line,
  // {"output_fields":{...},"sample":N} (falco_metrics.h).
  std::string output_file;
  // Falco's metrics.output_rule: also send each as the internal alert
  // "Falco internal: metrics snapshot" through the outputs (falco_metrics.h).
  bool output_rule = false;
  // Kestrel-only metrics.kestrel_output_file: append each as Kestrel's own
  // JSON (metrics_json: per-source drops and failures, sinks, containers).
  std::string kestrel_output_file;
  MetricsGroups groups;  // Falco's metrics.*_enabled switches
};

// The fleet bus (nats: with servers set; fleet/nats_bus.h).
struct FleetPlan {
  fleet::NatsBusOptions bus;
  std::string node;             // nats.node, else the hostname
  bool publish_alerts = false;  // a kNats sink is planned too
  bool publish_events = false;
  std::chrono::milliseconds status_interval{10000};
  std::string durable;          // of the nats source (SourcePlan::nats_alerts)
  std::string events_durable;   // of the nats events source (SourcePlan::nats_events)
  std::string source_kind;      // the syscall source, for the status: ebpf, kmod, gvisor, capture, none
  std::string driver;           // describe_driver(): what captures
  // engine.kmod.index's verdict for this kernel (driver_index_facts()'s
  // "proven"); unset without an index.
  std::optional<bool> driver_proven;
};

struct CollectorPlan {
  SourcePlan sources;
  // What every source is asked for (capture_request()): the rules' event
  // types plus the state tables', or all of them with -A; the optional
  // process params the rules read plus what the state tables need.
  CaptureRequest capture;
  // Options of the syscall rule engine; the engines of plugin event
  // sources (sources.plugin_event_sources) take these with their source.
  engine::eval::RuleEngineOptions rule_engine;
  ThreadTableConfig state;
  std::vector<SinkPlan> sinks;
  engine::HttpSinkOptions http;               // kHttp's delivery settings
  engine::NatsSinkOptions nats;               // kNats's delivery settings
  std::optional<FleetPlan> fleet;
  std::chrono::milliseconds program_timeout;  // kProgram's per-alert bound
  std::chrono::milliseconds grpc_drain_timeout;
  engine::DispatcherOptions dispatch;  // `log` is left for the runtime to set
  std::optional<engine::GrpcServerOptions> grpc_server;
  uint64_t grpc_wait_subscribers = 0;
  std::chrono::milliseconds grpc_wait_timeout{0};
  std::optional<WebserverPlan> webserver;
  // The alert store (store.*): set when store.enabled, and in a replay only
  // with store.replays. The collector opens it at start and adds its sink.
  std::optional<store::StoreOptions> store;
  bool buffered_outputs = false;  // stdout and file sinks flush only when full and at exit
  DropAlarmOptions drop_alarm;
  MetricsPlan metrics;
  // Falco's `capture:` section with capture.enabled; unset: no rule starts
  // a capture (sources/capture/triggered_capture.h).
  std::optional<TriggeredCaptureOptions> triggered_capture;
  // The container metadata store (app/container_setup.h), owned by
  // run_collector; null without one. Its counters go into the metrics.
  ContainerStore* containers = nullptr;
  std::string write_capture;  // -w FILE (".gz": compressed); empty: none
  CaptureFormat write_format = CaptureFormat::kKcap;  // by --capture-format, else the extension
  std::optional<std::chrono::milliseconds> duration;  // -M
};

// Event types the state tables need whatever the rules ask for.
EventTypeSet state_event_types();

// What the sources are asked for, from what the rules need. Event types:
// the rules' and the state tables' (all with -A). Process params: env and
// cgroups only when a rule reads a field made from them (proc.env,
// container.*, ...); the cwd always, since the thread table resolves
// relative paths (fd.name of openat(AT_FDCWD, "x")) and executables against
// it. Everything with -w: a recording may be replayed under other rules.
CaptureRequest capture_request(const CliOptions& options, const RulesNeeds& needs);

// base_syscalls.custom_set on top of a capture request: each name (an
// event type) is captured too; "!name" is left out unless the rules need
// it. An unknown name is an error naming it.
Status apply_base_syscalls(CaptureRequest& request, const KestrelConfig& config, const RulesNeeds& needs);

// The needs of the syscall rules of `rules`, as `engine` loaded them.
RulesNeeds rules_needs(const engine::RuleSet& rules, const engine::eval::RuleEngine& engine,
                       const engine::eval::RuleEngineOptions& options);

// The rule engine options the configuration asks for (priority,
// rule_matching) on this host. Used to compile the rules the plan is then
// made from, and again on every reload.
engine::eval::RuleEngineOptions rule_engine_options(const KestrelConfig& config, const std::string& hostname);
// One append_output entry of the config in the engine's terms (what it
// matches and appends; suggested_output is expanded by the callers).
engine::AppendOutput engine_append_output(const AppendOutput& entry);

// Errors (kInvalidArgument, exit code 1 as before): no event source at all
// (engine.kind=none without -e or plugin sources), engine.kind=capture
// without -e.
Result<CollectorPlan> plan_collector(const CliOptions& options, const KestrelConfig& config, const RulesNeeds& needs,
                                     const std::string& hostname);

}  // namespace kestrel
