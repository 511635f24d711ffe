#include "app/run_collector.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <utility>

#include "app/drop_alarm.h"
#include "app/metrics.h"
#include "app/pipeline.h"
#include "app/plugin_loading.h"
#include "app/privileges.h"
#include "plugins/plugin_source.h"
#include "app/webserver.h"
#include "app/rules_loading.h"
#include "app/source_factory.h"
#include "engine/eval/rule_engine.h"
#include "outputs/grpc/grpc_server.h"
#include "outputs/grpc/grpc_sink.h"
#include "outputs/http_sink.h"
#include "outputs/program_sink.h"
#include "outputs/syslog_sink.h"

namespace kestrel {
namespace {

std::atomic<bool> g_stop{false};

// Lines other threads (the output workers) want logged, printed by the
// engine thread, which owns the log stream.
class AsyncLog {
 public:
  void add(std::string line) {
    std::lock_guard lock(mu_);
    if (lines_.size() < kMaxLines) lines_.push_back(std::move(line));
    else ++lost_;
  }
  void print(std::ostream& log) {
    std::vector<std::string> lines;
    uint64_t lost;
    {
      std::lock_guard lock(mu_);
      lines.swap(lines_);
      lost = std::exchange(lost_, 0);
    }
    for (const auto& line : lines) log << line << "\n";
    if (lost) log << "kestrel: " << lost << " more output log lines suppressed\n";
    if (!lines.empty() || lost) log.flush();
  }

 private:
  static constexpr size_t kMaxLines = 100;
  std::mutex mu_;
  std::vector<std::string> lines_;
  uint64_t lost_ = 0;
};

extern "C" void on_stop_signal(int) { g_stop.store(true); }
std::atomic<bool> g_reload{false};
extern "C" void on_reload_signal(int) { g_reload.store(true); }

std::string local_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::vector<std::unique_ptr<engine::OutputSink>> make_sinks(const KestrelConfig& config, std::ostream& out,
                                                           const std::shared_ptr<engine::AlertHub>& grpc_hub) {
  std::vector<std::unique_ptr<engine::OutputSink>> sinks;
  if (config.stdout_output.enabled) sinks.push_back(engine::make_stream_sink(out));
  if (config.file_output.enabled)
    sinks.push_back(engine::make_file_sink(config.file_output.filename, config.file_output.keep_alive));
  if (config.program_output.enabled)
    sinks.push_back(engine::make_program_sink(config.program_output.program, config.program_output.keep_alive,
                                              config.output_timeout));
  if (config.syslog_output.enabled) sinks.push_back(engine::make_syslog_sink());
  if (config.http_output.enabled) {
    engine::HttpSinkOptions http;
    http.url = config.http_output.url;
    http.user_agent = config.http_output.user_agent;
    http.max_backoff = config.outputs.http_max_backoff;
    http.request_timeout = config.outputs.http_timeout;
    http.format.include_output = config.json_include_output_property;
    http.format.include_tags = config.json_include_tags_property;
    sinks.push_back(engine::make_http_sink(std::move(http)));
  }
  if (grpc_hub) sinks.push_back(engine::make_grpc_sink(grpc_hub, config.outputs.grpc_drain_timeout));
  return sinks;
}

// A rule set and the engine compiled from it (which refers into it).
// Plugin event sources ("k8s_audit") -> the provider filling their fields.
using PluginProviders = std::map<std::string, engine::eval::FieldProvider*>;

struct LoadedRules {
  std::unique_ptr<engine::RuleSet> set;
  std::unique_ptr<engine::eval::RuleEngine> engine;
  // One engine per plugin event source, compiled from the same rule set.
  std::map<std::string, std::unique_ptr<engine::eval::RuleEngine>> by_source;
  size_t rule_count() const {
    size_t n = engine->rule_count();
    for (const auto& [source, e] : by_source) n += e->rule_count();
    return n;
  }
};

Result<LoadedRules> load_rules_engine(const CliOptions& options, const KestrelConfig& config,
                                      const std::string& hostname, std::ostream& log,
                                      const PluginProviders& providers) {
  auto rules = load_configured_rules(options.rules.empty() ? config.rules_files : options.rules, log,
                                     config.limits.rules_file_bytes);
  if (!rules.ok()) return rules.status();
  LoadedRules loaded;
  loaded.set = std::make_unique<engine::RuleSet>(std::move(*rules));
  engine::eval::RuleEngineOptions engine_options;
  engine_options.rule_matching =
      config.rule_matching == "all" ? engine::eval::RuleMatching::kAll : engine::eval::RuleMatching::kFirst;
  engine_options.min_priority = engine::parse_priority(config.priority).value_or(engine::Priority::kDebug);
  engine_options.hostname = hostname;
  auto engine = engine::eval::RuleEngine::create(*loaded.set, engine_options);
  if (!engine.ok()) return engine.status();
  loaded.engine = std::move(*engine);
  for (const auto& [source, provider] : providers) {
    auto options_for = engine_options;
    options_for.source = source;
    options_for.field_provider = provider;
    auto e = engine::eval::RuleEngine::create(*loaded.set, options_for);
    if (!e.ok()) return Status(e.status().code(), "source " + source + ": " + e.status().message(), e.status().where());
    loaded.by_source[source] = std::move(*e);
  }
  return loaded;
}

// SIGHUP: the config (-c file and -o overrides, read again) and the rules it
// names. Rules, priority and rule_matching take effect; sources and outputs
// keep running as configured at start. Event types the new rules need but
// the sources were not asked for are reported: they arrive after a restart.
// Rules that load but enable no rule at all (an empty file, a file truncated
// by a careless edit) would switch detection off silently: they are refused
// like broken ones unless --allow-empty-rules.
Result<LoadedRules> reload_rules(const CliOptions& options, const EventTypeSet& captured, const std::string& hostname,
                                 std::ostream& log, const PluginProviders& providers, size_t rules_in_use) {
  auto fail = [&](const Status& why) -> Result<LoadedRules> {
    log << "kestrel: SIGHUP: reload failed, keeping the rules in use: " << why.to_string() << "\n";
    return why;
  };
  auto config = load_config({options.config_file, options.overrides});
  if (!config.ok()) return fail(config.status());
  auto loaded = load_rules_engine(options, *config, hostname, log, providers);
  if (!loaded.ok()) return fail(loaded.status());
  if (loaded->rule_count() == 0 && rules_in_use > 0 && !options.allow_empty_rules)
    return fail(Status(StatusCode::kInvalidArgument,
                       "the new rules enable no rule, which would switch detection off; "
                       "start kestrel with --allow-empty-rules to accept that"));
  EventTypeSet missing = loaded->engine->required_event_types() & ~captured;
  log << "kestrel: SIGHUP: output files reopened; " << loaded->rule_count() << " rules reloaded";
  if (missing.any()) log << " (" << missing.count() << " event types they need are not captured until a restart)";
  log << "\n";
  return loaded;
}

}  // namespace

EventTypeSet state_event_types() {
  EventTypeSet types;
  for (const auto& e : all_events())
    if (e.flags & KEF_STATE) types.set(e.type);
  return types;
}

int run_collector(const CliOptions& options, const KestrelConfig& config, std::ostream& out, std::ostream& log) {
  const std::string hostname = local_hostname();
  // Plugins first: the rule engines of their sources use their extractors.
  auto plugins = load_plugins(config);
  if (!plugins.ok()) {
    log << "kestrel: " << plugins.status().to_string() << "\n";
    return kExitFailure;
  }
  const PluginProviders providers = plugin_field_providers(*plugins);
  auto loaded = load_rules_engine(options, config, hostname, log, providers);
  if (!loaded.ok()) {
    log << "kestrel: " << loaded.status().to_string() << "\n";
    return kExitFailure;
  }
  LoadedRules active = std::move(*loaded);
  if (active.rule_count() == 0)
    log << "kestrel: warning: no enabled rule is loaded; nothing will be detected\n";

  auto sources = make_sources(config, options.capture, !providers.empty());
  if (!sources.ok()) {
    log << "kestrel: " << sources.status().to_string() << "\n";
    return sources.status().code() == StatusCode::kUnimplemented ? kExitUsage : kExitFailure;
  }
  EventTypeSet wanted = active.engine->required_event_types() | state_event_types();
  if (options.all_events) wanted.set();
  Multiplexer mux;
  for (auto& source : *sources) {
    if (Status s = source->set_event_filter(wanted); !s.ok()) {
      log << "kestrel: " << source->capabilities().name << ": " << s.to_string() << "\n";
      return kExitFailure;
    }
    mux.add(std::move(source));
  }
  // Plugin sources: each on its own reader thread; source id -> event source.
  std::vector<std::pair<uint16_t, std::string>> plugin_routes;
  for (auto& source : make_plugin_sources(*plugins)) {
    std::string event_source = static_cast<plugin::PluginSource&>(*source).event_source();
    plugin_routes.emplace_back(mux.add(std::move(source)), std::move(event_source));
  }
  auto route_plugins = [&](Pipeline& p, LoadedRules& rules) {
    for (const auto& [id, event_source] : plugin_routes) p.route_source(id, rules.by_source.at(event_source).get());
  };

  ThreadTable table(ThreadTableConfig{config.state.max_threads, config.state.max_fds_per_process});
  engine::DispatcherOptions dispatch;
  dispatch.format.json = config.json_output;
  dispatch.format.include_output = config.json_include_output_property;
  dispatch.format.include_tags = config.json_include_tags_property;
  dispatch.format.ocsf = config.outputs.ocsf;
  dispatch.queue_capacity = config.outputs.queue_capacity;
  dispatch.sink_queue_capacity["http"] = config.outputs.http_queue_capacity;
  // At exit the outputs get output_timeout to deliver what is queued; gRPC
  // subscribers keep their own (longer) drain time if one is configured.
  dispatch.shutdown_timeout = config.output_timeout;
  if (config.grpc_output.enabled)
    dispatch.shutdown_timeout = std::max(dispatch.shutdown_timeout, config.outputs.grpc_drain_timeout);
  AsyncLog output_log;
  dispatch.log = [&output_log](const std::string& line) { output_log.add("kestrel: " + line); };
  dispatch.rate_per_second = static_cast<double>(config.outputs.rate);
  dispatch.max_burst = static_cast<double>(config.outputs.max_burst);
  // The gRPC server outlives the dispatcher: at the end the dispatcher
  // drains into the hub, then the server lets subscribers finish.
  std::shared_ptr<engine::AlertHub> grpc_hub;
  std::unique_ptr<engine::GrpcServer> grpc_server;
  if (config.grpc.enabled) {
    grpc_hub = std::make_shared<engine::AlertHub>();
    engine::GrpcServerOptions grpc_options{.bind_address = config.grpc.bind_address,
                                           .threadiness = config.grpc.threadiness,
                                           .private_key = config.grpc.private_key,
                                           .cert_chain = config.grpc.cert_chain,
                                           .root_certs = config.grpc.root_certs,
                                           .version = KESTREL_VERSION};
    auto server = engine::start_grpc_server(grpc_options, grpc_hub);
    if (!server.ok()) {
      log << "kestrel: " << server.status().to_string() << "\n";
      return kExitFailure;
    }
    grpc_server = std::move(*server);
    log << "kestrel: gRPC server listening on " << config.grpc.bind_address << "\n";
  }
  engine::AlertDispatcher outputs(dispatch, make_sinks(config, out, config.grpc_output.enabled ? grpc_hub : nullptr));
  if (grpc_hub && config.outputs.grpc_wait_subscribers > 0) {
    log << "kestrel: waiting for " << config.outputs.grpc_wait_subscribers << " gRPC subscriber(s)\n";
    log.flush();
    if (!grpc_hub->wait_for_subscribers(config.outputs.grpc_wait_subscribers, config.outputs.grpc_wait_timeout))
      log << "kestrel: gRPC subscribers did not arrive in time; starting anyway\n";
  }

  g_stop.store(false);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  g_reload.store(false);
  std::signal(SIGHUP, on_reload_signal);
  log << "kestrel: " << active.rule_count() << " rules loaded, " << wanted.count() << " event types captured";
  for (const auto& [source, e] : active.by_source) log << "; " << e->rule_count() << " rules for source " << source;
  log << "\n";
  log.flush();

  Pipeline pipeline(mux, table, *active.engine, outputs);
  route_plugins(pipeline, active);
  LoadedRules retired;  // the rules a reload replaced, freed at the next one
  std::unique_ptr<Webserver> webserver;
  if (config.webserver.enabled) {
    auto w = Webserver::start(config.webserver.listen_address, static_cast<uint16_t>(config.webserver.listen_port));
    if (!w.ok()) {
      log << "kestrel: " << w.status().to_string() << "\n";
      return kExitFailure;
    }
    webserver = std::move(*w);
    log << "kestrel: webserver on " << config.webserver.listen_address << ":" << webserver->port() << "\n";
  }
  DropAlarmOptions alarm_options{.threshold = config.syscall_event_drops.threshold};
  alarm_options.log = alarm_options.alert = alarm_options.exit = false;
  for (const auto& action : config.syscall_event_drops.actions) {
    if (action == "log") alarm_options.log = true;
    else if (action == "alert") alarm_options.alert = true;
    else if (action == "exit") alarm_options.exit = true;
    else if (action != "ignore") {
      log << "kestrel: config key 'syscall_event_drops.actions': '" << action
          << "' is not one of: log, alert, exit, ignore\n";
      return kExitUsage;
    }
  }
  DropAlarm drop_alarm(alarm_options, hostname);
  bool exit_on_drops = false;
  const auto started = std::chrono::steady_clock::now();
  std::optional<MetricsSnapshot> last_logged;
  auto next_metrics = started + config.metrics.interval;
  // Every second on the engine thread: the drop alarm, the webserver's
  // snapshot, and every metrics.interval the stats line.
  pipeline.on_tick(std::chrono::seconds(1), [&](const PipelineSummary& running) {
    if (g_reload.exchange(false)) {
      // SIGHUP: reopen file outputs (logrotate), then reload config and
      // rules; the sources keep running. A failed reload changes nothing.
      outputs.reopen();
      auto next = reload_rules(options, wanted, hostname, log, providers, active.rule_count());
      if (next.ok()) {
        pipeline.replace_rules(*next->engine);
        route_plugins(pipeline, *next);
        retired = std::exchange(active, std::move(*next));
      }
      log.flush();
    }
    output_log.print(log);
    if (auto alarm = drop_alarm.check(running)) {
      if (alarm_options.log) log << "kestrel: " << alarm->message << "\n";
      if (alarm->alert) outputs.submit(std::move(*alarm->alert));
      if (alarm->exit) {
        log << "kestrel: exiting on event drops (syscall_event_drops.actions has exit)\n";
        exit_on_drops = true;
        g_stop.store(true);
      }
    }
    if (!webserver && !config.metrics.enabled) return;
    const auto now = std::chrono::steady_clock::now();
    const bool log_now = config.metrics.enabled && now >= next_metrics;
    MetricsSnapshot snapshot =
        make_snapshot(running, last_logged ? &*last_logged : nullptr, started, read_process_usage());
    if (log_now) {
      next_metrics = now + config.metrics.interval;
      log << "kestrel: stats: " << metrics_log_line(snapshot) << "\n";
      log.flush();
      if (!config.metrics.output_file.empty()) {
        std::ofstream json_out(config.metrics.output_file, std::ios::app);
        json_out << metrics_json(snapshot) << "\n";
      }
      last_logged = snapshot;
    }
    if (webserver) webserver->publish(std::move(snapshot));
  });
  kcap::KcapWriterOptions record_options;
  record_options.gzip = options.write_capture.ends_with(".gz");
  kcap::KcapWriter recorder(record_options);
  if (!options.write_capture.empty()) {
    if (Status s = recorder.open(options.write_capture); !s.ok()) {
      log << "kestrel: -w: " << s.to_string() << "\n";
      return kExitFailure;
    }
    pipeline.record_to(&recorder);
  }
  std::optional<std::chrono::milliseconds> limit;
  if (options.duration_s) limit = std::chrono::milliseconds(static_cast<int64_t>(*options.duration_s * 1000));
  auto summary = pipeline.run(g_stop, limit, [&] {
    // Sources are open and servers bound: give up what running does not need.
    if (owns_process()) {
      std::vector<std::string> names;
      for (const auto& report : mux.reports()) names.push_back(report.name);
      const CapabilityMask keep = capabilities_to_keep(names, config);
      Status dropped = drop_process_capabilities(keep);
      if (dropped.ok()) log << "kestrel: capabilities dropped; keeping " << capability_names(keep) << "\n";
      else log << "kestrel: warning: could not drop capabilities: " << dropped.to_string() << "\n";
    }
    log << "kestrel: capturing (" << table.size() << " threads known at start)\n";
    log.flush();
  });
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGHUP, SIG_DFL);
  if (grpc_server) grpc_server->stop(std::chrono::seconds(2));
  if (webserver) webserver->stop();
  output_log.print(log);
  if (!summary.ok()) {
    log << "kestrel: " << summary.status().to_string() << "\n";
    return kExitFailure;
  }
  print_summary(log, *summary);
  if (exit_on_drops) return kExitFailure;
  if (!summary->recording.ok()) return kExitFailure;
  for (const auto& src : summary->sources)
    if (!src.error.ok()) return kExitFailure;
  return kExitOk;
}

}  // namespace kestrel
