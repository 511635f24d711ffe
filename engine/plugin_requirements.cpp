#include "engine/plugin_requirements.h"

#include <algorithm>

#include "engine/engine_version.h"

namespace kestrel::engine {
namespace {

// libsinsp sinsp_version::compatible_with: same major, and not older.
bool compatible(const SemVer& have, const SemVer& want) { return have.major == want.major && !(have < want); }

// One entry: met (nullopt with `decided`), unmet with a message, or no
// alternative loaded at all (`decided` false).
std::optional<std::string> check_alternatives(const std::vector<PluginRequirement>& alternatives,
                                              std::span<const LoadedPluginVersion> loaded, bool& decided) {
  decided = false;
  for (const auto& req : alternatives) {
    for (const auto& plugin : loaded) {
      if (plugin.name != req.name) continue;
      decided = true;
      auto have = parse_semver(plugin.version);
      // Falco's texts (falco_engine.cpp, check_plugin_requirement_alternatives).
      if (!have) return "Plugin '" + plugin.name + "' has invalid version string '" + plugin.version + "'";
      auto want = parse_semver(req.version);  // the reader refused invalid ones
      if (!want || !compatible(*have, *want))
        return "Plugin '" + plugin.name + "' version '" + plugin.version +
               "' is not compatible with required plugin version '" + req.version + "'";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::span<const std::string_view> built_in_plugins() {
  static constexpr std::string_view kBuiltIn[] = {"container"};
  return kBuiltIn;
}

std::optional<std::string> unmet_plugin_requirement(std::span<const std::vector<PluginRequirement>> required,
                                                    std::span<const LoadedPluginVersion> loaded,
                                                    std::span<const std::string_view> built_in) {
  for (const auto& alternatives : required) {
    bool decided = false;
    if (auto why = check_alternatives(alternatives, loaded, decided)) return why;
    if (decided) continue;
    const bool done_by_kestrel = std::any_of(alternatives.begin(), alternatives.end(), [&](const auto& req) {
      return std::find(built_in.begin(), built_in.end(), req.name) != built_in.end();
    });
    if (done_by_kestrel) continue;
    // Falco's text (falco_engine.cpp, check_plugin_requirements).
    std::string names;
    for (const auto& req : alternatives) {
      names += names.empty() ? "" : ", ";
      names += req.name + " (>= " + req.version + ")";
    }
    return "Plugin requirement not satisfied, must load one of: " + names;
  }
  return std::nullopt;
}

}  // namespace kestrel::engine
