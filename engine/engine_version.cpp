#include "engine/engine_version.h"

#include <charconv>

namespace kestrel::engine {

std::string SemVer::to_string() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::optional<SemVer> parse_semver(std::string_view text) {
  if (!text.empty() && text[0] == 'v') text.remove_prefix(1);
  if (auto cut = text.find_first_of("-+"); cut != std::string_view::npos) text = text.substr(0, cut);
  unsigned parts[3] = {0, 0, 0};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, parts[i]);
    if (ec != std::errc() || next == p) return std::nullopt;
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return SemVer{parts[0], parts[1], parts[2]};
}

bool engine_compatible_with(const SemVer& required) {
  return required.major == kEngineVersion.major && !(kEngineVersion < required);
}

}  // namespace kestrel::engine
