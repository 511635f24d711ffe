// proc_scanner.h — the initial state of the host, read from /proc.
//
// Events only describe what happens after capture starts; everything
// already running is learnt once from /proc: every process and thread with
// comm, exe (argv[0]), exepath (readlink exe), args, cwd, root, uids/gids,
// ppid, caps, loginuid, tty, session, pgid, start time, cgroups (per
// controller, v2 resolved as libscap does: state/proc_cgroups.h), container
// (from cgroup), and on each leader its fds, sockets completed with addresses
// from its network namespace's /proc/PID/net tables.
//
// Processes come and go during the scan: whatever vanished between listing
// and reading is skipped and counted, never an error. A field that cannot
// be read (exe of another user's process without privileges) is left
// empty. The root is configurable so tests can scan a fake tree.
//
// Not thread-safe; a scanner is used once at start-up (and may be reused
// to look up a single process the events missed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "sources/event/event.h"
#include "state/proc_cgroups.h"
#include "state/proc_net.h"
#include "state/thread_info.h"

namespace kestrel {

struct ProcScanOptions {
  std::string root = "/proc";
  DomainId domain = kHostDomain;
  bool threads = true;  // also list /proc/PID/task/*
  bool fds = true;
  bool env = false;     // environ is large and may hold secrets
  size_t max_fds_per_process = 4096;
  size_t max_args_bytes = 4096;  // cmdline read limit
  // The directory of the cgroup2 hierarchy's root, for resolving "0::/path"
  // lines into per-controller memberships (state/proc_cgroups.h): unset
  // finds it from root's 1/mounts (else self/mountinfo); "" means none.
  std::optional<std::string> cgroup2_root = std::nullopt;
};

struct ProcScanStats {
  uint64_t processes = 0;
  uint64_t threads = 0;  // including leaders
  uint64_t fds = 0;
  uint64_t vanished = 0;         // listed, then gone before it could be read
  uint64_t fds_unreadable = 0;   // processes whose fd dir could not be listed
  uint64_t fds_truncated = 0;    // processes with more than max_fds_per_process
  uint64_t netns_scanned = 0;    // network namespaces whose socket tables were read
  uint64_t cgroups_v2_unresolved = 0;  // "0::" lines whose cgroup.controllers walk failed midway
};

class ProcScanner {
 public:
  explicit ProcScanner(ProcScanOptions options = {});

  // Every process and thread under the root, leaders first within each
  // process, fds on leaders. Fails only if the root cannot be listed.
  Result<std::vector<ThreadInfo>> scan();

  // Process `pid` and its threads, or nullopt if it does not exist (or
  // vanished while being read).
  std::optional<std::vector<ThreadInfo>> scan_process(int64_t pid);

  // The cgroup2 root in use (detected or given), nullopt for none.
  const std::optional<std::string>& cgroup2_root() const { return cgroups_.cgroup2_root(); }

  const ProcScanStats& stats() const { return stats_; }

 private:
  std::optional<std::vector<ThreadInfo>> scan_one(int64_t pid);
  std::optional<ThreadInfo> read_thread(const std::string& dir, int64_t tid, int64_t pid);
  void read_process_fields(const std::string& dir, ThreadInfo& t);
  void read_fds(const std::string& dir, ThreadInfo& t);
  const ProcSocketMap& sockets_for(const std::string& dir);

  ProcScanOptions options_;
  ProcScanStats stats_;
  uint64_t boot_time_s_ = 0;
  uint64_t ticks_per_second_ = 100;
  std::unordered_map<std::string, ProcSocketMap> netns_sockets_;  // by ns link text
  CgroupResolver cgroups_;
};

}  // namespace kestrel
