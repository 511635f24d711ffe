#include "app/run_collector.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include "app/collector.h"
#include "app/collector_plan.h"
#include "app/event_source_selection.h"
#include "app/container_setup.h"
#include "app/loaded_rules.h"
#include "app/plugin_loading.h"
#include "sources/remote/remote_source.h"
#include "engine/eval/kernel_filter.h"

namespace kestrel {
namespace {

// The collector the signal handlers talk to; its stop() and reload() only
// store to atomics, which is all a handler may do.
std::atomic<Collector*> g_collector{nullptr};
extern "C" void on_stop_signal(int) {
  if (Collector* c = g_collector.load()) c->stop();
}
extern "C" void on_reload_signal(int) {
  if (Collector* c = g_collector.load()) c->reload();
}

// -P FILE: the process id while the collector runs, as Falco's --pidfile.
class PidFile {
 public:
  Status write(const std::string& path) {
    std::ofstream file(path, std::ios::trunc);
    if (!(file << getpid() << "\n") || !file.flush())
      return Status(StatusCode::kInvalidArgument, "-P: cannot write the pid file '" + path + "'");
    path_ = path;
    return ok_status();
  }
  ~PidFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }

 private:
  std::string path_;
};

}  // namespace

std::string alert_hostname() {
  // Falco's override, so deployments that set it for Falco name hosts the
  // same way (containers whose hostname is meaningless, tests).
  if (const char* env = std::getenv("FALCO_HOSTNAME"); env != nullptr && *env != '\0') return env;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

int run_collector(const CliOptions& options, const KestrelConfig& loaded_config, std::ostream& out,
                  std::ostream& log) {
  const std::string hostname = alert_hostname();
  KestrelConfig config = loaded_config;
  // Plugins first: the rule engines of their sources use their extractors.
  auto plugins = load_plugins(config);
  if (!plugins.ok()) {
    log << "kestrel: " << plugins.status().to_string() << "\n";
    return kExitFailure;
  }
  // The fields rules may name with these plugins: outlives the collector
  // and every rule set it loads.
  const engine::FieldRegistry fields = plugin_field_registry(*plugins, config.static_fields);
  // Container metadata: outlives the collector and every engine it loads.
  std::unique_ptr<ContainerStore> containers = make_container_store(config, options);
  auto engine_options = rule_engine_options(config, hostname);
  engine_options.containers = containers.get();
  // Which machine each domain is (vm.*, machine.*): this one, and the
  // guests a RemoteSource registers. Outlives the collector.
  auto machines = std::make_unique<MachineDirectory>(remote::local_machine_identity());
  engine_options.machines = machines.get();
  auto rules = load_rules(options, config, engine_options, log, fields, *plugins);
  if (!rules.ok()) {
    log << "kestrel: " << rules.status().to_string() << "\n";
    return kExitFailure;
  }
  if (rules->rule_count() == 0) log << "kestrel: warning: no enabled rule is loaded; nothing will be detected\n";

  // --enable-source / --disable-source over syscall and the plugins' sources.
  std::vector<std::string> known_sources{kSyscallSource};
  for (const auto& plugin : *plugins)
    if (plugin.library->info().can_source) known_sources.push_back(plugin.library->info().event_source);
  auto disabled = disabled_event_sources(known_sources, options.enable_sources, options.disable_sources);
  if (!disabled.ok()) {
    log << "kestrel: " << disabled.status().to_string() << "\n";
    return kExitFailure;
  }
  if (disabled->contains(kSyscallSource)) {
    config.engine.kind = "none";
    config.engine.gvisor_enabled = false;
  }
  RulesNeeds needs = rules_needs(*rules->set, *rules->engine, rules->engine_options);
  for (const auto& source : known_sources)
    if (source != kSyscallSource && !disabled->contains(source)) needs.plugin_event_sources.push_back(source);
  auto plan = plan_collector(options, config, needs, hostname);
  if (!plan.ok()) {
    log << "kestrel: " << plan.status().to_string() << "\n";
    return kExitFailure;
  }
  if (options.dry_run) {
    for (const auto& filter : plan->capture.kernel_filters)
      log << "kestrel: kernel filter: " << engine::eval::kernel_filter_text(filter) << "\n";
    log << "kestrel: --dry-run: configuration, plugins and " << rules->rule_count()
        << " rules loaded and the sources planned; exiting without capturing\n";
    log.flush();
    return kExitOk;
  }
  PidFile pidfile;
  if (!options.pidfile.empty())
    if (Status s = pidfile.write(options.pidfile); !s.ok()) {
      log << "kestrel: " << s.to_string() << "\n";
      return kExitFailure;
    }
  plan->rule_engine.containers = containers.get();
  plan->rule_engine.machines = machines.get();
  plan->sources.machines = machines.get();
  plan->containers = containers.get();
  if (containers && config.containers.watch_events) containers->start();

  Collector collector(std::move(*plan), options, config, *plugins, fields, std::move(*rules), out, log);
  if (Status s = collector.start(); !s.ok()) {
    log << "kestrel: " << s.to_string() << "\n";
    return exit_code_for(s);
  }
  g_collector.store(&collector);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGHUP, on_reload_signal);
  auto summary = collector.run();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGHUP, SIG_DFL);
  g_collector.store(nullptr);
  return collector.shut_down(summary);
}

}  // namespace kestrel
