#include "tests/vm/vm_run.h"

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
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
  if (!o.arch.empty()) cmd += " --arch " + quote(o.arch);
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

std::vector<std::string> kernel_splats(const std::string& console) {
  // What the kernel prints when something is wrong in it, as printk/lockdep/
  // the sanitizers word it (kernel/panic.c, lib/bug.c, arch/x86/kernel/dumpstack.c,
  // kernel/locking/lockdep.c, kernel/hung_task.c, lib/ubsan.c, mm/kasan/report.c,
  // kernel/rcu/tree_stall.h; arm64's arch/arm64/kernel/traps.c says
  // "Internal error" and "Call trace:").
  static const std::regex kSplat(
      "WARNING:|BUG:|Oops|general protection|Call Trace:|Call trace:|Internal error:|possible circular locking|"
      "inconsistent lock state|possible recursive locking|suspicious RCU usage|INFO: task .* blocked|"
      "UBSAN:|KASAN:|RCU stall|rcu_sched self-detected stall|Kernel panic");
  std::vector<std::string> out;
  std::vector<std::string> lines = lines_of(console);
  for (size_t i = 0; i < lines.size(); ++i) {
    // Lines the scenarios print themselves are not the kernel's.
    if (lines[i].starts_with("KESTREL-VM:")) continue;
    if (std::regex_search(lines[i], kSplat))
      out.push_back(lines[i] + (i + 1 < lines.size() ? "\n" + lines[i + 1] : std::string()));
  }
  return out;
}

std::vector<uint8_t> base64_decode(const std::vector<std::string>& lines) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (const std::string& line : lines) {
    if (line.find_first_not_of(kAlphabet + "=\r\n ") != std::string::npos) continue;
    for (char c : line) {
      size_t v = kAlphabet.find(c);
      if (v == std::string::npos) continue;  // padding, line ends
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<uint8_t>(acc >> bits));
      }
    }
  }
  return out;
}

std::string tail(const std::string& text, size_t n) {
  return text.size() > n ? "…" + text.substr(text.size() - n) : text;
}

}  // namespace kestrel::testing
