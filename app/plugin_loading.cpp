#include "app/plugin_loading.h"

#include "plugins/plugin_event_encoding.h"
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
    auto lib = plugin::PluginLibrary::load(pc->library_path);
    if (!lib.ok()) return Status(lib.status().code(), "plugin '" + name + "': " + lib.status().message());
    if (Status s = (*lib)->init(pc->init_config); !s.ok()) return s;
    LoadedPlugin lp;
    lp.config = *pc;
    lp.library = std::move(*lib);
    if (lp.library->info().can_extract) lp.fields = std::make_unique<plugin::PluginFieldProvider>(lp.library);
    out.push_back(std::move(lp));
  }
  // Each source's fields: its plugin's, then the extractor-only plugins'.
  for (auto& p : out) {
    if (!p.library->info().can_source) continue;
    p.source_fields = std::make_unique<plugin::FieldProviderChain>();
    if (p.fields) p.source_fields->add(p.fields.get());
    for (const auto& extractor : out)
      if (extractor.fields && !extractor.library->info().can_source) p.source_fields->add(extractor.fields.get());
  }
  return out;
}

engine::FieldRegistry plugin_field_registry(const std::vector<LoadedPlugin>& plugins) {
  engine::FieldRegistry registry;
  // The fields of each source are those of the plugins that fill them, in
  // the order its chain asks them (the first set added is looked up first).
  for (const auto& source_plugin : plugins) {
    const auto& info = source_plugin.library->info();
    if (!info.can_source) continue;
    if (source_plugin.fields) add_fields(registry, info.event_source, info);
    for (const auto& p : plugins)
      if (p.fields && !p.library->info().can_source) add_fields(registry, info.event_source, p.library->info());
  }
  return registry;
}

std::map<std::string, engine::eval::FieldProvider*> plugin_field_providers(const std::vector<LoadedPlugin>& plugins) {
  std::map<std::string, engine::eval::FieldProvider*> by_source;
  for (const auto& p : plugins)
    if (p.library->info().can_source)
      by_source.emplace(p.library->info().event_source,
                        p.source_fields && !p.source_fields->empty() ? p.source_fields.get() : nullptr);
  // Syscall events: the first plugin that extracts from them (API: its
  // get_extract_event_sources names "syscall", or it declares none and has
  // no event source of its own). It receives them in scap format
  // (plugins/plugin_event_encoding.h).
  for (const auto& p : plugins)
    if (p.fields && plugin::extracts_syscall_events(p.library->info())) {
      by_source.emplace(plugin::kSyscallEventSource, p.fields.get());
      break;
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
  out << plugins.size() << " Plugins:\n";
  for (const auto& p : plugins) {
    const auto& i = p.library->info();
    out << "Name: " << i.name << "\n";
    out << "Description: " << i.description << "\n";
    out << "Contact: " << i.contact << "\n";
    out << "Version: " << i.version << "\n";
    out << "Required API version: " << i.required_api_version << "\n";
    out << "Library: " << i.path << "\n";
    out << "Capabilities:\n";
    if (i.can_source) out << "  - Event Sourcing (ID=" << i.id << ", source='" << i.event_source << "')\n";
    if (i.can_extract) out << "  - Field Extraction (" << i.fields.size() << " fields)\n";
    out << "\n";
  }
}

}  // namespace kestrel
