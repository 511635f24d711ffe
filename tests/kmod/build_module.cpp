#include "tests/kmod/build_module.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/run_command.h"

namespace kestrel::testing {

std::string build_kestrel_module(const std::string& out_dir, std::string& log, double& seconds) {
  const std::string log_path = out_dir + ".log";
  const std::string cmd = std::string(KESTREL_SOURCE_DIR) + "/kmod/build-module.sh --cache " + VM_CACHE_DIR +
                          " --out " + out_dir + " 2>" + log_path;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  auto start = std::chrono::steady_clock::now();
  auto [code, out] = run_command(cmd);
  if (code != 0) out.clear();
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ifstream in(log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  log += ss.str();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace kestrel::testing
