#include "state/proc_cgroups.h"

#include <unistd.h>

#include <algorithm>

#include "state/proc_io.h"

namespace kestrel {
namespace {

// The kernel escapes ' ', '\t', '\n' and '\\' in mount paths as \ooo.
std::string unescape_mount_path(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t start = line.find_first_not_of(" \t\r\n", pos);
    if (start == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t\r\n", start);
    if (end == std::string_view::npos) end = line.size();
    out.push_back(line.substr(start, end - start));
    pos = end;
  }
  return out;
}

template <typename LineFn>
void for_each_line(std::string_view text, LineFn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (fn(text.substr(0, nl))) return;
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

bool readable(const std::string& dir) { return ::access((dir + "/cgroup.controllers").c_str(), R_OK) == 0; }

// "/a/b" -> "/a"; "/a" -> "/".
std::string parent_cgroup(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

std::optional<std::string> find_cgroup2_in_mounts(std::string_view mounts) {
  std::optional<std::string> found;
  for_each_line(mounts, [&](std::string_view line) {
    std::vector<std::string_view> f = split_fields(line);
    if (f.size() >= 3 && f[2] == "cgroup2") found = unescape_mount_path(f[1]);
    return found.has_value();
  });
  return found;
}

std::optional<std::string> find_cgroup2_in_mountinfo(std::string_view mountinfo) {
  std::optional<std::string> found;
  for_each_line(mountinfo, [&](std::string_view line) {
    std::vector<std::string_view> f = split_fields(line);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() >= 5 && dash != f.end() && dash + 1 != f.end() && dash[1] == "cgroup2")
      found = unescape_mount_path(f[4]);
    return found.has_value();
  });
  return found;
}

std::optional<std::string> detect_cgroup2_root(const std::string& proc_root) {
  std::optional<std::string> mount;
  if (auto text = read_text_file(proc_root + "/1/mounts")) mount = find_cgroup2_in_mounts(*text);
  if (!mount) {
    if (auto text = read_text_file(proc_root + "/self/mountinfo")) mount = find_cgroup2_in_mountinfo(*text);
  }
  if (!mount) return std::nullopt;
  std::string mount_dir = *mount == "/" ? std::string() : *mount;
  std::string via_init = proc_root + "/1/root" + mount_dir;
  if (readable(via_init)) return via_init;
  if (readable(*mount)) return *mount;
  return std::nullopt;
}

CgroupResolver::CgroupResolver(std::optional<std::string> cgroup2_root) : root_(std::move(cgroup2_root)) {}

void CgroupResolver::add_line(std::string_view line, CgroupMemberships& out) {
  const size_t c1 = line.find(':');
  const size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return;
  std::string_view id = line.substr(0, c1);
  std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
  std::string_view path = line.substr(c2 + 1);
  if (controllers.empty()) {
    // The v2 hierarchy (id 0); an empty list under another id is a v1
    // hierarchy with no controller bound, which names nothing.
    if (id == "0" && root_) resolve_v2(path, out);
    return;
  }
  while (!controllers.empty()) {
    const size_t comma = controllers.find(',');
    out.emplace_back(std::string(controllers.substr(0, comma)), std::string(path));
    controllers.remove_prefix(comma == std::string_view::npos ? controllers.size() : comma + 1);
  }
}

void CgroupResolver::resolve_v2(std::string_view path_view, CgroupMemberships& out) {
  const std::vector<std::string>* all = controllers_at("/");
  if (!all) {
    ++unresolved_v2_;
    return;
  }
  std::string path(path_view);
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  std::vector<std::string> found;
  for (;;) {
    const std::vector<std::string>* here = controllers_at(path);
    if (!here) {
      ++unresolved_v2_;
      return;
    }
    for (const std::string& c : *here) {
      if (std::find(found.begin(), found.end(), c) != found.end()) continue;
      found.push_back(c);
      out.emplace_back(c, path);
    }
    if (path == "/") return;
    bool complete = std::all_of(all->begin(), all->end(), [&](const std::string& c) {
      return std::find(found.begin(), found.end(), c) != found.end();
    });
    if (complete) return;
    path = parent_cgroup(path);
  }
}

const std::vector<std::string>* CgroupResolver::controllers_at(const std::string& path) {
  auto it = controllers_.find(path);
  if (it == controllers_.end()) {
    std::optional<std::vector<std::string>> list;
    const std::string dir = path == "/" ? *root_ : *root_ + path;
    if (auto text = read_text_file(dir + "/cgroup.controllers", 4096)) {
      list.emplace();
      for (std::string_view name : split_fields(*text)) list->emplace_back(name);
    }
    it = controllers_.emplace(path, std::move(list)).first;
  }
  return it->second ? &*it->second : nullptr;
}

}  // namespace kestrel
