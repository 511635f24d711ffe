#include "tests/vm/vm_run.h"

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kestrel::testing {
namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

VmRun run_vm(const VmOptions& o) {
  namespace fs = std::filesystem;
  VmRun run;
  fs::create_directories(o.work_dir);
  const std::string log = o.work_dir + "/console.log", harness = o.work_dir + "/harness.log";
  fs::remove(log);
  std::string cmd = quote(std::string(KESTREL_SOURCE_DIR) + "/scripts/vm/run-scenario.sh") + " --cache " +
                    quote(VM_CACHE_DIR) + " --scenario " + quote(o.scenario) + " --log " + quote(log) +
                    " --timeout " + std::to_string(o.timeout_s);
  if (!o.kernel.empty()) cmd += " --kernel " + quote(o.kernel);
  if (!o.append.empty()) cmd += " --append " + quote(o.append);
  for (const auto& b : o.binaries) cmd += " --binary " + quote(b);
  for (const auto& [src, dest] : o.files) cmd += " --file " + quote(src + ":" + dest);
  for (const auto& m : o.modules) cmd += " --module " + quote(m);
  cmd += " 2>" + quote(harness) + " </dev/null";

  auto start = std::chrono::steady_clock::now();
  int status = std::system(cmd.c_str());
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.exit_code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.harness = read_file(harness);
  for (char c : read_file(log))
    if (c != '\r') run.console += c;
  return run;
}

std::optional<std::vector<std::string>> console_section(const std::string& console, const std::string& name) {
  const std::string begin = "KESTREL-VM: BEGIN " + name, end = "KESTREL-VM: END " + name;
  std::optional<std::vector<std::string>> out;
  for (const auto& line : lines_of(console)) {
    if (!out) {
      if (line == begin) out.emplace();
      continue;
    }
    if (line == end) break;
    out->push_back(line);
  }
  return out;
}

std::optional<std::string> console_marker(const std::string& console, const std::string& prefix) {
  for (const auto& line : lines_of(console))
    if (line.starts_with("KESTREL-VM: " + prefix)) return line;
  return std::nullopt;
}

double marker_uptime(const std::string& line) {
  size_t at = line.find("uptime=");
  return at == std::string::npos ? -1 : std::atof(line.c_str() + at + 7);
}

std::string tail(const std::string& text, size_t n) {
  return text.size() > n ? "…" + text.substr(text.size() - n) : text;
}

}  // namespace kestrel::testing
