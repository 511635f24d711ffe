#include "app/support_info.h"

#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/allocator.h"
#include "app/file_digests.h"
#include "app/rules_loading.h"
#include "driverkit/sha256.h"
#include "engine/engine_version.h"

namespace kestrel {
namespace {

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "--support: cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json file_entry(const std::string& name, const std::string& content) {
  return {{"name", name}, {"content", content}, {"sha256", driverkit::sha256_hex(content)}};
}

}  // namespace

Result<nlohmann::json> support_info(const std::string& cmdline, const ConfigInputs& inputs,
                                    const KestrelConfig& config, const std::vector<std::string>& rules_paths) {
  nlohmann::json info;
  info["version"] = KESTREL_VERSION;
  const auto& v = engine::kEngineVersion;
  const std::string engine_version =
      std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
  info["engine_info"] = {{"engine_version", engine_version}, {"engine_version_semver", engine_version}};
  struct utsname u {};
  if (uname(&u) == 0)
    info["system_info"] = {{"sysname", u.sysname},
                           {"nodename", u.nodename},
                           {"release", u.release},
                           {"version", u.version},
                           {"machine", u.machine}};
  const AllocatorInfo allocator = allocator_info();
  info["allocator"] = {{"name", allocator.name}, {"version", allocator.version}};
  info["cmdline"] = cmdline;

  // The configuration as written: the main file (or the embedded one) and
  // every file config_files merged in; then the overrides on top.
  if (inputs.file.empty()) {
    info["config"] = std::string(default_config_text());
  } else {
    auto text = read_text(inputs.file);
    if (!text.ok()) return text.status();
    info["config"] = *text;
  }
  info["config_files"] = nlohmann::json::array();
  for (const auto& path : config.provenance.files) {
    std::error_code ec;
    if (path == inputs.file || std::filesystem::is_directory(path, ec)) continue;
    auto text = read_text(path);
    if (!text.ok()) return text.status();
    info["config_files"].push_back(file_entry(path, *text));
  }
  info["config_overrides"] = inputs.overrides;
  info["config_warnings"] = config.provenance.warnings;

  info["rules_files"] = nlohmann::json::array();
  std::string digest_input;
  if (rules_paths.empty()) {
    info["rules_files"].push_back(file_entry("<embedded kestrel_rules.yaml>", std::string(default_rules_text())));
  } else {
    for (const auto& file : yaml_files_of(rules_paths)) {
      auto text = read_text(file);
      if (!text.ok()) return text.status();
      info["rules_files"].push_back(file_entry(file, *text));
    }
  }
  // The digest of the rule set: each file's name and hash, in load order.
  for (const auto& entry : info["rules_files"])
    digest_input += entry["name"].get<std::string>() + '\0' + entry["sha256"].get<std::string>() + '\n';
  info["rules_digest"] = driverkit::sha256_hex(digest_input);
  info["plugins"] = config.load_plugins;
  return info;
}

}  // namespace kestrel
