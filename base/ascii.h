// ascii.h — case mapping of single bytes, A-Z and a-z only.
//
// The rules language folds case as Falco does: byte by byte, ASCII letters
// only (Kestrel runs in the "C" locale, where <cctype>'s tolower() is this
// same map behind a libc call per byte, which icontains over command lines
// made ~9 % of the engine's time).
#pragma once

#include <string>
#include <string_view>

namespace kestrel {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// `in` with its letters lower- (or upper-) cased, into `out` (its buffer
// reused).
inline void ascii_map_case(std::string_view in, std::string& out, bool upper) {
  out.assign(in);
  for (char& c : out) c = upper ? ascii_upper(c) : ascii_lower(c);
}

}  // namespace kestrel
