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

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Every stanza of TEXT (blank lines separate them). ORIGIN names the input
// in errors. A line that is neither "Name: value" nor a continuation is an
// error with its line number.
Result<std::vector<ControlStanza>> parse_control(std::string_view text, const std::string& origin);

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
