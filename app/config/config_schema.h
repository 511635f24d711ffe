// config_schema.h — every configuration key Kestrel knows, in one table.
//
// The loader validates user files and -o overrides against this table
// (unknown keys and ill-typed values are errors naming the key and where it
// was written); `kestrel --help` lists it. Defaults are not here: they are in
// the embedded kestrel.yaml, which a test validates against this table.
// A key is declared in the change that makes it work: until then it is
// unknown, and an unknown key is refused (exit code 2), never ignored.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace kestrel {

enum class ConfigType {
  kSection,     // a map of further keys
  kBool,
  kInt,         // non-negative integer
  kFloat,       // non-negative decimal number
  kString,
  kStringList,  // a YAML sequence of strings
  kEnum,        // one of `choices`
  kEnumList,    // a YAML sequence of `choices`
  kDuration,    // "500ms", "30s", "1m", "1h" or a number of seconds
  kPriority,    // a Falco priority name, case-insensitive
  kPluginList,  // Falco's `plugins:` list of {name, library_path, init_config, open_params}
};

struct ConfigKey {
  std::string_view path;  // dotted: "file_output.filename"
  ConfigType type;
  std::string_view help;
  std::span<const std::string_view> choices = {};  // kEnum, kEnumList
};

std::span<const ConfigKey> config_keys();
const ConfigKey* find_config_key(std::string_view path);

std::string_view config_type_name(ConfigType type);

}  // namespace kestrel
