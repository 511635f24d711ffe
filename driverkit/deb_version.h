// deb_version.h — Debian package versions: ordering and relation checks.
//
// compare_deb_versions follows deb-version(7): [epoch:]upstream[-revision],
// compared epoch first (numeric), then upstream and revision by dpkg's
// alternating non-digit/digit rule, where '~' sorts before everything,
// even the end of the string (6.12.118-1~deb12u1 < 6.12.118-1).
#pragma once

#include <string>
#include <string_view>

namespace kestrel::driverkit {

// <0, 0, >0 as a sorts before, equal to, after b.
int compare_deb_versions(std::string_view a, std::string_view b);

// A Depends relation: "(>= 6.1.192-3)". relation is one of << <= = >= >>
// ("<" and ">" are the obsolete spellings of <= and >=, read as such).
struct VersionConstraint {
  std::string relation;
  std::string version;
  std::string to_string() const { return "(" + relation + " " + version + ")"; }
};

// Whether VERSION satisfies the constraint.
bool satisfies(std::string_view version, const VersionConstraint& constraint);

}  // namespace kestrel::driverkit
