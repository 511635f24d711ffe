#include "driverkit/manifest.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "driverkit/subprocess.h"

namespace kestrel::driverkit {

std::string artifact_name(const std::string& target, const std::string& kernelrelease,
                          const std::string& kernelversion) {
  return "kestrel_" + target + "_" + kernelrelease + "_" + kernelversion + ".ko";
}

std::string manifest_path_for(const std::string& artifact_path) {
  std::string stem = artifact_path;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".ko") == 0) stem.resize(stem.size() - 3);
  return stem + ".json";
}

nlohmann::ordered_json manifest_json(const Manifest& m) {
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (const auto& in : m.inputs)
    inputs.push_back({{"package", in.package}, {"version", in.version}, {"sha256", in.sha256},
                      {"source", in.source}, {"origin", in.origin}, {"architecture", in.architecture}});
  nlohmann::ordered_json j = {
      {"schema", kManifestSchema},
      {"artifact", m.artifact},
      {"sha256", m.sha256},
      {"size", m.size},
      {"target", m.target},
      {"kernelrelease", m.kernelrelease},
      {"kernelversion", m.kernelversion},
      {"architecture", m.architecture},
      {"vermagic", m.vermagic},
      {"compiler", {{"path", m.compiler_path}, {"version", m.compiler_version}}},
      {"inputs", inputs},
      {"event_types", m.event_types},
      {"build_seconds", m.build_seconds},
      {"cache", m.warm_cache ? "warm" : "cold"},
      {"signed", nullptr},
      {"verify", nullptr},
  };
  if (m.signature)
    j["signed"] = {{"key_id", m.signature->key_id}, {"hash", m.signature->hash}, {"signer", m.signature->signer}};
  return j;
}

Status write_manifest(const Manifest& manifest, const std::string& path) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << manifest_json(manifest).dump(2) << "\n";
    if (!out) return Status(StatusCode::kUnavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status(StatusCode::kUnavailable, "cannot write " + path);
  return ok_status();
}

Result<std::vector<std::string>> modinfo_field(const std::string& ko, const std::string& field) {
  auto run = run_process({"modinfo", "-F", field, ko}, {.cwd = "", .merge_stderr = false});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0)
    return Status(StatusCode::kCorrupt, "modinfo -F " + field + " " + ko + " failed (exit " +
                                            std::to_string(run->exit_code) + ")");
  std::vector<std::string> out;
  std::istringstream lines(run->output);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace kestrel::driverkit
