// config_schema.h — every configuration key Kestrel knows, each declared once.
//
// A key's declaration (config_keys.cpp) gives everything about it: its
// dotted path, its type (which the loader checks: unknown keys and
// ill-typed values are errors naming the key and where it was written),
// its default (YAML text; the defaults layer under every user file and -o
// override), the KestrelConfig member it binds to, its `kestrel --help`
// line and, for enums, its choices. Nothing else repeats them: the loader
// reads defaults and bindings from here, --help prints from here, and the
// user-facing app/kestrel.yaml is tested to agree with the declared
// defaults (tests/app/config_test.cpp).
// A key is declared in the change that makes it work: until then it is
// unknown, and an unknown key is refused (exit code 2), never ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "app/config/config.h"

namespace kestrel {

enum class ConfigType {
  kSection,     // a map of further keys
  kBool,
  kInt,         // non-negative integer
  kFloat,       // decimal number (the key's user checks its range)
  kString,
  kStringList,  // a YAML sequence of strings
  kEnum,        // one of `choices`
  kEnumList,    // a YAML sequence of `choices`
  kDuration,    // "500ms", "30s", "1m", "1h" or a number of seconds
  kPriority,    // a Falco priority name, case-insensitive (bound lower-cased, "info" as "informational")
  kPluginList,  // Falco's `plugins:` list of {name, library_path, init_config, open_params}
  kConfigFiles,   // Falco's `config_files:` list of paths or {path, strategy: append|override|add-only}
  kAppendOutput,  // Falco's `append_output:` list of {match, extra_output, extra_fields, suggested_output}
  kRulesToggles,  // Falco's `rules:` list of {enable: {rule, tag}} / {disable: {rule, tag}}
  kStringMap,     // a YAML map of string values, in file order (Falco's static_fields)
  kCorrelations,  // fleet.correlations: a list of {name, rule, key, nodes, window, priority}
};

// The KestrelConfig member a key's value is stored in.
template <typename T>
using ConfigField = T& (*)(KestrelConfig&);
// Which alternative a type binds to: kBool bool; kInt uint64_t, or
// milliseconds for a count of ms (output_timeout, as in falco.yaml);
// kFloat double; kString, kEnum, kPriority std::string; kStringList,
// kEnumList a vector of strings; kDuration milliseconds; kPluginList the
// plugin list; kConfigFiles a vector of strings ("PATH\tSTRATEGY");
// kAppendOutput the append_output list; kRulesToggles the rules: list; kStringMap (key, value) pairs;
// kCorrelations the fleet.correlations list;
// kSection none (a test holds every key to this).
using ConfigBinding =
    std::variant<std::monostate, ConfigField<bool>, ConfigField<uint64_t>, ConfigField<double>,
                 ConfigField<std::string>, ConfigField<std::vector<std::string>>,
                 ConfigField<std::chrono::milliseconds>, ConfigField<std::vector<PluginConfig>>,
                 ConfigField<std::vector<AppendOutput>>, ConfigField<std::vector<RulesToggle>>,
                 ConfigField<std::vector<std::pair<std::string, std::string>>>,
                 ConfigField<std::vector<FleetCorrelation>>>;

struct ConfigKey {
  std::string_view path;           // dotted: "file_output.filename"
  ConfigType type;
  std::string_view default_value;  // YAML text; empty for sections
  ConfigBinding bind;
  std::string_view help;
  std::span<const std::string_view> choices = {};  // kEnum, kEnumList
};

// In declaration order (a section before its keys).
std::span<const ConfigKey> config_keys();
const ConfigKey* find_config_key(std::string_view path);

std::string_view config_type_name(ConfigType type);

}  // namespace kestrel
