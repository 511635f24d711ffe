#include "app/plugin_loading.h"

#include "sources/plugin/plugin_source.h"

namespace kestrel {

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
  return out;
}

std::map<std::string, engine::eval::FieldProvider*> plugin_field_providers(const std::vector<LoadedPlugin>& plugins) {
  std::map<std::string, engine::eval::FieldProvider*> by_source;
  for (const auto& p : plugins)
    if (p.library->info().can_source) by_source.emplace(p.library->info().event_source, p.fields.get());
  // A separate extractor plugin fills a source whose own plugin cannot.
  for (auto& [source, provider] : by_source) {
    if (provider) continue;
    for (const auto& p : plugins)
      if (p.fields && !p.library->info().can_source) provider = p.fields.get();
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
