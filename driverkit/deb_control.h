// deb_control.h — Debian control data: the stanzas `dpkg-deb -f` and
// `apt-cache show` print (deb-control(5), RFC-822 style), and the Depends
// field's grammar (deb-control(5) "Package interrelationship fields"):
//
//   depends      = group { "," group }
//   group        = alternative { "|" alternative }
//   alternative  = name [ ":" arch ] [ "(" relation version ")" ]
//                  [ "[" arch-list "]" ] { "<" profiles ">" }
//
// Field names are matched case-insensitively, as dpkg does.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "driverkit/deb_version.h"

namespace kestrel::driverkit {

// One paragraph: fields in the order they appeared; continuation lines are
// joined with '\n' (the leading space removed, " ." read as an empty line).
class ControlStanza {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // The field's value, or "" when absent.
  std::string get(std::string_view name) const;
  bool has(std::string_view name) const;
  std::string package() const { return get("Package"); }
  std::string version() const { return get("Version"); }
  std::string architecture() const { return get("Architecture"); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  // The input line of the stanza's first field (1-based; 0 when built by hand).
  int line() const { return line_; }
  void set_line(int line) { line_ = line; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
  int line_ = 0;
};

// Every stanza of TEXT (blank lines separate them). ORIGIN names the input
// in errors. A line that is neither "Name: value" nor a continuation is an
// error with its line number.
Result<std::vector<ControlStanza>> parse_control(std::string_view text, const std::string& origin);

// The tolerant reading of a large index (an archive's Packages file), where
// one bad line must not lose the other sixty thousand stanzas: a stanza with
// a malformed line is dropped whole and reported by the bad line's
// ORIGIN:line; every other stanza is read. KEEP, when given, selects the
// stanzas to return (the rest are parsed, checked and discarded), so a
// caller interested in a few packages does not hold the whole archive.
struct TolerantControl {
  std::vector<ControlStanza> stanzas;
  std::vector<Status> problems;  // kCorrupt, each with its file and line
};
TolerantControl parse_control_tolerant(std::string_view text, const std::string& origin,
                                       const std::function<bool(const ControlStanza&)>& keep = {});

struct DependencyAlternative {
  std::string name;
  std::string arch_qualifier;                    // "any" in "foo:any", else ""
  std::optional<VersionConstraint> constraint;   // absent: any version
  std::string to_string() const;                 // "linux-kbuild-6.1 (>= 6.1.192-3)"
};
using DependencyGroup = std::vector<DependencyAlternative>;  // alternatives, in preference order

// The groups of a Depends (or Pre-Depends) value.
Result<std::vector<DependencyGroup>> parse_depends(std::string_view value);

}  // namespace kestrel::driverkit
