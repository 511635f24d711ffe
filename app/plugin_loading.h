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
#include "engine/fields/field_registry.h"
#include "plugins/plugin_field_chain.h"
#include "plugins/plugin_field_provider.h"
#include "plugins/plugin_library.h"
#include "sources/source.h"

namespace kestrel {

struct LoadedPlugin {
  PluginConfig config;
  std::shared_ptr<plugin::PluginLibrary> library;
  std::unique_ptr<plugin::PluginFieldProvider> fields;  // null without extraction
  // For a plugin with an event source: what fills that source's fields —
  // its own extractor, then every extractor-only plugin's (load order).
  std::unique_ptr<plugin::FieldProviderChain> source_fields;
};

// Loads and initialises config.load_plugins, in order. Errors name the
// plugin and say what is wrong (unknown name, library, version, init text).
Result<std::vector<LoadedPlugin>> load_plugins(const KestrelConfig& config);

// The fields rules may name with these plugins loaded: the static field
// sets plus, for each plugin event source, the field table of the plugin
// that fills it (plugin_field_providers), so rules may name fields only the
// plugin declares. Build it before loading rules and keep it as long as the
// rule engines compiled against it (they point into it).
engine::FieldRegistry plugin_field_registry(const std::vector<LoadedPlugin>& plugins);

// The event sources the loaded plugins produce, each with the provider
// that fills its fields: the source plugin's extractor, then those of the
// extractor-only plugins (Falco's json plugin with cloudtrail), a field
// going to the first that declares it. Extractor-only plugins serve every
// plugin source (the API's meaning of an absent extract-sources list).
std::map<std::string, engine::eval::FieldProvider*> plugin_field_providers(const std::vector<LoadedPlugin>& plugins);

// A Source per loaded plugin with an event source (open_params from config).
std::vector<std::unique_ptr<Source>> make_plugin_sources(const std::vector<LoadedPlugin>& plugins);

// `kestrel --list-plugins`: name, version, API, source, id, fields count,
// library path, description — one block per configured plugin.
void print_plugin_list(std::ostream& out, const std::vector<LoadedPlugin>& plugins);

}  // namespace kestrel
