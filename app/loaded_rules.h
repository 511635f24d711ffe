// loaded_rules.h — a rule set and the rule engines compiled from it.
//
// One engine for the syscall source and one per plugin event source
// ("k8s_audit"), all compiled from the same rule set (which they refer
// into, so the set lives as long as they do). The collector loads one at
// start and another on every SIGHUP.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "app/cli.h"
#include "app/config/config.h"
#include "app/plugin_loading.h"
#include "state/containers/container_metadata.h"
#include "engine/eval/rule_engine.h"
#include "engine/rule_set.h"

namespace kestrel {

struct LoadedRules {
  std::unique_ptr<engine::RuleSet> set;
  // static_fields' static.<key> (null without any); before `providers`,
  // which use it.
  std::unique_ptr<StaticFieldProvider> static_fields;
  // What the engines below extract plugin fields with; declared first so
  // they outlive the engines.
  std::map<std::string, std::unique_ptr<SourceFieldProvider>> providers;  // per plugin event source
  std::unique_ptr<engine::eval::PluginEventInfo> plugin_events;         // evt.pluginname, evt.plugininfo
  // engine.workers > 1: one view of the container store per engine of the
  // syscall source (serialized_container_metadata.h), before the engines.
  std::vector<std::unique_ptr<ContainerMetadata>> worker_containers;
  std::unique_ptr<engine::eval::RuleEngine> engine;  // the syscall source's
  engine::eval::RuleEngineOptions engine_options;     // what `engine` was compiled with
  std::map<std::string, std::unique_ptr<engine::eval::RuleEngine>> by_source;
  // engine.workers > 1: the syscall source's engines of workers 1..N-1
  // (app/engine_workers.h), compiled as `engine`; empty: one worker.
  std::vector<std::unique_ptr<engine::eval::RuleEngine>> worker_engines;
  std::vector<engine::eval::RuleEngine*> worker_engine_pointers() const;
  size_t rule_count() const;
};

// The rules -r names (else config.rules_files, else the embedded set),
// compiled with `engine_options` (collector_plan.h: rule_engine_options)
// once for the syscall source and once per event source of `plugins`
// (plugin_field_providers). Warnings go to `log`. Errors name the file, or
// the plugin source whose engine failed. The rules are loaded and compiled
// against `fields` (plugin_field_registry of `plugins`), which must outlive
// the result; it replaces engine_options.fields. The rules files'
// required_plugin_versions must be met by `plugins`, else the error is
// Falco's text (engine/plugin_requirements.h).
// config.engine.workers (0: default_engine_workers()) above 1 compiles the
// syscall engine once per worker, unless plugins are loaded or a field
// provider reads syscall events (static_fields): those are one thread's.
Result<LoadedRules> load_rules(const CliOptions& options, const KestrelConfig& config,
                               const engine::eval::RuleEngineOptions& engine_options, std::ostream& log,
                               const engine::FieldRegistry& fields, const std::vector<LoadedPlugin>& plugins);

}  // namespace kestrel
