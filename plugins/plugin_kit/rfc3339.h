// rfc3339.h — "2026-03-04T05:06:07.123Z" (and "+01:00" offsets) to ns since
// the epoch, for the event times of CloudTrail (eventTime), Okta
// (published) and the like. Header-only (see plugin_event.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

namespace kestrel::plugin_kit {

inline std::optional<uint64_t> rfc3339_ns(const std::string& s) {
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  uint64_t frac = 0;
  int digits = 0;
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 9) {
        frac = frac * 10 + static_cast<uint64_t>(*rest - '0');
        ++digits;
      }
      ++rest;
    }
  }
  for (; digits < 9; ++digits) frac *= 10;
  int64_t offset = 0;  // seconds east of UTC
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
    offset = (hh * 3600 + mm * 60) * (*rest == '+' ? 1 : -1);
  } else if (*rest != 'Z' && *rest != 'z' && *rest != '\0') {
    return std::nullopt;
  }
  const int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset;
  if (secs < 0) return std::nullopt;
  return static_cast<uint64_t>(secs) * 1000000000ull + frac;
}

}  // namespace kestrel::plugin_kit
