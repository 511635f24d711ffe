#include "app/loaded_rules.h"

#include "app/rules_loading.h"

namespace kestrel {

size_t LoadedRules::rule_count() const {
  size_t n = engine->rule_count();
  for (const auto& [source, e] : by_source) n += e->rule_count();
  return n;
}

Result<LoadedRules> load_rules(const CliOptions& options, const KestrelConfig& config,
                               const engine::eval::RuleEngineOptions& options_in, std::ostream& log,
                               const engine::FieldRegistry& fields, const PluginProviders& providers) {
  auto rules = load_configured_rules(options.rules.empty() ? config.rules_files : options.rules, log,
                                     config.limits.rules_file_bytes, fields);
  if (!rules.ok()) return rules.status();
  apply_rule_selection(*rules, options.rule_selection);
  LoadedRules loaded;
  loaded.set = std::make_unique<engine::RuleSet>(std::move(*rules));
  // Compiled against the registry the rules were validated with.
  auto engine_options = options_in;
  engine_options.fields = &fields;
  // A plugin extracting from syscall events fills its fields in the
  // syscall engine; every other entry is a plugin source's own engine.
  if (auto it = providers.find("syscall"); it != providers.end()) engine_options.field_provider = it->second;
  auto engine = engine::eval::RuleEngine::create(*loaded.set, engine_options);
  if (!engine.ok()) return engine.status();
  loaded.engine = std::move(*engine);
  loaded.engine_options = engine_options;
  for (const auto& [source, provider] : providers) {
    if (source == "syscall") continue;
    auto options_for = engine_options;
    options_for.source = source;
    options_for.field_provider = provider;
    auto e = engine::eval::RuleEngine::create(*loaded.set, options_for);
    if (!e.ok()) return Status(e.status().code(), "source " + source + ": " + e.status().message(), e.status().where());
    loaded.by_source[source] = std::move(*e);
  }
  return loaded;
}

}  // namespace kestrel
