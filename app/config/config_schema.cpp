#include "app/config/config_schema.h"

namespace kestrel {

const ConfigKey* find_config_key(std::string_view path) {
  for (const auto& key : config_keys())
    if (key.path == path) return &key;
  return nullptr;
}

std::string_view config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::kSection: return "section";
    case ConfigType::kBool: return "bool";
    case ConfigType::kInt: return "integer";
    case ConfigType::kFloat: return "number";
    case ConfigType::kString: return "string";
    case ConfigType::kStringList: return "list of strings";
    case ConfigType::kEnum: return "enum";
    case ConfigType::kEnumList: return "list of enum";
    case ConfigType::kDuration: return "duration";
    case ConfigType::kPriority: return "priority";
    case ConfigType::kPluginList: return "list of plugins";
    case ConfigType::kConfigFiles: return "list of config files";
    case ConfigType::kAppendOutput: return "list of append_output entries";
    case ConfigType::kRulesToggles: return "list of rules enable/disable entries";
    case ConfigType::kStringMap: return "map of strings";
    case ConfigType::kCorrelations: return "list of fleet correlations";
  }
  return "?";
}

}  // namespace kestrel
