#include "app/run_collector.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "app/pipeline.h"
#include "app/rules_loading.h"
#include "app/source_factory.h"
#include "engine/eval/rule_engine.h"
#include "engine/outputs/http_sink.h"
#include "engine/outputs/program_sink.h"
#include "engine/outputs/syslog_sink.h"

namespace kestrel {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

std::string local_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::vector<std::unique_ptr<engine::OutputSink>> make_sinks(const KestrelConfig& config, std::ostream& out) {
  std::vector<std::unique_ptr<engine::OutputSink>> sinks;
  if (config.stdout_output.enabled) sinks.push_back(engine::make_stream_sink(out));
  if (config.file_output.enabled)
    sinks.push_back(engine::make_file_sink(config.file_output.filename, config.file_output.keep_alive));
  if (config.program_output.enabled)
    sinks.push_back(engine::make_program_sink(config.program_output.program, config.program_output.keep_alive));
  if (config.syslog_output.enabled) sinks.push_back(engine::make_syslog_sink());
  if (config.http_output.enabled) {
    engine::HttpSinkOptions http;
    http.url = config.http_output.url;
    http.user_agent = config.http_output.user_agent;
    http.queue_capacity = config.outputs.http_queue_capacity;
    http.max_backoff = config.outputs.http_max_backoff;
    http.request_timeout = config.outputs.http_timeout;
    http.format.include_output = config.json_include_output_property;
    http.format.include_tags = config.json_include_tags_property;
    sinks.push_back(engine::make_http_sink(std::move(http)));
  }
  return sinks;
}

}  // namespace

EventTypeSet state_event_types() {
  EventTypeSet types;
  for (const auto& e : all_events())
    if (e.flags & KEF_STATE) types.set(e.type);
  return types;
}

int run_collector(const CliOptions& options, const KestrelConfig& config, std::ostream& out, std::ostream& log) {
  auto rules = load_configured_rules(options.rules.empty() ? config.rules_files : options.rules, log);
  if (!rules.ok()) {
    log << "kestrel: " << rules.status().message();
    return kExitFailure;
  }
  engine::RuleEngineOptions engine_options;
  engine_options.rule_matching = config.rule_matching == "all" ? engine::RuleMatching::kAll : engine::RuleMatching::kFirst;
  engine_options.min_priority = engine::parse_priority(config.priority).value_or(engine::Priority::kDebug);
  engine_options.hostname = local_hostname();
  auto engine = engine::RuleEngine::create(*rules, engine_options);
  if (!engine.ok()) {
    log << "kestrel: " << engine.status().to_string() << "\n";
    return kExitFailure;
  }

  auto sources = make_sources(config, options.capture);
  if (!sources.ok()) {
    log << "kestrel: " << sources.status().to_string() << "\n";
    return sources.status().code() == StatusCode::kUnimplemented ? kExitUsage : kExitFailure;
  }
  EventTypeSet wanted = (*engine)->required_event_types() | state_event_types();
  if (options.all_events) wanted.set();
  Multiplexer mux;
  for (auto& source : *sources) {
    if (Status s = source->set_event_filter(wanted); !s.ok()) {
      log << "kestrel: " << source->capabilities().name << ": " << s.to_string() << "\n";
      return kExitFailure;
    }
    mux.add(std::move(source));
  }

  ThreadTable table(ThreadTableConfig{config.state.max_threads, config.state.max_fds_per_process});
  engine::DispatcherOptions dispatch;
  dispatch.format.json = config.json_output;
  dispatch.format.include_output = config.json_include_output_property;
  dispatch.format.include_tags = config.json_include_tags_property;
  dispatch.format.ocsf = config.outputs.ocsf;
  dispatch.queue_capacity = config.outputs.queue_capacity;
  dispatch.rate_per_second = static_cast<double>(config.outputs.rate);
  dispatch.max_burst = static_cast<double>(config.outputs.max_burst);
  engine::AlertDispatcher outputs(dispatch, make_sinks(config, out));

  g_stop.store(false);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  log << "kestrel: " << (*engine)->rule_count() << " rules loaded, " << wanted.count() << " event types captured\n";
  log.flush();

  Pipeline pipeline(mux, table, **engine, outputs);
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
    log << "kestrel: capturing (" << table.size() << " threads known at start)\n";
    log.flush();
  });
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!summary.ok()) {
    log << "kestrel: " << summary.status().to_string() << "\n";
    return kExitFailure;
  }
  print_summary(log, *summary);
  if (!summary->recording.ok()) return kExitFailure;
  for (const auto& src : summary->sources)
    if (!src.error.ok()) return kExitFailure;
  return kExitOk;
}

}  // namespace kestrel
