#include "tests/kmod/build_module.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/support/run_command.h"

namespace kestrel::testing {

std::string vm_kernel_release(std::string& log) {
  const std::string err = std::string(VM_CACHE_DIR) + "/fetch-kernel.log";
  std::error_code ec;
  std::filesystem::create_directories(VM_CACHE_DIR, ec);
  auto [code, dir] = run_command(std::string(KESTREL_SOURCE_DIR) + "/scripts/vm/fetch-kernel.sh --cache " +
                                 VM_CACHE_DIR + " 2>" + err);
  while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  std::string release;
  if (code == 0) std::ifstream(dir + "/version") >> release;
  if (release.empty()) {
    std::ifstream in(err);
    log += "scripts/vm/fetch-kernel.sh failed:\n" + std::string(std::istreambuf_iterator<char>(in), {});
  }
  return release;
}

std::string build_kestrel_module(const std::string& out_dir, std::string& log, double& seconds) {
  auto start = std::chrono::steady_clock::now();
  std::string release = vm_kernel_release(log);
  if (release.empty()) return "";
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  const std::string ko = out_dir + "/kestrel_debian_" + release + "_1.ko";
  auto [code, out] = run_command(std::string(KESTREL_DRIVERKIT_BINARY) + " build --target debian --kernelrelease " +
                                 release + " --cache " + DRIVERKIT_CACHE_DIR + " --output-module " + ko + " 2>&1");
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log += out;
  return code == 0 && std::filesystem::exists(ko) ? ko : "";
}

}  // namespace kestrel::testing
