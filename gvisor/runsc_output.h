// runsc_output.h — what `runsc list` and `runsc trace procfs` print.
//
// Pure parsers, no I/O, for the two runsc commands the attach step reads:
//
//   runsc --root R list -sandbox -format=json
//     a JSON array (or `null` when empty) of {"id", "pid", "status",
//     "bundle", ...}; pid is the host pid of the sandbox process.
//   runsc --root R trace procfs ID
//     a "PROCFS DUMP" banner, then one JSON object per process of the
//     sandbox (blank-line separated): exe, args, env, cwd, root, clone_ts,
//     fdlist [{number, path, mode}], status {comm, pid, ppid, uid, gid
//     {real, effective, saved}}, stat {pgid, sid}, limits, maps.
//
// Both texts carry data from inside the sandbox (argv, env, paths), which is
// untrusted: strings are clamped and counts bounded here (ProcfsLimits), and
// a process that does not parse is skipped and counted, not fatal.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sources/source.h"
#include "state/thread_info.h"

namespace kestrel::gvisor {

struct ListedSandbox {
  std::string id;
  int64_t pid = 0;      // host pid of the sandbox process
  std::string status;   // "running", "created", "paused", "stopped"
  std::string bundle;
};

// Parses `runsc list -format=json`. Entries without an id are skipped.
Result<std::vector<ListedSandbox>> parse_runsc_list(std::string_view json);

struct ProcfsLimits {
  size_t max_processes = 65536;
  size_t max_args = 4096, max_env = 4096, max_fds = 65536;
  size_t max_string = 4096;  // bytes per string (paths, argv entries)
};

struct ProcfsDump {
  std::vector<ThreadInfo> threads;  // one per process (tid = pid)
  size_t skipped = 0;               // objects that were not a process dump
};

// Parses `runsc trace procfs ID` into ThreadInfo of domain `domain` with
// container id `container_id`. ThreadInfo mapping: tid = pid = vtid = vpid
// = status.pid (pids of the sandbox's root pid namespace, as gVisor's
// context data reports them), ptid = status.ppid, comm = status.comm,
// exe = args[0], args = args[1..], exepath = exe, start_ts = clone_ts, fds
// from fdlist (type from the mode's S_IFMT, anon inodes from their name).
// Errors only when the text has no banner and no object at all.
Result<ProcfsDump> parse_procfs_dump(std::string_view text, DomainId domain, const std::string& container_id,
                                     const ProcfsLimits& limits = {});

// The point names of `runsc trace metadata` ("Name: syscall/open/exit,
// optional fields: ..." lines; the POINTS/SINKS headers and sink lines are
// skipped).
std::set<std::string> parse_trace_metadata(std::string_view text);

}  // namespace kestrel::gvisor
