#include "driverkit/kernel_config.h"

#include <fstream>
#include <sstream>

namespace kestrel::driverkit {
namespace {

std::string unquote(std::string v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

bool enabled(const KernelFacts& f, const std::string& key) {
  auto it = f.config.find(key);
  return it != f.config.end() && (it->second == "y" || it->second == "m");
}

}  // namespace

Result<KernelFacts> read_kernel_facts(const std::string& kernel_dir) {
  KernelFacts facts;
  std::ifstream config(kernel_dir + "/.config");
  if (!config)
    return Status(StatusCode::kNotFound, kernel_dir + "/.config is missing: not a prepared kernel tree or headers dir");
  std::string line;
  while (std::getline(config, line)) {
    if (line.rfind("CONFIG_", 0) != 0) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    facts.config[line.substr(0, eq)] = unquote(line.substr(eq + 1));
  }
  facts.cc_version_text = facts.config["CONFIG_CC_VERSION_TEXT"];
  facts.built_with_clang = enabled(facts, "CONFIG_CC_IS_CLANG");
  if (auto it = facts.config.find("CONFIG_GCC_VERSION"); it != facts.config.end()) {
    long v = std::strtol(it->second.c_str(), nullptr, 10);
    facts.gcc_major = static_cast<int>(v / 10000);
  }
  std::string uts_path = kernel_dir + "/include/generated/utsrelease.h";
  std::ifstream uts(uts_path);
  if (!uts)
    return Status(StatusCode::kNotFound, uts_path + " is missing: run `make modules_prepare` in the kernel tree");
  std::stringstream ss;
  ss << uts.rdbuf();
  std::string text = ss.str();
  size_t key = text.find("UTS_RELEASE");
  size_t open = text.find('"', key);
  size_t close = open == std::string::npos ? open : text.find('"', open + 1);
  if (key == std::string::npos || close == std::string::npos)
    return Status(StatusCode::kCorrupt, uts_path + " defines no UTS_RELEASE string");
  facts.release = text.substr(open + 1, close - open - 1);
  return facts;
}

std::string expected_vermagic(const KernelFacts& f, const std::string& architecture) {
  std::string v = f.release + " ";
  if (enabled(f, "CONFIG_SMP")) v += "SMP ";
  if (enabled(f, "CONFIG_PREEMPT_BUILD"))
    v += "preempt ";
  else if (enabled(f, "CONFIG_PREEMPT_RT"))
    v += "preempt_rt ";
  else if (enabled(f, "CONFIG_PREEMPT"))  // kernels before PREEMPT_BUILD (5.16)
    v += "preempt ";
  if (enabled(f, "CONFIG_MODULE_UNLOAD")) v += "mod_unload ";
  if (enabled(f, "CONFIG_MODVERSIONS")) v += "modversions ";
  if (architecture == "arm64") v += "aarch64";
  return trim_vermagic(v);
}

std::string trim_vermagic(const std::string& vermagic) {
  size_t b = vermagic.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  size_t e = vermagic.find_last_not_of(" \t\n");
  return vermagic.substr(b, e - b + 1);
}

}  // namespace kestrel::driverkit
