#include "app/falco_metric_names.h"

#include <cctype>
#include <regex>

namespace kestrel {

std::string falco_sanitized_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool kept = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
    const char next = kept ? c : '_';
    if (next == '_' && !out.empty() && out.back() == '_') continue;
    out += next;
  }
  if (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::string libs_prometheus_name(std::string_view subsystem, std::string_view name, std::string_view unit) {
  // libs matches with POSIX (leftmost-longest) semantics: "_percentage" is
  // listed before "_perc" so ECMAScript's first-alternative rule agrees.
  static const std::regex kUnitSuffixes("(_kb|_bytes|_mb|_percentage|_perc|_ratio|_ns|_ts|_sec|_total)");
  std::string fqn = "falcosecurity_" + std::string(subsystem) + "_" + std::string(name) + "_";
  fqn = std::regex_replace(fqn, kUnitSuffixes, "");
  for (char& c : fqn)
    if (c == '.') c = '_';
  return fqn + std::string(unit);
}

}  // namespace kestrel
