// last_lines.h — the tail of a tool's output or a recorded error, for
// messages ("build failed", the index's error tails, lookup's reasons).
#pragma once
#include <string>

namespace kestrel::driverkit {

// The last `count` lines of text, trailing newlines dropped.
std::string last_lines(const std::string& text, int count);

}  // namespace kestrel::driverkit
