// proc_cgroups.h — a process's cgroup memberships from /proc/PID/cgroup,
// as (controller, path) pairs the way falcosecurity/libs fills the thread
// table's `cgroups` (what plugins read as `first`/`second`).
//
// cgroup v1 lines ("N:cpu,cpuacct:/path") give one pair per listed
// controller: ("cpu", "/path"), ("cpuacct", "/path"); named hierarchies
// keep their name ("name=systemd"). A v1 line without controllers is
// skipped, as libscap does.
//
// The cgroup v2 line ("0::/path") names no controller: every controller is
// in the one hierarchy, but it is only *enabled* from the level where a
// parent's cgroup.subtree_control turned it on. So, as libscap does, the
// walk goes up from the process's cgroup directory on the cgroup2 mount;
// at each level it reads `cgroup.controllers` (space-separated) and, for
// each controller not yet found, adds (controller, that level's path). It
// stops after the root "/" or once every controller of the mount's root
// `cgroup.controllers` is found. A hybrid host whose cgroup2 mount has no
// controllers (all bound to v1) gets nothing from its "0::" line. Without a
// cgroup2 mount the "0::" line is skipped.
//
// A level whose cgroup.controllers cannot be read (the cgroup went away
// during the scan, no permission) ends the walk with what was found so far
// and is counted in `unresolved_v2()`.
//
// `cgroup.controllers` is read once per directory while the cache lives;
// clear_cache() between scans (controllers get enabled and disabled).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kestrel {

using CgroupMemberships = std::vector<std::pair<std::string, std::string>>;

// The mount point of the first cgroup2 filesystem in a /proc/PID/mounts
// text ("cgroup2 /sys/fs/cgroup cgroup2 rw,... 0 0"), octal escapes
// (\040 for a space) decoded; nullopt without one.
std::optional<std::string> find_cgroup2_in_mounts(std::string_view mounts);

// The same from a /proc/PID/mountinfo text (the mount point is field 5, the
// filesystem type the first field after " - ").
std::optional<std::string> find_cgroup2_in_mountinfo(std::string_view mountinfo);

// The directory the cgroup2 hierarchy can be read at, for a scanner whose
// procfs is at `proc_root`: the cgroup2 mount of `proc_root`/1/mounts (else
// `proc_root`/self/mountinfo), preferably through `proc_root`/1/root (the
// host's view, as libscap reads it, right even when Kestrel runs in a
// container with the host's /proc), else the mount point itself. nullopt
// when there is no cgroup2 mount or its cgroup.controllers is unreadable.
std::optional<std::string> detect_cgroup2_root(const std::string& proc_root);

class CgroupResolver {
 public:
  // `cgroup2_root`: the directory of the cgroup2 hierarchy's root (holding
  // cgroup.controllers); nullopt for "no cgroup2 mount".
  explicit CgroupResolver(std::optional<std::string> cgroup2_root);

  // Appends the memberships of one /proc/PID/cgroup line to `out`.
  void add_line(std::string_view line, CgroupMemberships& out);

  void clear_cache() { controllers_.clear(); }
  uint64_t unresolved_v2() const { return unresolved_v2_; }
  const std::optional<std::string>& cgroup2_root() const { return root_; }

 private:
  void resolve_v2(std::string_view path, CgroupMemberships& out);
  // The controllers of the cgroup at `path` ("/" or "/a/b"), nullptr if
  // its cgroup.controllers cannot be read.
  const std::vector<std::string>* controllers_at(const std::string& path);

  std::optional<std::string> root_;
  std::unordered_map<std::string, std::optional<std::vector<std::string>>> controllers_;  // by cgroup path
  uint64_t unresolved_v2_ = 0;
};

}  // namespace kestrel
