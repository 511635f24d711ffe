#include "engine/rule_items.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace kestrel::engine {
namespace {

struct PriorityName {
  std::string_view lower;
  std::string_view display;
  Priority p;
};
constexpr std::array<PriorityName, 9> kPriorities = {{
    {"emergency", "Emergency", Priority::kEmergency},
    {"alert", "Alert", Priority::kAlert},
    {"critical", "Critical", Priority::kCritical},
    {"error", "Error", Priority::kError},
    {"warning", "Warning", Priority::kWarning},
    {"notice", "Notice", Priority::kNotice},
    {"informational", "Informational", Priority::kInformational},
    {"info", "Informational", Priority::kInformational},
    {"debug", "Debug", Priority::kDebug},
}};

}  // namespace

ItemLocation ScalarLines::locate(uint32_t offset) const {
  if (offset > length) return start;
  uint32_t k = offset;
  for (const auto& l : lines) {
    if (k <= l.length) return ItemLocation{start.file, l.line, l.column + static_cast<int>(k)};
    k -= l.length + 1;  // the space or newline the line break became
  }
  return start;
}

std::optional<Priority> parse_priority(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& p : kPriorities) {
    if (p.lower == lower) return p.p;
  }
  return std::nullopt;
}

std::string_view priority_name(Priority p) {
  for (const auto& n : kPriorities) {
    if (n.p == p) return n.display;
  }
  return "Debug";
}

}  // namespace kestrel::engine
