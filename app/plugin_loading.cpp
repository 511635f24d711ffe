#include "app/plugin_loading.h"

#include "plugins/plugin_event_encoding.h"
#include <algorithm>

#include "plugins/plugin_source.h"

namespace kestrel {
namespace {

engine::FieldType registry_type(const plugin::PluginField& f) {
  switch (f.ftype) {
    case FTYPE_UINT64: return engine::FieldType::kUint64;
    case FTYPE_BOOL: return engine::FieldType::kBool;
    case FTYPE_RELTIME: return engine::FieldType::kRelTime;
    case FTYPE_ABSTIME: return engine::FieldType::kAbsTime;
    case FTYPE_IPADDR: return engine::FieldType::kIpAddr;
    case FTYPE_IPNET: return engine::FieldType::kIpNet;
    default: return f.is_list ? engine::FieldType::kStringList : engine::FieldType::kString;
  }
}

// The plugin's get_fields table becomes part of `source`'s fields in
// `registry`, so rules may name fields the static tables lack.
void add_fields(engine::FieldRegistry& registry, const std::string& source, const plugin::PluginInfo& info) {
  if (source.empty()) return;
  std::vector<engine::RegisteredField> fields;
  for (const auto& f : info.fields) {
    engine::RegisteredField r;
    r.name = f.name;
    r.type = registry_type(f);
    r.arg = f.arg_index && f.arg_key ? engine::FieldArg::kIndexOrKey
            : f.arg_index            ? engine::FieldArg::kIndex
            : f.arg_key              ? engine::FieldArg::kKey
                                     : engine::FieldArg::kNone;
    r.arg_required = f.arg_required;
    r.description = f.description;
    fields.push_back(std::move(r));
  }
  registry.add_plugin_fields(source, info.name, info.name + " plugin fields (loaded)", fields);
}

}  // namespace

std::string resolve_library_path(const std::string& library_path, const std::string& plugins_dir) {
  if (library_path.empty() || library_path.front() == '/' || plugins_dir.empty()) return library_path;
  return plugins_dir.back() == '/' ? plugins_dir + library_path : plugins_dir + "/" + library_path;
}

Result<std::vector<LoadedPlugin>> load_plugins(const KestrelConfig& config) {
  std::vector<LoadedPlugin> out;
  for (const auto& name : config.load_plugins) {
    const PluginConfig* pc = nullptr;
    for (const auto& p : config.plugins)
      if (p.name == name) pc = &p;
    if (!pc)
      return Status(StatusCode::kInvalidArgument,
                    "load_plugins names '" + name + "', which has no entry in `plugins`");
    for (const auto& loaded : out)
      if (loaded.config.name == name)
        return Status(StatusCode::kInvalidArgument, "load_plugins names '" + name + "' twice");
    auto lib = plugin::PluginLibrary::load(resolve_library_path(pc->library_path, config.plugins_dir));
    if (!lib.ok()) return Status(lib.status().code(), "plugin '" + name + "': " + lib.status().message());
    if (Status s = (*lib)->init(pc->init_config); !s.ok()) return s;
    LoadedPlugin lp;
    lp.config = *pc;
    lp.library = std::move(*lib);
    if (lp.library->info().can_extract) lp.fields = std::make_unique<plugin::PluginFieldProvider>(lp.library);
    out.push_back(std::move(lp));
  }
  // Extractors learn which plugin id is which event source: async events
  // sent into a plugin source carry that source's plugin id.
  for (auto& extractor : out)
    if (extractor.fields)
      for (const auto& p : out)
        if (p.library->info().can_source)
          extractor.fields->name_plugin_source(p.library->info().id, p.library->info().event_source);
  return out;
}

std::vector<engine::LoadedPluginVersion> plugin_versions(const std::vector<LoadedPlugin>& plugins) {
  std::vector<engine::LoadedPluginVersion> out;
  for (const auto& p : plugins) out.push_back({p.library->info().name, p.library->info().version});
  return out;
}

bool extracts_from(const plugin::PluginInfo& info, std::string_view source) {
  return info.can_extract && plugin::takes_source(info.extract_event_sources, info, source);
}

std::vector<std::string> plugin_event_sources(const std::vector<LoadedPlugin>& plugins) {
  std::vector<std::string> out;
  for (const auto& p : plugins) {
    const auto& i = p.library->info();
    if (i.can_source && std::find(out.begin(), out.end(), i.event_source) == out.end()) out.push_back(i.event_source);
  }
  return out;
}

namespace {

// The sources whose fields plugins fill: every plugin event source, then
// "syscall" when a plugin extracts from syscall events (it receives them in
// scap format, plugins/plugin_event_encoding.h).
std::vector<std::string> sources_with_plugin_fields(const std::vector<LoadedPlugin>& plugins) {
  auto out = plugin_event_sources(plugins);
  for (const auto& p : plugins)
    if (p.fields && plugin::extracts_syscall_events(p.library->info())) {
      out.push_back(std::string(plugin::kSyscallEventSource));
      break;
    }
  return out;
}

}  // namespace

engine::FieldRegistry plugin_field_registry(const std::vector<LoadedPlugin>& plugins, const StaticFields& statics) {
  engine::FieldRegistry registry;
  // Each plugin source gets the fields of every plugin extracting from it,
  // in load order.
  for (const auto& source : sources_with_plugin_fields(plugins))
    for (const auto& p : plugins)
      if (p.fields && extracts_from(p.library->info(), source)) add_fields(registry, source, p.library->info());
  // A loaded extractor's fields exist only where it extracts: the static
  // copies in other sources are withdrawn, so a condition naming one there
  // fails as an unknown field, as an output token does.
  for (const auto& p : plugins) {
    if (!p.fields) continue;
    std::vector<std::string> names;
    for (const auto& f : p.library->info().fields) names.push_back(f.name);
    for (const auto& source : registry.sources())
      if (source != "syscall" && !extracts_from(p.library->info(), source)) registry.withdraw_static_fields(source, names);
  }
  add_static_fields(registry, statics);
  return registry;
}

std::vector<engine::AppendOutput> plugin_suggested_output(const engine::AppendOutput& match,
                                                          const std::vector<LoadedPlugin>& plugins) {
  std::vector<engine::AppendOutput> out;
  for (const auto& source : sources_with_plugin_fields(plugins)) {
    if (match.source && *match.source != source) continue;
    for (const auto& p : plugins) {
      if (!p.fields || !extracts_from(p.library->info(), source)) continue;
      for (const auto& f : p.library->info().fields) {
        if (!f.add_output) continue;
        engine::AppendOutput e = engine::suggested_field_output(match, f.name);
        e.source = source;
        out.push_back(std::move(e));
      }
    }
  }
  return out;
}

std::map<std::string, std::unique_ptr<SourceFieldProvider>> plugin_field_providers(
    const std::vector<LoadedPlugin>& plugins, StaticFieldProvider* statics) {
  std::map<std::string, std::unique_ptr<SourceFieldProvider>> by_source;
  auto sources = sources_with_plugin_fields(plugins);
  if (statics && std::find(sources.begin(), sources.end(), "syscall") == sources.end()) sources.push_back("syscall");
  for (const auto& source : sources) {
    auto provider = std::make_unique<SourceFieldProvider>();
    if (statics) provider->add(statics, statics->field_names());
    for (const auto& p : plugins)
      if (p.fields && extracts_from(p.library->info(), source)) provider->add(p.fields.get(), p.library->info());
    by_source.emplace(source, std::move(provider));
  }
  return by_source;
}

std::vector<std::unique_ptr<Source>> make_plugin_sources(const std::vector<LoadedPlugin>& plugins) {
  std::vector<std::unique_ptr<Source>> out;
  for (const auto& p : plugins)
    if (p.library->info().can_source)
      out.push_back(std::make_unique<plugin::PluginSource>(p.library, p.config.open_params));
  return out;
}

void print_plugin_list(std::ostream& out, const std::vector<LoadedPlugin>& plugins) {
  // Falco: printf("%lu Plugins Loaded:\n\n%s\n", ...) around one block per
  // plugin, each followed by an empty line. "Capabilities: " keeps Falco's
  // trailing space.
  out << plugins.size() << " Plugins Loaded:\n\n";
  for (const auto& p : plugins) {
    const auto& i = p.library->info();
    out << "Name: " << i.name << "\n";
    out << "Description: " << i.description << "\n";
    out << "Contact: " << i.contact << "\n";
    out << "Version: " << i.version << "\n";
    out << "Capabilities: \n";
    if (i.can_source) out << "  - Event Sourcing (ID=" << i.id << ", source='" << i.event_source << "')\n";
    if (i.can_extract) out << "  - Field Extraction\n";
    if (i.can_parse) out << "  - Event Parsing\n";
    if (i.can_async) out << "  - Async Events\n";
    out << "\n";
  }
  out << "\n";
}

}  // namespace kestrel
