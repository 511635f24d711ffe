#include "driverkit/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>

namespace kestrel::driverkit {
namespace {

Status scalar(const YAML::Node& node, const std::string& key, const std::string& path, std::string& out) {
  if (!node.IsScalar())
    return Status(StatusCode::kInvalidArgument, key + " must be a string", {path, node.Mark().line + 1});
  out = node.as<std::string>();
  return ok_status();
}

}  // namespace

Status load_config_file(const std::string& path, BuildConfig& config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status(StatusCode::kNotFound, "cannot read config file " + path);
  } catch (const YAML::Exception& e) {
    return Status(StatusCode::kInvalidArgument, e.msg, {path, e.mark.line + 1, e.mark.column + 1});
  }
  if (root.IsNull()) return ok_status();
  if (!root.IsMap()) return Status(StatusCode::kInvalidArgument, "the config file must be a YAML mapping", {path});
  struct Key {
    const char* name;
    std::string* field;
  };
  const Key keys[] = {
      {"target", &config.target},           {"kernelrelease", &config.kernelrelease},
      {"kernelversion", &config.kernelversion}, {"architecture", &config.architecture},
      {"kernelconfigdata", &config.kernelconfigdata}, {"gccversion", &config.gccversion},
      {"moduledevicename", &config.moduledevicename}, {"cache", &config.cache_dir},
      {"debdir", &config.deb_dir},          {"kerneldir", &config.kernel_dir},
      {"signingkey", &config.signing_key},  {"signingcert", &config.signing_cert},
      {"sourceroot", &config.source_root},
  };
  for (const auto& item : root) {
    std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    int line = item.first.Mark().line + 1;
    bool handled = false;
    for (const auto& k : keys) {
      if (key != k.name) continue;
      if (Status s = scalar(value, key, path, *k.field); !s.ok()) return s;
      handled = true;
    }
    if (handled) continue;
    if (key == "kernelurls") {
      if (!value.IsSequence())
        return Status(StatusCode::kInvalidArgument, "kernelurls must be a list of URLs", {path, line});
      config.kernelurls.clear();
      for (const auto& url : value) config.kernelurls.push_back(url.as<std::string>());
    } else if (key == "output") {
      if (!value.IsMap()) return Status(StatusCode::kInvalidArgument, "output must be a mapping", {path, line});
      for (const auto& o : value) {
        std::string okey = o.first.as<std::string>();
        if (okey != "module")
          return Status(StatusCode::kInvalidArgument,
                        "unknown key output." + okey + " (kestrel-driverkit builds a kernel module only: output.module)",
                        {path, o.first.Mark().line + 1});
        if (Status s = scalar(o.second, "output.module", path, config.output_module); !s.ok()) return s;
      }
    } else {
      std::string known;
      for (const auto& k : keys) known += std::string(k.name) + ", ";
      return Status(StatusCode::kInvalidArgument,
                    "unknown key \"" + key + "\"; known keys: " + known + "kernelurls, output.module", {path, line});
    }
  }
  return ok_status();
}

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/kestrel-driverkit";
  if (geteuid() != 0)
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/kestrel-driverkit";
  return "/var/cache/kestrel-driverkit";
}

bool known_architecture(const std::string& architecture) {
  return architecture == "amd64" || architecture == "arm64";
}

}  // namespace kestrel::driverkit
