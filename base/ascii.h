// ascii.h — case mapping of single bytes, A-Z and a-z only.
//
// The rules language folds case as Falco does: byte by byte, ASCII letters
// only (Kestrel runs in the "C" locale, where <cctype>'s tolower() is this
// same map behind a libc call per byte, which icontains over command lines
// made ~9 % of the engine's time).
#pragma once

namespace kestrel {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace kestrel
