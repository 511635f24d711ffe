// support_info.h — `kestrel --support`: what a bug report needs, as one
// JSON document, in the shape of Falco's --support (version, engine_info,
// system_info, cmdline, config, rules_files with their content), plus a
// SHA-256 of each rules file and one digest of the whole loaded rule set,
// so two reports can tell at a glance whether they ran the same rules.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/config/config.h"
#include "base/status.h"

namespace kestrel {

// `rules_paths`: what -r or rules_files name (empty: the embedded set);
// directories contribute their *.yaml/*.yml files in name order, as the
// rules loader reads them. An unreadable file is an error.
Result<nlohmann::json> support_info(const std::string& cmdline, const ConfigInputs& inputs,
                                    const KestrelConfig& config, const std::vector<std::string>& rules_paths);

}  // namespace kestrel
