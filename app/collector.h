// collector.h — the running collector: sources → state → rules → outputs.
//
// A Collector runs a CollectorPlan (collector_plan.h). It owns the
// multiplexer and the sources in it, the thread/fd tables, the routing of
// each source to its rule engine (plugin sources to their event source's
// engine), the alert dispatcher and its sinks, and the servers (gRPC,
// webserver).
//
//   start()  builds and binds everything that can fail before capture:
//            sources (not yet opened), gRPC server, outputs, webserver, -w
//            file. Errors name what failed; exit_code_for() maps them.
//   run()    opens the sources and processes events on the calling thread
//            until they end, stop() or the plan's duration.
//   shut_down(summary) stops the servers, prints the end-of-run summary
//            and returns the process exit code.
//   reload() asks for a SIGHUP reload: at its next tick the engine thread
//            reopens file outputs and loads config and rules again (a
//            failed reload keeps the rules in use). With
//            watch_config_files, a change to a config or rules file asks
//            for the same reload (file_watch.h).
//   stop()   asks run() to finish.
// reload() and stop() only store to an atomic flag: they may be called
// from a signal handler or another thread.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <memory>
#include <mutex>
#include <set>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "app/async_log.h"
#include "app/cli.h"
#include "app/collector_plan.h"
#include "app/config/config.h"
#include "app/file_watch.h"
#include "app/fleet_event_publisher.h"
#include "app/loaded_rules.h"
#include "app/metrics.h"
#include "app/pipeline.h"
#include "app/plugin_loading.h"
#include "app/webserver.h"
#include "fleet/fleet_statuses.h"
#include "fleet/nats_alert_source.h"
#include "fleet/nats_event_source.h"
#include "fleet/nats_bus.h"
#include "outputs/alert_dispatcher.h"
#include "outputs/grpc/grpc_server.h"
#include "outputs/store/alert_store.h"
#include "outputs/store/live_feed.h"
#include "plugins/plugin_async_events.h"
#include "sources/capture/capture_recorder.h"
#include "sources/multiplexer.h"
#include "state/thread_table.h"

namespace kestrel {

class Collector {
 public:
  // `plugins` and `fields` (plugin_field_registry(plugins), what `rules`
  // were loaded against) must outlive the collector: the rules' field
  // providers and the plugin sources use the plugins, a reload loads
  // against `fields` again and the compiled rules point into it. Alerts go to `out` (stdout sink),
  // progress and the summary to `log`. `options` and `config` are what
  // the plan was made from: reload() reads the config file and overrides
  // again, the capability drop reads config.
  Collector(CollectorPlan plan, const CliOptions& options, const KestrelConfig& config,
            std::vector<LoadedPlugin>& plugins, const engine::FieldRegistry& fields, LoadedRules rules,
            std::ostream& out, std::ostream& log);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  Status start();
  Result<PipelineSummary> run();
  int shut_down(const Result<PipelineSummary>& summary);
  void reload() { reload_requested_.store(true); }
  void stop() { stop_requested_.store(true); }

 private:
  void apply_plugin_configs(const KestrelConfig& config);
  void close_async_events_after_the_other_sources(const PipelineSummary& running);
  Status open_plugin_captures();
  void close_plugin_captures();
  Status start_sources();
  Status start_outputs();
  void log_loaded_rules();
  void on_tick(const PipelineSummary& running);
  void log_source_failures(const PipelineSummary& running);
  bool act_on_drops(const PipelineSummary& running, uint64_t now_ns);
  bool replaying() const { return !options_.capture.empty(); }
  void apply_reload();
  void route_plugin_sources(const LoadedRules& rules);
  void on_capture_started();
  // nats.consume_alerts: one node's alert, on the nats source's thread.
  Status take_fleet_alert(const fleet::ReceivedAlert& received);
  // kestrel.<node>.status, every nats.status_interval and once at exit.
  void publish_node_status(const MetricsSnapshot& snapshot, bool final);
  // A central with a store: every node's status into its nodes table.
  Status start_status_watch();
  void store_node_status(const fleet::PublishedStatus& published);
  // The syscall source kind (ebpf, kmod, gvisor, capture, none) of the
  // opened sources, else the plan's.
  std::string syscall_source_kind(const std::string& planned) const;
  // watch_config_files: the config files config_files brought in and the
  // rules files and directories (-r, else rules_files) of `config`.
  std::vector<std::string> watched_paths(const KestrelConfig& config) const;

  const CollectorPlan plan_;
  const CliOptions options_;
  const KestrelConfig config_;
  std::vector<LoadedPlugin>& plugins_;
  const engine::FieldRegistry& fields_;
  std::ostream& out_;
  std::ostream& log_;

  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};
  FileWatch watch_;  // watch_config_files; replaced with each reloaded config's files

  LoadedRules active_;
  LoadedRules retired_;  // the rules a reload replaced, freed at the next one
  Multiplexer mux_;
  // Plugin sources: multiplexer source id -> event source.
  std::vector<std::pair<uint16_t, std::string>> plugin_routes_;
  // A replay (-e) opens no plugin source: the capture's plugin events go,
  // by the plugin id they carry, to the engine of that plugin's source.
  std::vector<std::pair<uint32_t, std::string>> replay_plugin_routes_;
  // Live plugin sources by plugin id (where async events for them go).
  std::vector<std::pair<uint32_t, std::string>> live_plugin_ids_;
  std::set<uint16_t> failures_logged_;  // sources whose failure was logged
  std::unique_ptr<plugin::PluginEventParsing> parsing_;  // the parsing plugins
  // The async events of every plugin that has them (live runs), read as one
  // more source; null when no plugin has async events.
  std::shared_ptr<plugin::AsyncEventQueue> async_queue_;
  ThreadTable table_;
  bool threads_shown_to_plugins_ = false;  // table_ is the plugins' "threads"
  AsyncLog output_log_;
  // The gRPC server outlives the dispatcher: at the end the dispatcher
  // drains into the hub, then the server lets subscribers finish.
  std::shared_ptr<engine::AlertHub> grpc_hub_;
  std::unique_ptr<engine::GrpcServer> grpc_server_;
  // Alerts the store sink has stored, for the console's live stream.
  std::shared_ptr<store::LiveFeed> store_feed_;
  std::shared_ptr<fleet::NatsBus> nats_bus_;  // the nats output's and status's connection
  // A central's nodes table writer: its own store connection (the store
  // sink's belongs to that sink's worker), used under its mutex by the
  // status watch's threads. Declared before the watch: destroyed after it.
  std::mutex node_store_mu_;
  std::unique_ptr<store::AlertStore> node_store_;
  std::atomic<uint64_t> node_store_errors_{0};
  std::unique_ptr<fleet::NodeStatusWatch> status_watch_;
  std::unique_ptr<engine::AlertDispatcher> outputs_;
  std::unique_ptr<FleetCorrelator> correlator_;  // fleet.correlations; before pipeline_, which uses it
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Webserver> webserver_;
  std::unique_ptr<CaptureRecorder> recorder_;  // -w FILE
  std::unique_ptr<remote::Forwarder> forwarder_;  // --forward / forward.uri
  std::unique_ptr<FleetEventPublisher> event_publisher_;  // nats.publish_events
  std::unique_ptr<TriggeredCapture> triggered_capture_;  // capture.enabled
  DropAlarm drop_alarm_;
  bool exit_on_drops_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point next_metrics_;
  // Falco's reload_ts and sha256 metrics: when config and rules were last
  // (re)loaded and the digests of the files read then (note_load()).
  void note_load(const KestrelConfig& config);
  uint64_t reload_ns_ = 0;
  std::vector<std::pair<std::string, std::string>> rules_sha256_, config_sha256_;
  std::optional<MetricsSnapshot> last_logged_;
  uint64_t metrics_samples_ = 0;  // snapshots emitted: Falco's output_file "sample"
  // Appends one line to a metrics file; a failed write is logged with the path.
  void append_metrics_line(const std::string& path, const std::string& line);
  std::chrono::steady_clock::time_point next_status_;
  std::optional<MetricsSnapshot> last_status_;  // the rates of the next status
  std::string source_kind_;  // what the status calls the syscall source (the opened one's name)
  std::atomic<bool> outputs_ready_{false};  // the nats source may hand alerts over
};

// The exit code of a start() failure: 2 for a source that has not landed
// (kUnimplemented), else 1.
int exit_code_for(const Status& start_failure);

}  // namespace kestrel
