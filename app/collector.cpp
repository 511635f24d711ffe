#include "app/collector.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nats/nats.h>

#include "app/allocator.h"
#include "app/container_setup.h"
#include "app/file_digests.h"
#include "app/falco_metrics.h"
#include "app/node_facts.h"
#include "app/fleet_node.h"
#include "app/privileges.h"
#include "app/source_factory.h"
#include "sources/capture/machine_environment.h"
#include "outputs/grpc/grpc_sink.h"
#include "outputs/nats_sink.h"
#include "outputs/output_sink.h"
#include "outputs/program_sink.h"
#include "outputs/store/node_table.h"
#include "outputs/store/store_sink.h"
#include "outputs/syslog_sink.h"
#include "plugins/plugin_source.h"
#include "plugins/state_tables/table_registry.h"

namespace kestrel {
namespace {

std::vector<std::unique_ptr<engine::OutputSink>> make_sinks(const CollectorPlan& plan, std::ostream& out,
                                                           const std::shared_ptr<engine::AlertHub>& grpc_hub,
                                                           const std::shared_ptr<fleet::NatsBus>& nats_bus) {
  std::vector<std::unique_ptr<engine::OutputSink>> sinks;
  for (const auto& sink : plan.sinks) {
    switch (sink.kind) {
      case SinkPlan::Kind::kStdout: sinks.push_back(engine::make_stream_sink(out, "stdout", plan.buffered_outputs)); break;
      case SinkPlan::Kind::kFile:
        sinks.push_back(engine::make_file_sink(sink.target, sink.keep_alive, plan.buffered_outputs));
        break;
      case SinkPlan::Kind::kProgram:
        sinks.push_back(engine::make_program_sink(sink.target, sink.keep_alive, plan.program_timeout));
        break;
      case SinkPlan::Kind::kSyslog: sinks.push_back(engine::make_syslog_sink()); break;
      case SinkPlan::Kind::kHttp: sinks.push_back(engine::make_http_sink(plan.http)); break;
      case SinkPlan::Kind::kGrpc:
        if (grpc_hub) sinks.push_back(engine::make_grpc_sink(grpc_hub, plan.grpc_drain_timeout, plan.dispatch.format));
        break;
      case SinkPlan::Kind::kNats:
        if (nats_bus) sinks.push_back(engine::make_nats_sink(nats_bus, plan.nats));
        break;
    }
  }
  return sinks;
}

}  // namespace

int exit_code_for(const Status& start_failure) {
  return start_failure.code() == StatusCode::kUnimplemented ? kExitUsage : kExitFailure;
}

Collector::Collector(CollectorPlan plan, const CliOptions& options, const KestrelConfig& config,
                     std::vector<LoadedPlugin>& plugins, const engine::FieldRegistry& fields, LoadedRules rules,
                     std::ostream& out, std::ostream& log)
    : plan_(std::move(plan)),
      options_(options),
      config_(config),
      plugins_(plugins),
      fields_(fields),
      out_(out),
      log_(log),
      active_(std::move(rules)),
      table_(plan_.state),
      drop_alarm_(plan_.drop_alarm, plan_.rule_engine.hostname) {
  if (config_.watch_config_files) watch_ = FileWatch(watched_paths(config_));
  note_load(config_);
}

void Collector::note_load(const KestrelConfig& config) {
  reload_ns_ = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  const auto& rules = options_.rules.empty() ? config.rules_files : options_.rules;
  rules_sha256_ = file_sha256s(yaml_files_of(rules));
  config_sha256_ = file_sha256s(config.provenance.files);
}

std::vector<std::string> Collector::watched_paths(const KestrelConfig& config) const {
  std::vector<std::string> paths = config.provenance.files;
  const auto& rules = options_.rules.empty() ? config.rules_files : options_.rules;
  paths.insert(paths.end(), rules.begin(), rules.end());
  return paths;
}

Collector::~Collector() {
  if (plan_.containers) plan_.containers->set_budget(nullptr);  // the store outlives table_
  if (threads_shown_to_plugins_) plugin::default_table_registry().threads().attach(nullptr);
}

Status Collector::start_sources() {
  auto sources = make_sources(plan_.sources, config_, log_);
  if (!sources.ok()) return sources.status();
  for (auto& source : *sources) {
    if (Status s = source->set_capture_request(plan_.capture); !s.ok())
      return Status(s.code(), source->capabilities().name + ": " + s.to_string());
    mux_.add(std::move(source));
  }
  if (plan_.sources.nats_alerts && plan_.fleet) {
    fleet::NatsAlertSourceOptions nats{.bus = plan_.fleet->bus, .durable = plan_.fleet->durable};
    mux_.add(std::make_unique<fleet::NatsAlertSource>(
        std::move(nats), [this](const fleet::ReceivedAlert& alert) { return take_fleet_alert(alert); }));
  }
  if (plan_.sources.nats_events && plan_.fleet) {
    fleet::NatsEventSourceOptions events;
    events.bus = plan_.fleet->bus;
    events.durable = plan_.fleet->events_durable;
    events.machines = plan_.sources.machines;
    mux_.add(std::make_unique<fleet::NatsEventSource>(std::move(events)));
  }
  if (replaying()) {
    // The capture holds what the plugins produced when it was written: their
    // live sources (a webhook port, an input file) are never opened.
    for (const auto& p : plugins_)
      if (p.library->info().can_source)
        replay_plugin_routes_.emplace_back(p.library->info().id, p.library->info().event_source);
    return ok_status();
  }
  for (auto& source : make_plugin_sources(plugins_)) {
    std::string event_source = static_cast<plugin::PluginSource&>(*source).event_source();
    // --disable-source / --enable-source left it out of the plan.
    const auto& planned = plan_.sources.plugin_event_sources;
    if (std::find(planned.begin(), planned.end(), event_source) == planned.end()) {
      log_ << "kestrel: event source '" << event_source << "' disabled\n";
      continue;
    }
    plugin_routes_.emplace_back(mux_.add(std::move(source)), std::move(event_source));
  }
  for (const auto& p : plugins_)
    if (p.library->info().can_source)
      live_plugin_ids_.emplace_back(p.library->info().id, p.library->info().event_source);
  // Async events (set_async_event_handler): one queue for every plugin that
  // has them, read as one more source. Each event goes to every event
  // source the plugin names in get_async_event_sources (all when it names
  // none): to the syscall rules with plugin_id 0 (evt.type = asyncevent,
  // evt.asynctype = its name), to a plugin source's rules with that
  // source's plugin id (the pipeline routes it by id).
  for (const auto& p : plugins_) {
    const plugin::PluginInfo& info = p.library->info();
    if (!info.can_async) continue;
    std::vector<uint32_t> to;
    if (plugin::async_takes_source(info, "syscall")) to.push_back(0);
    for (const auto& [plugin_id, event_source] : live_plugin_ids_)
      if (plugin::async_takes_source(info, event_source)) to.push_back(plugin_id);
    if (to.empty()) {
      log_ << "kestrel: plugin '" << info.name << "': none of the event sources its async events are for is open\n";
      continue;
    }
    if (!async_queue_) async_queue_ = std::make_shared<plugin::AsyncEventQueue>();
    if (Status s = p.library->start_async(async_queue_, std::move(to)); !s.ok()) return s;
  }
  if (async_queue_) mux_.add(std::make_unique<plugin::AsyncEventSource>(async_queue_));
  return ok_status();
}

// The async events' source lasts as long as the others: once every other
// source has ended (a plugin's input read to its end), its queue closes and
// the run ends as it would without it.
void Collector::close_async_events_after_the_other_sources(const PipelineSummary& running) {
  if (!async_queue_ || async_queue_->closed()) return;
  for (const auto& src : running.sources)
    if (src.name != plugin::AsyncEventSource::kName && !src.ended) return;
  async_queue_->close();
}

// Capture listening: plugins learn that the capture opened (their routines
// start) before the first event, and that it closed after the last.
Status Collector::open_plugin_captures() {
  for (const auto& p : plugins_)
    if (p.library->info().can_listen)
      if (Status s = p.library->capture_open(); !s.ok()) return s;
  return ok_status();
}

void Collector::close_plugin_captures() {
  for (const auto& p : plugins_) {
    if (p.library->info().can_async && async_queue_) {
      if (Status s = p.library->stop_async(); !s.ok()) log_ << "kestrel: " << s.to_string() << "\n";
    }
    if (p.library->info().can_listen) {
      if (Status s = p.library->capture_close(); !s.ok()) log_ << "kestrel: " << s.to_string() << "\n";
    }
  }
  if (async_queue_) async_queue_->close();
}

Status Collector::start_outputs() {
  if (plan_.grpc_server) {
    grpc_hub_ = std::make_shared<engine::AlertHub>();
    auto server = engine::start_grpc_server(*plan_.grpc_server, grpc_hub_);
    if (!server.ok()) return server.status();
    grpc_server_ = std::move(*server);
    log_ << "kestrel: gRPC server listening on " << plan_.grpc_server->bind_address << "\n";
  }
  if (plan_.fleet) {
    auto bus = fleet::NatsBus::connect(plan_.fleet->bus);
    if (!bus.ok()) return bus.status();
    nats_bus_ = std::move(*bus);
    log_ << "kestrel: fleet bus: node '" << plan_.fleet->node << "' on " << nats_bus_->connected_url() << ", stream "
         << plan_.fleet->bus.stream;
    if (nats_bus_->stream_replicas() > 0) log_ << " (replicas " << nats_bus_->stream_replicas() << ")";
    log_ << "\n";
    // The stream is made by whichever Kestrel comes first, with its own
    // nats.replicas: one left at 1 makes a stream that dies with its server.
    if (nats_bus_->stream_replicas() > 0 && nats_bus_->stream_replicas() < plan_.fleet->bus.replicas)
      log_ << "kestrel: warning: fleet bus: stream " << plan_.fleet->bus.stream << " has "
           << nats_bus_->stream_replicas() << " replica(s), nats.replicas asks for " << plan_.fleet->bus.replicas
           << ": it was made by another node or an operator; losing a server may lose it\n";
  }
  engine::DispatcherOptions dispatch = plan_.dispatch;
  dispatch.log = [this](const std::string& line) { output_log_.add("kestrel: " + line); };
  auto sinks = make_sinks(plan_, out_, grpc_hub_, nats_bus_);
  if (plan_.store) {
    auto store = store::AlertStore::open_writer(*plan_.store);
    if (!store.ok()) return store.status();
    store_feed_ = std::make_shared<store::LiveFeed>();
    sinks.push_back(store::make_store_sink(std::move(*store), store_feed_));
    log_ << "kestrel: alerts stored in " << plan_.store->path << "\n";
  }
  outputs_ = std::make_unique<engine::AlertDispatcher>(std::move(dispatch), std::move(sinks));
  outputs_ready_.store(true);
  if (Status s = start_status_watch(); !s.ok()) return s;
  if (grpc_hub_ && plan_.grpc_wait_subscribers > 0) {
    log_ << "kestrel: waiting for " << plan_.grpc_wait_subscribers << " gRPC subscriber(s)\n";
    log_.flush();
    if (!grpc_hub_->wait_for_subscribers(plan_.grpc_wait_subscribers, plan_.grpc_wait_timeout))
      log_ << "kestrel: gRPC subscribers did not arrive in time; starting anyway\n";
  }
  return ok_status();
}

// A central (nats.consume_alerts) with a store keeps every node's newest
// status in the store's nodes table, for the console's fleet table.
Status Collector::start_status_watch() {
  if (!plan_.sources.nats_alerts || !nats_bus_ || !plan_.store) return ok_status();
  auto db = store::AlertStore::open_writer(*plan_.store);
  if (!db.ok()) return db.status();
  node_store_ = std::move(*db);
  auto watch = fleet::NodeStatusWatch::start(
      *nats_bus_, [this](const fleet::PublishedStatus& published) { store_node_status(published); });
  if (!watch.ok()) return watch.status();
  status_watch_ = std::move(*watch);
  log_ << "kestrel: fleet: node statuses (kestrel.*.status) kept in the store's nodes table\n";
  return ok_status();
}

void Collector::store_node_status(const fleet::PublishedStatus& published) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  store::StoredNodeStatus row{published.status.node, published.status.time_ns,
                              static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()),
                              published.json};
  std::lock_guard lock(node_store_mu_);
  auto stored = store::put_node_status(*node_store_, row);
  // Said once, then counted (a status comes every few seconds per node).
  if (!stored.ok() && node_store_errors_++ == 0) output_log_.add("kestrel: " + stored.status().to_string());
}

std::string Collector::syscall_source_kind(const std::string& planned) const {
  for (const auto& report : mux_.reports())
    if (report.name == "ebpf" || report.name == "kmod" || report.name == "gvisor") return report.name;
  return planned;
}

void Collector::log_loaded_rules() {
  log_ << "kestrel: " << active_.rule_count() << " rules loaded, " << plan_.capture.event_types.count() << " event types captured";
  for (const auto& [source, e] : active_.by_source) log_ << "; " << e->rule_count() << " rules for source " << source;
  log_ << "\n";
  log_.flush();
}

void Collector::route_plugin_sources(const LoadedRules& rules) {
  for (const auto& [id, event_source] : plugin_routes_)
    pipeline_->route_source(id, rules.by_source.at(event_source).get());
  for (const auto& [plugin_id, event_source] : replay_plugin_routes_)
    pipeline_->route_plugin_id(plugin_id, rules.by_source.at(event_source).get());
  // Async events a plugin sent into a live plugin source's stream.
  for (const auto& [plugin_id, event_source] : live_plugin_ids_)
    pipeline_->route_plugin_id(plugin_id, rules.by_source.at(event_source).get());
}

Status Collector::start() {
  // The container cache counts against the state tables' memory budget
  // (engine.memory_limit_mb); the rules' user cache joins it in Pipeline.
  if (plan_.containers) plan_.containers->set_budget(&table_.budget());
  // Plugins see this run's threads (and their fds, args, env, cgroups)
  // through the "threads" state table of the registry they were
  // initialised with (the process-wide one).
  if (!plugins_.empty()) {
    plugin::default_table_registry().threads().attach(&table_);
    threads_shown_to_plugins_ = true;
  }
  if (Status s = start_sources(); !s.ok()) return s;
  if (Status s = open_plugin_captures(); !s.ok()) return s;
  if (Status s = start_outputs(); !s.ok()) return s;
  log_loaded_rules();
  pipeline_ = std::make_unique<Pipeline>(mux_, table_, *active_.engine, *outputs_);
  pipeline_->use_workers(active_.worker_engine_pointers());
  if (!config_.fleet.correlations.empty()) {
    // Read at start (a SIGHUP checks the new config's against the new
    // rules, but the correlations in use stay these).
    correlator_ = std::make_unique<FleetCorrelator>(config_.fleet.correlations);
    const std::string local_node = plan_.fleet ? plan_.fleet->node : plan_.rule_engine.hostname;
    const MachineDirectory* machines = plan_.rule_engine.machines;
    pipeline_->correlate_with(correlator_.get(), [local_node, machines](uint32_t domain) {
      if (machines && machines->is_remote(domain)) {
        const std::string& name = machines->find(domain)->vm_name;
        if (!name.empty()) return name;
      }
      return local_node;
    });
  }
  route_plugin_sources(active_);
  {
    std::vector<std::shared_ptr<plugin::PluginLibrary>> libraries;
    for (const auto& p : plugins_) libraries.push_back(p.library);
    parsing_ = std::make_unique<plugin::PluginEventParsing>(libraries);
    for (const auto& [id, event_source] : plugin_routes_) parsing_->name_source(id, event_source);
    for (const auto& [plugin_id, event_source] : replay_plugin_routes_) parsing_->name_plugin(plugin_id, event_source);
    // (async events sent into a live plugin source carry its id)
    for (const auto& [plugin_id, event_source] : live_plugin_ids_) parsing_->name_plugin(plugin_id, event_source);
    pipeline_->parse_with(parsing_.get());
  }
  if (plan_.webserver) {
    std::optional<ConsoleSetup> console;
    if (plan_.store) {
      std::vector<std::string> names;
      for (const auto& report : mux_.reports()) names.push_back(report.name);
      nlohmann::json facts = node_facts(plan_.rule_engine.hostname, names, config_.engine.kmod_index);
      const std::string kind = syscall_source_kind(replaying() ? "capture" : "none");
      facts["source"] = kind;
      facts["driver"]["description"] = describe_driver(kind, config_, options_.capture);
      console = ConsoleSetup{plan_.store->path, store_feed_, std::move(facts), plan_.fleet ? plan_.fleet->node : ""};
    }
    auto w = Webserver::start(plan_.webserver->address, plan_.webserver->port, plan_.webserver->healthz_path,
                              plan_.webserver->prometheus, std::move(console));
    if (!w.ok()) return w.status();
    webserver_ = std::move(*w);
    log_ << "kestrel: webserver on " << plan_.webserver->address << ":" << webserver_->port() << "\n";
  }
  started_ = std::chrono::steady_clock::now();
  next_metrics_ = started_ + plan_.metrics.interval;
  pipeline_->on_tick(std::chrono::seconds(1), [this](const PipelineSummary& running) { on_tick(running); });
  // A replay's drop checks run on the capture's clock, as Falco's do, so
  // they do not depend on how fast the file is read (drop_alarm.h).
  if (replaying())
    pipeline_->on_event_second(
        [this](uint64_t ts_ns, const PipelineSummary& running) { return act_on_drops(running, ts_ns); });
  if (!plan_.write_capture.empty()) {
    auto recorder = open_capture_recorder(plan_.write_capture, plan_.write_format);
    if (!recorder.ok()) return Status(recorder.status().code(), "-w: " + recorder.status().to_string());
    recorder_ = std::move(*recorder);
    pipeline_->record_to(recorder_.get());
  }
  if (!config_.forward.uri.empty()) {
    auto endpoint = remote::parse_endpoint(config_.forward.uri);
    if (!endpoint.ok()) return Status(endpoint.status().code(), "forward.uri: " + endpoint.status().message());
    remote::ForwarderOptions fo;
    fo.endpoint = *endpoint;
    fo.tls = {config_.forward.tls_cert, config_.forward.tls_key, config_.forward.tls_ca};
    if (fo.tls.enabled() && endpoint->kind != remote::EndpointKind::kTcp)
      return Status(StatusCode::kInvalidArgument, "forward.tls applies to tcp:// only, not " + endpoint->uri);
    fo.name = config_.forward.name;
    if (config_.forward.buffer_bytes) fo.buffer_bytes = config_.forward.buffer_bytes;
    fo.log = [this](const std::string& line) { output_log_.add("kestrel: " + line); };
    forwarder_ = std::make_unique<remote::Forwarder>(std::move(fo));
    kcap::KcapHeader header;
    header.producer = std::string("kestrel ") + KESTREL_VERSION;
    header.created_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    header.machine = kcap::local_machine_info();
    forwarder_->start(std::move(header));
    pipeline_->forward_to(forwarder_.get());
    log_ << "kestrel: forwarding the event stream to " << config_.forward.uri << "\n";
  }
  if (plan_.fleet && plan_.fleet->publish_events && nats_bus_) {
    event_publisher_ = make_fleet_event_publisher(nats_bus_, plan_.fleet->node);
    pipeline_->publish_to(event_publisher_.get());
  }
  if (plan_.triggered_capture) {
    triggered_capture_ = std::make_unique<TriggeredCapture>(
        *plan_.triggered_capture, [this](const std::string& line) { output_log_.add("kestrel: " + line); });
    pipeline_->capture_on_match(triggered_capture_.get());
  }
  return ok_status();
}

// SIGHUP: reopen file outputs (logrotate), then reload the config (-c file
// and -o overrides, read again) and the rules it names; the sources keep
// running. Rules, priority and rule_matching take effect; sources and
// outputs keep running as configured at start. Event types the new rules
// need but the sources were not asked for are reported: they arrive after
// a restart. Rules that load but enable no rule at all (an empty file, a
// file truncated by a careless edit) would switch detection off silently:
// they are refused like broken ones unless --allow-empty-rules. A failed
// reload changes nothing.
void Collector::apply_reload() {
  outputs_->reopen();
  auto fail = [&](const Status& why) {
    log_ << "kestrel: SIGHUP: reload failed, keeping the rules in use: " << why.to_string() << "\n";
    log_.flush();
  };
  auto config = load_config(config_inputs(options_));
  if (!config.ok()) return fail(config.status());
  for (const auto& warning : config->provenance.warnings) log_ << "kestrel: warning: " << warning << "\n";
  if (config_.watch_config_files) watch_ = FileWatch(watched_paths(*config));
  apply_plugin_configs(*config);
  // engine.workers is read at start: the running workers take the new rules.
  config->engine.workers = active_.worker_engines.size() + 1;
  auto engine_options = rule_engine_options(*config, plan_.rule_engine.hostname);
  engine_options.containers = plan_.rule_engine.containers;  // the store lives as long as the collector
  engine_options.machines = plan_.rule_engine.machines;
  auto next = load_rules(options_, *config, engine_options, log_, fields_, plugins_);
  if (!next.ok()) return fail(next.status());
  if (next->rule_count() == 0 && active_.rule_count() > 0 && !options_.allow_empty_rules)
    return fail(Status(StatusCode::kInvalidArgument,
                       "the new rules enable no rule, which would switch detection off; "
                       "start kestrel with --allow-empty-rules to accept that"));
  CaptureRequest wanted = capture_request(options_, rules_needs(*next->set, *next->engine, next->engine_options));
  // The kernel filters follow the new rules now (an event they need is not
  // dropped in the kernel); a source that cannot change its filters keeps
  // what it has and says so, and the rules then see less than they ask.
  if (!config->engine.kernel_filter || config->capture.enabled || plan_.capture.kernel_filters.empty())
    wanted.kernel_filters.clear();
  if (Status s = mux_.update_kernel_filters(wanted.kernel_filters); !s.ok())
    log_ << "kestrel: SIGHUP: the in-kernel filters could not follow the new rules: " << s.to_string() << "\n";
  EventTypeSet missing = wanted.event_types & ~plan_.capture.event_types;
  log_ << "kestrel: SIGHUP: output files reopened; " << next->rule_count() << " rules reloaded";
  if (missing.any()) log_ << " (" << missing.count() << " event types they need are not captured until a restart)";
  std::string params_missing;
  if (wanted.process_params.env && !plan_.capture.process_params.env) params_missing = "environments";
  if (wanted.process_params.cgroups && !plan_.capture.process_params.cgroups)
    params_missing += std::string(params_missing.empty() ? "" : " and ") + "cgroups";
  if (!params_missing.empty())
    log_ << " (process " << params_missing << " their fields read are not captured until a restart)";
  log_ << "\n";
  pipeline_->replace_rules(*next->engine, next->worker_engine_pointers());
  route_plugin_sources(*next);
  retired_ = std::exchange(active_, std::move(*next));
  note_load(*config);
  log_.flush();
}

// SIGHUP: a loaded plugin whose init_config changed in the reloaded config
// gets it through plugin_set_config (checked against its schema first); one
// without set_config keeps its old config until a restart, said so.
void Collector::apply_plugin_configs(const KestrelConfig& config) {
  for (auto& p : plugins_) {
    const PluginConfig* next = nullptr;
    for (const auto& pc : config.plugins)
      if (pc.name == p.config.name) next = &pc;
    if (!next || next->init_config == p.config.init_config) continue;
    if (Status s = p.library->set_config(next->init_config); !s.ok()) {
      log_ << "kestrel: SIGHUP: plugin '" << p.config.name << "' keeps its config: " << s.to_string() << "\n";
      continue;
    }
    p.config.init_config = next->init_config;
    log_ << "kestrel: SIGHUP: plugin '" << p.config.name << "' config changed (set_config)\n";
  }
}

// Every second on the engine thread: a requested reload, the output
// workers' log lines, the drop alarm, the webserver's snapshot, and every
// metrics.interval the stats line.
void Collector::on_tick(const PipelineSummary& running) {
  // watch_config_files: a change reloads as SIGHUP does.
  if (config_.watch_config_files && watch_.changed()) {
    log_ << "kestrel: watch_config_files: a watched file changed; reloading\n";
    reload_requested_.store(true);
  }
  if (reload_requested_.exchange(false)) apply_reload();
  close_async_events_after_the_other_sources(running);
  output_log_.print(log_);
  log_source_failures(running);
  if (!replaying()) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    act_on_drops(running, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
  }
  if (nats_bus_ && std::chrono::steady_clock::now() >= next_status_) {
    next_status_ = std::chrono::steady_clock::now() + plan_.fleet->status_interval;
    MetricsSnapshot status =
        make_snapshot(running, last_status_ ? &*last_status_ : nullptr, started_, read_process_usage());
    status.hostname = plan_.rule_engine.hostname;
    publish_node_status(status, false);
    last_status_ = std::move(status);
  }
  if (!webserver_ && !plan_.metrics.enabled) return;
  const auto now = std::chrono::steady_clock::now();
  const bool log_now = plan_.metrics.enabled && now >= next_metrics_;
  MetricsSnapshot snapshot =
      make_snapshot(running, last_logged_ ? &*last_logged_ : nullptr, started_, read_process_usage());
  snapshot.hostname = plan_.rule_engine.hostname;
  snapshot.groups = plan_.metrics.groups;
  snapshot.rules_loaded = active_.rule_count();
  snapshot.reload_ns = reload_ns_;
  snapshot.rules_files_sha256 = rules_sha256_;
  snapshot.config_files_sha256 = config_sha256_;
  if (plan_.containers) snapshot.containers = container_store_counters(*plan_.containers);
  if (forwarder_) {
    auto f = forwarder_->stats();
    snapshot.forward = {{"produced", f.produced},       {"sent", f.sent},
                        {"dropped", f.dropped},         {"not_forwarded", f.not_forwarded},
                        {"batches_sent", f.batches_sent}, {"bytes_sent", f.bytes_sent},
                        {"connections", f.connections}, {"connect_failures", f.connect_failures},
                        {"snapshots_sent", f.snapshots_sent}, {"connected", f.connected ? 1u : 0u},
                        {"queued_bytes", f.queued_bytes}};
  }
  {
    const auto& env = kcap::detect_environment();
    snapshot.environment = {{"kind", env.kind}, {"hypervisor", env.hypervisor}, {"cloud", env.cloud}};
  }
  if (log_now) {
    next_metrics_ = now + plan_.metrics.interval;
    log_ << "kestrel: stats: " << metrics_log_line(snapshot) << "\n";
    log_.flush();
    const MetricsSnapshot* previous = last_logged_ ? &*last_logged_ : nullptr;
    ++metrics_samples_;
    if (!plan_.metrics.output_file.empty())
      append_metrics_line(plan_.metrics.output_file, falco_metrics_file_line(snapshot, previous, metrics_samples_));
    if (!plan_.metrics.kestrel_output_file.empty())
      append_metrics_line(plan_.metrics.kestrel_output_file, metrics_json(snapshot));
    if (plan_.metrics.output_rule)
      outputs_->submit(falco_metrics_snapshot_alert(snapshot, previous));
    last_logged_ = snapshot;
  }
  if (webserver_) webserver_->publish(std::move(snapshot));
}

// One write(2) per line on an O_APPEND descriptor: a reader tailing the
// file (and Falco's consumers do) never sees half a line, however long the
// line grows (an ofstream wrote lines longer than its buffer in pieces).
void Collector::append_metrics_line(const std::string& path, const std::string& line) {
  const std::string whole = line + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ssize_t n = -1;
  if (fd >= 0) {
    do n = ::write(fd, whole.data(), whole.size());
    while (n < 0 && errno == EINTR);
  }
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (n != static_cast<ssize_t>(whole.size()))
    log_ << "kestrel: metrics: cannot append to '" << path << "': "
         << (n < 0 ? std::strerror(err) : "short write") << "\n";
}

// A source that failed (a plugin whose next_batch returned an error, a
// capture cut short) has ended alone: said once, when it is seen, with the
// source's error (a plugin's names the plugin and its get_last_error). The
// metrics carry it as the source's `failed` (metrics.h).
void Collector::log_source_failures(const PipelineSummary& running) {
  size_t still_running = 0;
  for (const auto& src : running.sources)
    if (!src.ended) ++still_running;
  for (const auto& src : running.sources) {
    if (src.error.ok() || failures_logged_.contains(src.id)) continue;
    failures_logged_.insert(src.id);
    log_ << "kestrel: source '" << src.name << "' failed and stopped: " << src.error.to_string() << "; "
         << still_running << " other source(s) go on\n";
  }
  log_.flush();
}

// A drop check at `now_ns`; false when the exit action stops the collector.
bool Collector::act_on_drops(const PipelineSummary& running, uint64_t now_ns) {
  auto alarm = drop_alarm_.check(running, now_ns);
  if (!alarm) return true;
  // Falco logs the message for the exit action too.
  if (plan_.drop_alarm.log || alarm->exit) log_ << "kestrel: " << alarm->message << "\n";
  if (alarm->alert) outputs_->submit(std::move(*alarm->alert));
  if (!alarm->exit) return true;
  log_ << "kestrel: Exiting. (syscall_event_drops.actions has exit)\n";
  log_.flush();
  exit_on_drops_ = true;
  stop_requested_.store(true);
  return false;
}

// Sources are open and servers bound: give up what running does not need.
void Collector::on_capture_started() {
  if (owns_process()) {
    std::vector<std::string> names;
    for (const auto& report : mux_.reports()) names.push_back(report.name);
    const CapabilityMask keep = capabilities_to_keep(names, config_);
    Status dropped = drop_process_capabilities(keep);
    if (dropped.ok()) log_ << "kestrel: capabilities dropped; keeping " << capability_names(keep) << "\n";
    else log_ << "kestrel: warning: could not drop capabilities: " << dropped.to_string() << "\n";
  }
  if (plan_.fleet) source_kind_ = syscall_source_kind(plan_.fleet->source_kind);
  // Start-up garbage back to the system: loading the eBPF probe has libbpf
  // parse the kernel's BTF (~12 MB with its index, heaptrack) and free it.
  // Idle RSS with the default rules on glibc: 72 MB before, 63 MB after
  // (bench/memory_ceiling.py).
  release_free_memory();
  log_ << "kestrel: capturing (" << table_.size() << " threads known at start; " << pipeline_->workers_in_use()
       << (pipeline_->workers_in_use() == 1 ? " engine worker" : " engine workers") << ")\n";
  if (!pipeline_->workers_note().empty()) log_ << "kestrel: one engine worker: " << pipeline_->workers_note() << "\n";
  log_.flush();
}

Status Collector::take_fleet_alert(const fleet::ReceivedAlert& received) {
  auto alert = alert_from_fleet_json(received.json, received.node);
  if (!alert.ok()) {
    output_log_.add("kestrel: nats source: " + alert.status().to_string());
    return alert.status();
  }
  if (!outputs_ready_.load()) return Status(StatusCode::kUnavailable, "nats source: outputs not started");
  outputs_->submit(std::move(*alert));
  return ok_status();
}

// Plain publish (buffered by the client, never blocking the engine
// thread); the stream stores it like any kestrel.> message. A status lost
// in a fail-over is replaced by the next one.
void Collector::publish_node_status(const MetricsSnapshot& snapshot, bool final) {
  fleet::NodeStatus status = node_status_from(snapshot, plan_.fleet->node,
                                              source_kind_.empty() ? plan_.fleet->source_kind : source_kind_,
                                              plan_.fleet->driver);
  status.final = final;
  status.driver_proven = plan_.fleet->driver_proven;
  const std::string body = fleet::node_status_json(status);
  const std::string subject = fleet::status_subject(plan_.fleet->node);
  natsConnection_Publish(nats_bus_->connection(), subject.c_str(), body.data(), static_cast<int>(body.size()));
  if (final) natsConnection_FlushTimeout(nats_bus_->connection(), 2000);
}

Result<PipelineSummary> Collector::run() {
  auto summary = pipeline_->run(stop_requested_, plan_.duration, [this] { on_capture_started(); });
  if (forwarder_) {
    forwarder_->stop();
    auto f = forwarder_->stats();
    log_ << "kestrel: forward: " << f.produced << " records, " << f.sent << " sent, " << f.dropped
         << " dropped, " << f.connections << " connections\n";
  }
  return summary;
}

int Collector::shut_down(const Result<PipelineSummary>& summary) {
  close_plugin_captures();
  if (grpc_server_) grpc_server_->stop(std::chrono::seconds(2));
  if (webserver_) webserver_->stop();
  output_log_.print(log_);
  if (!summary.ok()) {
    log_ << "kestrel: " << summary.status().to_string() << "\n";
    return kExitFailure;
  }
  if (nats_bus_) {
    MetricsSnapshot last = make_snapshot(*summary, last_status_ ? &*last_status_ : nullptr, started_,
                                         read_process_usage());
    last.hostname = plan_.rule_engine.hostname;
    publish_node_status(last, true);
  }
  if (status_watch_) {
    log_ << "kestrel: fleet: " << status_watch_->received() << " node statuses received, "
         << status_watch_->malformed() << " malformed, " << node_store_errors_.load()
         << " not stored (store errors)\n";
    status_watch_.reset();  // no delivery after this
  }
  if (event_publisher_) {
    const FleetEventCounters c = event_publisher_->counters();
    log_ << "kestrel: fleet events: " << c.events << " events in " << c.messages << " messages (" << c.bytes
         << " bytes) published to " << fleet::events_subject(plan_.fleet->node) << "; dropped " << c.dropped_events
         << " events in " << c.dropped_messages << " messages; " << c.retries << " publishes retried\n";
  }
  print_summary(log_, *summary);
  print_drop_monitoring(log_, drop_alarm_.counts());
  if (options_.stats) print_source_counters(log_, *summary);
  if (exit_on_drops_) return kExitFailure;
  if (!summary->recording.ok()) return kExitFailure;
  for (const auto& src : summary->sources)
    if (!src.error.ok()) return kExitFailure;
  return kExitOk;
}

}  // namespace kestrel
