// plugin_requirements.h — do the loaded plugins satisfy the rules files'
// `required_plugin_versions`?
//
// A rules file lists entries, each a plugin name and a minimum version with
// optional `alternatives` (other plugins that would do instead: k8saudit or
// k8saudit-eks). The reader collects them (rule_collector.h:
// require_plugins); after every file is loaded the app checks them against
// the plugins it loaded, as Falco does after loading its rules
// (falcosecurity/falco userspace/falco/app/actions/load_rules_files.cpp,
// check_rules_plugin_requirements, and falco_engine::check_plugin_requirements
// in userspace/engine/falco_engine.cpp).
//
// Falco's rule, kept here to the letter:
//  - an entry is met when, trying its alternatives in order, the first one
//    whose name a loaded plugin has is met by that plugin's version: same
//    major and not older (libsinsp sinsp_version::compatible_with). The
//    first alternative found decides, even if a later one would match;
//  - a loaded plugin whose version is not x.y.z fails the check.
// The first unmet entry stops the check with Falco's message.
//
// One Kestrel addition: `built_in` names plugins whose job Kestrel does
// itself. Falco's rulesets require the container plugin (falco_rules.yaml:
// container >= 0.4.0) for the container.* fields, which Kestrel fills
// natively; an entry none of whose alternatives is loaded is met when one
// of them is built in. A loaded plugin of that name is still checked as
// above (it decides, being loaded).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rule_items.h"

namespace kestrel::engine {

// A loaded plugin as the requirement check sees it: plugin_get_name and
// plugin_get_version.
struct LoadedPluginVersion {
  std::string name;
  std::string version;
};

// nullopt when every entry of `required` is met by `loaded`; otherwise
// Falco's error text for the first entry that is not:
//   "Plugin 'k8saudit' version '0.1.0' is not compatible with required
//    plugin version '0.18.0'"
//   "Plugin 'x' has invalid version string 'y'"
//   "Plugin requirement not satisfied, must load one of: k8saudit (>= 0.18.0),
//    k8saudit-aks (>= 0.6.0)"
std::optional<std::string> unmet_plugin_requirement(std::span<const std::vector<PluginRequirement>> required,
                                                    std::span<const LoadedPluginVersion> loaded,
                                                    std::span<const std::string_view> built_in = {});

// The plugins Kestrel does the work of without loading them: "container"
// (container.* on the syscall source, engine/eval/extract_user.cpp).
std::span<const std::string_view> built_in_plugins();

}  // namespace kestrel::engine
