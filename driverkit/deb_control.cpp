#include "driverkit/deb_control.h"

#include <algorithm>
#include <cctype>

namespace kestrel::driverkit {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

Result<DependencyAlternative> parse_alternative(std::string_view text) {
  std::string_view s = trim(text);
  // Build profiles and architecture restrictions are not relations we follow.
  if (size_t lt = s.find('<'); lt != std::string_view::npos && s.find('(') > lt) s = trim(s.substr(0, lt));
  if (size_t br = s.find('['); br != std::string_view::npos) {
    size_t close = s.find(']', br);
    if (close == std::string_view::npos) return Status(StatusCode::kCorrupt, "unclosed '[' in \"" + std::string(text) + "\"");
    s = trim(std::string(s.substr(0, br)) + std::string(s.substr(close + 1)));
  }
  DependencyAlternative alt;
  size_t paren = s.find('(');
  std::string_view name = trim(s.substr(0, paren));
  if (paren != std::string_view::npos) {
    size_t close = s.find(')', paren);
    if (close == std::string_view::npos)
      return Status(StatusCode::kCorrupt, "unclosed '(' in \"" + std::string(text) + "\"");
    std::string_view rel = trim(s.substr(paren + 1, close - paren - 1));
    size_t i = 0;
    while (i < rel.size() && (rel[i] == '<' || rel[i] == '>' || rel[i] == '=')) ++i;
    VersionConstraint c{std::string(rel.substr(0, i)), std::string(trim(rel.substr(i)))};
    static const char* kRelations[] = {"<<", "<=", "=", ">=", ">>", "<", ">"};
    if (std::find(std::begin(kRelations), std::end(kRelations), c.relation) == std::end(kRelations) ||
        c.version.empty())
      return Status(StatusCode::kCorrupt, "bad version relation \"" + std::string(rel) + "\"");
    alt.constraint = std::move(c);
  }
  if (size_t colon = name.find(':'); colon != std::string_view::npos) {
    alt.arch_qualifier = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
  }
  if (name.empty()) return Status(StatusCode::kCorrupt, "empty package name in \"" + std::string(text) + "\"");
  alt.name = std::string(name);
  return alt;
}

}  // namespace

std::string ControlStanza::get(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (iequals(k, name)) return v;
  return "";
}

bool ControlStanza::has(std::string_view name) const {
  for (const auto& [k, v] : fields_)
    if (iequals(k, name)) return true;
  return false;
}

namespace {

// The one reader of control text. STRICT stops at the first bad line; else
// the stanza holding it is dropped (to its closing blank line) and reading
// goes on.
TolerantControl read_control(std::string_view text, const std::string& origin, bool strict,
                             const std::function<bool(const ControlStanza&)>& keep) {
  TolerantControl out;
  ControlStanza current;
  bool open = false;
  bool broken = false;  // the current stanza had a bad line: skip to its end
  std::string name, value;
  auto flush_field = [&] {
    if (!name.empty()) current.add(std::move(name), std::move(value));
    name.clear();
    value.clear();
  };
  auto flush_stanza = [&] {
    flush_field();
    if (open && !broken && (!keep || keep(current))) out.stanzas.push_back(std::move(current));
    current = ControlStanza();
    open = false;
    broken = false;
  };
  auto fail = [&](const char* what, int line_no) {
    out.problems.push_back(Status(StatusCode::kCorrupt, what, {origin, line_no}));
    broken = true;
    name.clear();
    value.clear();
  };
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) {
      flush_stanza();
      continue;
    }
    if (broken) continue;
    if (line.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (name.empty()) {
        fail("continuation line without a field", line_no);
        if (strict) return out;
        continue;
      }
      std::string_view cont = line.substr(1);
      value += '\n';
      if (trim(cont) != ".") value += std::string(cont);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      fail("expected \"Field: value\"", line_no);
      if (strict) return out;
      continue;
    }
    flush_field();
    if (!open) current.set_line(line_no);
    open = true;
    name = std::string(line.substr(0, colon));
    value = std::string(trim(line.substr(colon + 1)));
  }
  flush_stanza();
  return out;
}

}  // namespace

Result<std::vector<ControlStanza>> parse_control(std::string_view text, const std::string& origin) {
  TolerantControl read = read_control(text, origin, /*strict=*/true, {});
  if (!read.problems.empty()) return read.problems.front();
  return std::move(read.stanzas);
}

TolerantControl parse_control_tolerant(std::string_view text, const std::string& origin,
                                       const std::function<bool(const ControlStanza&)>& keep) {
  return read_control(text, origin, /*strict=*/false, keep);
}

std::string DependencyAlternative::to_string() const {
  std::string s = name;
  if (!arch_qualifier.empty()) s += ":" + arch_qualifier;
  if (constraint) s += " " + constraint->to_string();
  return s;
}

Result<std::vector<DependencyGroup>> parse_depends(std::string_view value) {
  std::vector<DependencyGroup> groups;
  if (trim(value).empty()) return groups;
  for (std::string_view group_text : split(value, ',')) {
    if (trim(group_text).empty()) continue;  // a trailing comma is tolerated, as dpkg does
    DependencyGroup group;
    for (std::string_view alt_text : split(group_text, '|')) {
      auto alt = parse_alternative(alt_text);
      if (!alt.ok()) return alt.status();
      group.push_back(std::move(alt.value()));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace kestrel::driverkit
