// plugin_loading.h — the plugins a configuration loads (Falco's
// `plugins:` + `load_plugins:`).
//
// Every name in load_plugins must have an entry in plugins; each is
// loaded (plugins/plugin_library.h: symbols, API version), then
// initialised with its init_config. A plugin with an event source becomes a
// PluginSource run by the multiplexer; a plugin with field extraction
// becomes the FieldProvider of the rule engine for its event source.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "app/config/config.h"
#include "app/source_field_provider.h"
#include "app/static_fields.h"
#include "engine/fields/field_registry.h"
#include "engine/plugin_requirements.h"
#include "plugins/plugin_field_provider.h"
#include "plugins/plugin_library.h"
#include "sources/source.h"

namespace kestrel {

struct LoadedPlugin {
  PluginConfig config;
  std::shared_ptr<plugin::PluginLibrary> library;
  std::unique_ptr<plugin::PluginFieldProvider> fields;  // null without extraction
};

// Where a plugin's library_path points: as written when absolute, else
// inside `plugins_dir` (config key plugins_dir). Falco prepends its plugins
// directory to every library_path not starting with '/'
// (falcosecurity/falco userspace/falco/configuration.cpp, plugin_config
// decode: "prepend share dir if path is not absolute"), so `libk8saudit.so`
// is /usr/share/falco/plugins/libk8saudit.so by default.
std::string resolve_library_path(const std::string& library_path, const std::string& plugins_dir);

// Loads and initialises config.load_plugins, in order, each from its
// resolved library_path. Errors name the plugin and say what is wrong
// (unknown name, library, version, init text).
Result<std::vector<LoadedPlugin>> load_plugins(const KestrelConfig& config);

// Name and version of each loaded plugin, for the rules files'
// required_plugin_versions (engine/plugin_requirements.h).
std::vector<engine::LoadedPluginVersion> plugin_versions(const std::vector<LoadedPlugin>& plugins);

// True when `info`'s extractor fills `source`'s fields: the sources it
// lists in get_extract_event_sources; none listed: its own event source if
// it has one, else every source (plugin_api.h).
bool extracts_from(const plugin::PluginInfo& info, std::string_view source);

// The event sources the loaded plugins produce, in load order.
std::vector<std::string> plugin_event_sources(const std::vector<LoadedPlugin>& plugins);

// The fields rules may name with these plugins loaded: the static field
// sets plus, for each plugin event source, the field tables of every
// loaded plugin extracting from it (extracts_from), in load order, so
// rules may name fields only a plugin declares. A loaded extractor's
// fields are withdrawn from the static tables of the sources it does not
// extract from: a rule naming one there is refused, condition or output.
// Build it before loading rules and keep it as long as the rule engines
// compiled against it (they point into it).
// The append_output entries an entry with suggested_output (matching what
// `match` matches) stands for on the plugins' side: "foo_bar=%foo.bar" for
// every field a loaded plugin marks "addOutput", in each source the plugin
// extracts from (match's source only, when it names one), with match's tags
// and rule (Falco's add_suggested_output; static_fields' own are in
// collector_plan.cpp).
std::vector<engine::AppendOutput> plugin_suggested_output(const engine::AppendOutput& match,
                                                          const std::vector<LoadedPlugin>& plugins);

// `statics` (falco.yaml's static_fields) add static.<key> to every source
// (app/static_fields.h).
engine::FieldRegistry plugin_field_registry(const std::vector<LoadedPlugin>& plugins,
                                            const StaticFields& statics = {});

// For each event source the loaded plugins produce, the provider filling
// its fields: every plugin extracting from it (source_field_provider.h);
// one with no extractor when none does. With `statics` (static_fields),
// "syscall" and every plugin source get it first, for static.<key>. The
// plugins and `statics` must outlive them.
std::map<std::string, std::unique_ptr<SourceFieldProvider>> plugin_field_providers(
    const std::vector<LoadedPlugin>& plugins, StaticFieldProvider* statics = nullptr);

// A Source per loaded plugin with an event source (open_params from config).
std::vector<std::unique_ptr<Source>> make_plugin_sources(const std::vector<LoadedPlugin>& plugins);

// `kestrel --list-plugins`, in Falco's layout (falcosecurity/falco
// userspace/falco/app/actions/list_plugins.cpp and format_plugin_info in
// helpers_generic.cpp): "N Plugins Loaded:", then per plugin its name,
// description, contact, version and capabilities (event sourcing with id
// and source, field extraction, event parsing, async events).
void print_plugin_list(std::ostream& out, const std::vector<LoadedPlugin>& plugins);

}  // namespace kestrel
