#include "state/path_resolve.h"

#include <vector>

namespace kestrel {

namespace {

// True if `path` is absolute and already canonical: most paths programs
// open are, and copying them is cheaper than splitting and rejoining.
bool is_canonical_absolute(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.size() == 1) return true;
  if (path.back() == '/') return false;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (part.empty() || part == "." || part == "..") return false;
    pos = end + 1;
  }
  return true;
}

}  // namespace

std::string normalize_path(std::string_view path) {
  if (path.empty()) return {};
  if (is_canonical_absolute(path)) return std::string(path);
  const bool absolute = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  out.reserve(path.size());
  if (absolute) out.push_back('/');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back('/');
    out.append(parts[i]);
  }
  if (out.empty()) out = ".";  // "a/.." is the current directory
  return out;
}

std::string resolve_path(std::string_view base, std::string_view path) {
  if (path.empty()) return normalize_path(base);
  if (path.front() == '/' || base.empty()) return normalize_path(path);
  std::string joined;
  joined.reserve(base.size() + 1 + path.size());
  joined.append(base);
  joined.push_back('/');
  joined.append(path);
  return normalize_path(joined);
}

}  // namespace kestrel
