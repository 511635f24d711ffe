#include "driverkit/deb_version.h"

#include <cctype>

namespace kestrel::driverkit {
namespace {

int order(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (std::isdigit(c)) return 0;
  if (std::isalpha(c)) return c;
  if (c == '~') return -1;
  return c + 256;
}

bool digit_at(std::string_view s, size_t i) {
  return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
}

// dpkg's verrevcmp: non-digit runs by order(), digit runs numerically.
int compare_part(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !digit_at(a, i)) || (j < b.size() && !digit_at(b, j))) {
      int ac = order(a, i), bc = order(b, j);
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    int first_diff = 0;
    while (digit_at(a, i) && digit_at(b, j)) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (digit_at(a, i)) return 1;
    if (digit_at(b, j)) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

struct Parts {
  long epoch = 0;
  std::string_view upstream;
  std::string_view revision;
};

Parts split(std::string_view v) {
  Parts p;
  size_t colon = v.find(':');
  if (colon != std::string_view::npos) {
    p.epoch = std::strtol(std::string(v.substr(0, colon)).c_str(), nullptr, 10);
    v.remove_prefix(colon + 1);
  }
  size_t dash = v.rfind('-');
  if (dash != std::string_view::npos) {
    p.upstream = v.substr(0, dash);
    p.revision = v.substr(dash + 1);
  } else {
    p.upstream = v;
  }
  return p;
}

}  // namespace

int compare_deb_versions(std::string_view a, std::string_view b) {
  Parts pa = split(a), pb = split(b);
  if (pa.epoch != pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  if (int c = compare_part(pa.upstream, pb.upstream); c != 0) return c;
  return compare_part(pa.revision, pb.revision);
}

bool satisfies(std::string_view version, const VersionConstraint& constraint) {
  int c = compare_deb_versions(version, constraint.version);
  const std::string& r = constraint.relation;
  if (r == "<<") return c < 0;
  if (r == "<=" || r == "<") return c <= 0;
  if (r == "=") return c == 0;
  if (r == ">=" || r == ">") return c >= 0;
  if (r == ">>") return c > 0;
  return false;
}

}  // namespace kestrel::driverkit
