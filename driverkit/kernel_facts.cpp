#include "driverkit/kernel_facts.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace kestrel::driverkit {
namespace {

Result<std::vector<char>> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + path + ": " + std::strerror(errno));
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

Result<std::string> bzimage_release(const std::string& path) {
  auto bytes = read_all(path);
  if (!bytes.ok()) return bytes.status();
  const std::vector<char>& b = *bytes;
  auto corrupt = [&](const std::string& why) {
    return Status(StatusCode::kCorrupt, path + " is not an x86 bzImage (" + why + ")");
  };
  if (b.size() < 0x210 || std::memcmp(&b[0x202], "HdrS", 4) != 0) return corrupt("no HdrS boot header at 0x202");
  const size_t ptr = static_cast<uint8_t>(b[0x20e]) | static_cast<size_t>(static_cast<uint8_t>(b[0x20f])) << 8;
  const size_t at = ptr + 0x200;
  if (ptr == 0 || at >= b.size()) return corrupt("kernel_version points outside the file");
  size_t end = at;
  while (end < b.size() && b[end] != '\0' && b[end] != ' ') ++end;
  if (end == at || end == b.size()) return corrupt("empty kernel_version");
  return std::string(&b[at], end - at);
}

Result<std::string> module_vermagic(const std::string& path) {
  auto bytes = read_all(path);
  if (!bytes.ok()) return bytes.status();
  const std::string_view data(bytes->data(), bytes->size());
  // .modinfo is a run of NUL-terminated "key=value" strings.
  for (size_t at = data.find("vermagic="); at != std::string_view::npos; at = data.find("vermagic=", at + 1)) {
    if (at != 0 && data[at - 1] != '\0') continue;
    size_t end = data.find('\0', at);
    if (end == std::string_view::npos) break;
    std::string v(data.substr(at + 9, end - at - 9));
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v;
  }
  return Status(StatusCode::kCorrupt, path + " has no vermagic= in its .modinfo: not a kernel module");
}

std::string vermagic_release(const std::string& vermagic) { return vermagic.substr(0, vermagic.find(' ')); }

}  // namespace kestrel::driverkit
