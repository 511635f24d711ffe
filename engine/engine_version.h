// engine_version.h — the Falco rules engine version Kestrel implements.
//
// Rule files state `required_engine_version` either as a number N (read as
// "0.N.0", Falco's convention) or as a semver string. A file loads when its
// requirement has our major version and is not newer than us.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kestrel::engine {

struct SemVer {
  unsigned major = 0, minor = 0, patch = 0;
  std::string to_string() const;
  friend bool operator<(const SemVer& a, const SemVer& b) {
    if (a.major != b.major) return a.major < b.major;
    if (a.minor != b.minor) return a.minor < b.minor;
    return a.patch < b.patch;
  }
};

// "x.y.z" (an optional leading 'v' and a "-suffix"/"+build" are ignored).
std::optional<SemVer> parse_semver(std::string_view text);

// The engine version of the Falco release whose rule language Kestrel
// implements (Falco 0.41's engine, 0.57.0 — the newest the upstream rulesets
// require).
inline constexpr SemVer kEngineVersion{0, 57, 0};

// True if rules requiring `required` can load on this engine.
bool engine_compatible_with(const SemVer& required);

}  // namespace kestrel::engine
