#include "driverkit/vm_console.h"

#include <array>
#include <sstream>
#include <string_view>

namespace kestrel::driverkit {

std::vector<std::string> console_lines(const std::string& console) {
  std::vector<std::string> out;
  std::istringstream in(console);
  for (std::string line; std::getline(in, line);) {
    std::erase(line, '\r');
    out.push_back(std::move(line));
  }
  return out;
}

std::optional<std::vector<std::string>> console_section(const std::vector<std::string>& lines,
                                                        const std::string& name) {
  const std::string begin = "KESTREL-VM: BEGIN " + name, end = "KESTREL-VM: END " + name;
  std::optional<std::vector<std::string>> out;
  for (const auto& line : lines) {
    if (!out) {
      if (line == begin) out.emplace();
      continue;
    }
    if (line == end) break;
    out->push_back(line);
  }
  return out;
}

std::optional<std::string> console_marker(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& line : lines)
    if (line.starts_with("KESTREL-VM: " + prefix)) return line;
  return std::nullopt;
}

std::vector<uint8_t> base64_decode(const std::vector<std::string>& lines) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (const std::string& line : lines) {
    if (line.find_first_not_of(std::string(kAlphabet) + "= ") != std::string::npos) continue;
    for (char c : line) {
      size_t v = kAlphabet.find(c);
      if (v == std::string_view::npos) continue;  // padding
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

bool is_kernel_splat(const std::string& line) {
  // What the kernel prints when something went wrong in it, as printk,
  // lockdep and the sanitizers word it (kernel/panic.c, lib/bug.c,
  // arch/x86/kernel/dumpstack.c, arch/arm64/kernel/traps.c ("Internal
  // error", "Call trace:"), kernel/locking/lockdep.c, kernel/hung_task.c,
  // lib/ubsan.c, mm/kasan/report.c, mm/kfence, kernel/rcu/tree_stall.h).
  static constexpr std::array<std::string_view, 19> kSplats = {
      "WARNING:", "BUG:", "Oops", "Call Trace:", "Call trace:", "Internal error:", "general protection",
      "Kernel panic", "circular locking", "recursive locking", "inconsistent lock state", "lockdep",
      "suspicious RCU usage", "UBSAN:", "KASAN:", "KFENCE:", "blocked for more than", "RCU stall",
      "rcu_sched self-detected stall"};
  if (line.starts_with("KESTREL-VM:")) return false;
  for (auto s : kSplats)
    if (line.find(s) != std::string::npos) return true;
  return false;
}

std::vector<std::string> kernel_splats(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines)
    if (is_kernel_splat(line)) out.push_back(line);
  return out;
}

}  // namespace kestrel::driverkit
