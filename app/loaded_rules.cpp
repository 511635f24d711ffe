#include "app/loaded_rules.h"

#include "app/fleet_correlator.h"

#include "app/collector_plan.h"
#include "app/engine_workers.h"
#include "app/serialized_container_metadata.h"
#include "app/plugin_event_names.h"
#include "app/rules_loading.h"
#include "engine/plugin_requirements.h"

namespace kestrel {

size_t LoadedRules::rule_count() const {
  size_t n = engine->rule_count();
  for (const auto& [source, e] : by_source) n += e->rule_count();
  return n;
}

std::vector<engine::eval::RuleEngine*> LoadedRules::worker_engine_pointers() const {
  std::vector<engine::eval::RuleEngine*> v;
  for (const auto& e : worker_engines) v.push_back(e.get());
  return v;
}

Result<LoadedRules> load_rules(const CliOptions& options, const KestrelConfig& config,
                               const engine::eval::RuleEngineOptions& options_in, std::ostream& log,
                               const engine::FieldRegistry& fields, const std::vector<LoadedPlugin>& plugins) {
  auto rules = load_configured_rules(options.rules.empty() ? config.rules_files : options.rules, log,
                                     config.limits.rules_file_bytes, fields);
  if (!rules.ok()) return rules.status();
  // After every file, as Falco checks (load_rules_files.cpp); what Kestrel
  // does natively (container.*) stands for its plugin.
  if (auto unmet = engine::unmet_plugin_requirement(rules->required_plugin_versions, plugin_versions(plugins),
                                                    engine::built_in_plugins()))
    return Status(StatusCode::kInvalidArgument, *unmet);
  apply_rule_selection(*rules, config.rules_toggles, options.rule_selection);
  if (Status s = check_fleet_correlations(config.fleet.correlations, *rules); !s.ok()) return s;
  LoadedRules loaded;
  loaded.set = std::make_unique<engine::RuleSet>(std::move(*rules));
  if (!config.static_fields.empty()) loaded.static_fields = std::make_unique<StaticFieldProvider>(config.static_fields);
  loaded.providers = plugin_field_providers(plugins, loaded.static_fields.get());
  loaded.plugin_events = std::make_unique<PluginEventNames>(plugins);
  // Compiled against the registry the rules were validated with.
  auto engine_options = options_in;
  engine_options.fields = &fields;
  // suggested_output's plugin side needs the loaded plugins (their
  // "addOutput" fields); static_fields' part is in rule_engine_options.
  for (const AppendOutput& entry : config.append_output)
    if (entry.suggested_output)
      for (auto& e : plugin_suggested_output(engine_append_output(entry), plugins))
        engine_options.append_output.push_back(std::move(e));
  // A plugin extracting from syscall events fills its fields in the
  // syscall engine; every other entry is a plugin source's own engine.
  if (auto it = loaded.providers.find("syscall"); it != loaded.providers.end())
    engine_options.field_provider = it->second.get();
  engine_options.plugin_events = loaded.plugin_events.get();
  const size_t workers = plugins.empty() && engine_options.field_provider == nullptr
                             ? (config.engine.workers == 0 ? default_engine_workers()
                                                           : std::min<size_t>(config.engine.workers, kMaxEngineWorkers))
                             : 1;
  // Several engines share the container store through one lock each
  // (SerializedContainerMetadata); the first is the pipeline thread's.
  auto syscall_options = [&](size_t worker) {
    auto o = engine_options;
    if (workers > 1 && o.containers) o.containers = loaded.worker_containers[worker].get();
    return o;
  };
  if (workers > 1 && engine_options.containers) {
    auto lock = std::make_shared<std::mutex>();
    for (size_t i = 0; i < workers; ++i)
      loaded.worker_containers.push_back(
          std::make_unique<SerializedContainerMetadata>(*engine_options.containers, lock));
  }
  auto engine = engine::eval::RuleEngine::create(*loaded.set, syscall_options(0));
  if (!engine.ok()) return engine.status();
  loaded.engine = std::move(*engine);
  loaded.engine_options = engine_options;
  for (size_t i = 1; i < workers; ++i) {
    auto e = engine::eval::RuleEngine::create(*loaded.set, syscall_options(i));
    if (!e.ok()) return e.status();
    loaded.worker_engines.push_back(std::move(*e));
  }
  for (const auto& [source, provider] : loaded.providers) {
    if (source == "syscall") continue;
    auto options_for = engine_options;
    options_for.source = source;
    options_for.field_provider = provider.get();
    auto e = engine::eval::RuleEngine::create(*loaded.set, options_for);
    if (!e.ok()) return Status(e.status().code(), "source " + source + ": " + e.status().message(), e.status().where());
    loaded.by_source[source] = std::move(*e);
  }
  return loaded;
}

}  // namespace kestrel
