#include "tests/vm/vm_run.h"

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "driverkit/vm_console.h"

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
  if (!o.arch.empty()) cmd += " --arch " + quote(o.arch);
  if (!o.append.empty()) cmd += " --append " + quote(o.append);
  for (const auto& a : o.qemu_args) cmd += " --qemu-arg " + quote(a);
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

// The console protocol is driverkit's (driverkit/vm_console.h, what
// `kestrel-driverkit verify` reads); these take the whole console.
std::optional<std::vector<std::string>> console_section(const std::string& console, const std::string& name) {
  return driverkit::console_section(driverkit::console_lines(console), name);
}

std::optional<std::string> console_marker(const std::string& console, const std::string& prefix) {
  return driverkit::console_marker(driverkit::console_lines(console), prefix);
}

double marker_uptime(const std::string& line) {
  size_t at = line.find("uptime=");
  return at == std::string::npos ? -1 : std::atof(line.c_str() + at + 7);
}

std::vector<std::string> kernel_splats(const std::string& console) {
  std::vector<std::string> out;
  std::vector<std::string> lines = driverkit::console_lines(console);
  for (size_t i = 0; i < lines.size(); ++i)
    if (driverkit::is_kernel_splat(lines[i]))  // with the line after it, for context
      out.push_back(lines[i] + (i + 1 < lines.size() ? "\n" + lines[i + 1] : std::string()));
  return out;
}

std::vector<uint8_t> base64_decode(const std::vector<std::string>& lines) { return driverkit::base64_decode(lines); }

std::string tail(const std::string& text, size_t n) {
  return text.size() > n ? "…" + text.substr(text.size() - n) : text;
}

std::string vm_failure_context(const VmRun& run, const VmOptions& options, size_t console_bytes) {
  return "\n--- harness ---\n" + tail(run.harness) + "\n--- console (" + options.work_dir + "/console.log) ---\n" +
         tail(run.console, console_bytes);
}

}  // namespace kestrel::testing
