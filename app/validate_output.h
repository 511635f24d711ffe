// validate_output.h — `kestrel -V FILE…`: validate each file on top of the
// ones before it (engine::validate_rules_in_order, as `falco -V` does) and
// print the results: Kestrel's text (engine/validate.h) per file, or with
// json_output Falco's JSON, one line on stdout:
//   {"falco_load_results":[{"name":FILE,"successful":BOOL,
//     "errors":[{"code","codedesc","message","context":{"locations":[
//        {"item_type","item_name","position":{"name","line","column","offset"}},…],
//      "snippet"}}],"warnings":[…]}]}
// the shape `falco -V … -o json_output=true` prints (falcosecurity/falco
// rule_loader::result::as_json, context::as_json) and Falco's test tools
// parse. As Falco's: positions are 0-based, the first location is the
// whole file ("rules content"), the item's own follows.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "engine/plugin_requirements.h"
#include "engine/validate.h"

namespace kestrel {

nlohmann::json falco_load_results_json(const std::vector<engine::ValidationResult>& results);

// The exit code: kExitOk when every file is valid, else kExitFailure (the text of the invalid
// files then also goes to `err` in JSON mode, where stdout is the JSON). The files are
// validated against `fields` (plugin_field_registry of the loaded plugins), and, as Falco's
// -V does after each file (validate_rules_files.cpp), their required_plugin_versions must be
// met by `plugins`: else only Falco's requirement text goes to `err` and the result is
// kExitFailure.
int run_validate(const std::vector<std::string>& paths, bool json_output,
                 std::span<const engine::LoadedPluginVersion> plugins, const engine::FieldRegistry& fields,
                 std::ostream& out, std::ostream& err);

}  // namespace kestrel
