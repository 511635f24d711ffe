// manifest.h — the artifact's name and the JSON manifest written beside it.
//
// Artifact: kestrel_<target>_<kernelrelease>_<kernelversion>.ko; manifest:
// the same stem with .json. The manifest schema is shared with
// `kestrel-driverkit verify` ("kestrel-driverkit-manifest/1"): schema,
// artifact, sha256, size, target, kernelrelease, kernelversion,
// architecture, vermagic, compiler{path,version}, inputs[{package, version,
// sha256, source, origin, architecture}], event_types[], build_seconds, cache
// ("cold"|"warm"), signed (null | {key_id, hash, signer}), verify (null
// until verify records its result). Keys may be added, never renamed.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driverkit/sha256.h"

namespace kestrel::driverkit {

inline constexpr const char* kManifestSchema = "kestrel-driverkit-manifest/1";

std::string artifact_name(const std::string& target, const std::string& kernelrelease,
                          const std::string& kernelversion);
// "dir/x.ko" -> "dir/x.json"
std::string manifest_path_for(const std::string& artifact_path);

struct BuildInput {
  std::string package;
  std::string version;
  std::string sha256;
  std::string source;  // apt | url | file
  std::string origin;  // URL, path, or apt's pool Filename
  std::string architecture;  // the package's (amd64 | arm64 | all); an added key
};

struct Signature {
  std::string key_id;
  std::string hash;  // the kernel's CONFIG_MODULE_SIG_HASH (sha256 on Debian)
  std::string signer;
};

struct Manifest {
  std::string artifact;  // file name only
  std::string sha256;
  uint64_t size = 0;
  std::string target, kernelrelease, kernelversion, architecture, vermagic;
  std::string compiler_path, compiler_version;
  std::vector<BuildInput> inputs;
  std::vector<std::string> event_types;  // modinfo's kestrel_event tags, lower-case, sorted
  double build_seconds = 0;
  bool warm_cache = false;
  std::optional<Signature> signature;
};

nlohmann::ordered_json manifest_json(const Manifest& manifest);
Status write_manifest(const Manifest& manifest, const std::string& path);

// The values of one modinfo field (`modinfo -F FIELD KO`), one per line.
Result<std::vector<std::string>> modinfo_field(const std::string& ko, const std::string& field);

}  // namespace kestrel::driverkit
