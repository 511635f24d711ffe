// pidns_start.h — when the init process of a host process's pid namespace
// started (proc.pidns_init_start_ts), read from /proc.
//
// Falco's drivers send it with every clone and exec (the namespace's
// child_reaper's start time); Kestrel's exec rows have no param left
// (execveat is at KESTREL_MAX_PARAMS), so for live host sources the engine
// computes it here, when a rule reads the field, once per namespace:
//   * the namespace: the inode of /proc/PID/ns/pid;
//   * its init: the process whose innermost pid (last NStgid entry) is 1 in
//     that namespace. /proc/1 when PID is in /proc's own namespace (one
//     NStgid entry); else the first ancestor of PID in the namespace with
//     that id (walking PPid while the NStgid depth stays PID's, at most
//     kMaxWalk steps); else (PID entered with setns, its parents are
//     outside) a scan of /proc for it, counted;
//   * its start: /proc/INIT/stat starttime (clock ticks after boot) plus the
//     boot time of /proc/stat, as the /proc scan computes proc.pid.ts
//     (start_time_ns), so the value has clock-tick (10 ms) resolution.
// Cached per namespace inode (at most kMaxEntries, least recently used
// forgotten); a hit is checked with one stat of /proc/INIT/ns/pid, since a
// dead namespace's inode number can be given to a new one.
//
// A process that has exited before its event is evaluated has no /proc
// entry: the answer is nullopt (counted as gone), as for a replay.
//
// Threading: one instance per engine, used by its thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "state/lru_map.h"

namespace kestrel {

struct PidNamespaceStats {
  uint64_t lookups = 0;      // namespaces resolved from /proc
  uint64_t cache_hits = 0;
  uint64_t gone = 0;         // the process (or its namespace's init) had no /proc entry
  uint64_t scans = 0;        // full /proc scans for a setns'd process's init
  uint64_t not_found = 0;    // no init found (a scan found none)
};

class PidNamespaceStarts {
 public:
  static constexpr size_t kMaxEntries = 1024;
  static constexpr int kMaxWalk = 256;

  explicit PidNamespaceStarts(std::string proc_root = "/proc");

  // ns since the epoch at which the init of host process `pid`'s pid
  // namespace started; nullopt when it cannot be known.
  std::optional<uint64_t> init_start_ts(int64_t pid);

  const PidNamespaceStats& stats() const { return stats_; }

 private:
  struct Entry {
    int64_t init_pid = 0;
    uint64_t start_ts = 0;
  };
  std::optional<uint64_t> namespace_of(int64_t pid) const;
  std::optional<int64_t> find_init(int64_t pid, uint64_t ns);
  std::optional<uint64_t> start_of(int64_t pid);

  std::string proc_root_;
  uint64_t boot_time_s_ = 0;
  uint64_t ticks_per_second_ = 100;
  LruMap<uint64_t, Entry> cache_;
  PidNamespaceStats stats_;
};

}  // namespace kestrel
