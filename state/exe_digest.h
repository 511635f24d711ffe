// exe_digest.h — the SHA-256 of the file a host process runs, computed in
// userspace when a rule asks (proc.exe_sha256).
//
// No event carries a hash: the eBPF probe and the kernel module cannot hash
// a file, and the exec rows have no param left (execveat is at
// KESTREL_MAX_PARAMS). So the engine hashes the executable itself, lazily:
// only an extractor of a loaded rule calls sha256_hex(), and a file is
// hashed once per identity and then answered from memory.
//
// Which file. The process may already have exited when its exec event is
// evaluated (/bin/true), and it may run in another mount namespace, so the
// candidates are tried in order: /proc/PID/exe; PID's root + exepath; its
// parent's root + exepath; exepath as this process sees it. Every candidate
// but the first is accepted only when its inode number, ctime and mtime
// equal the ones the exec event (or the /proc scan) recorded for the
// process (ThreadInfo::exe_ino*), so a path that now names another file is
// never hashed in its place; without those facts only /proc/PID/exe is used.
//
// Identity and cache. A file is known by (inode, ctime, mtime) — any write
// or metadata change moves ctime, so a replaced or modified binary is
// hashed again. The device is not part of the key, so a hit needs no system
// call: two files on different devices with equal inode numbers and equal
// ctime and mtime to the nanosecond are taken as one (an image layer
// mounted twice is the same bytes). At most kMaxEntries identities are
// remembered, least recently used forgotten first: a bounded cache of what
// can be computed again, kept outside the state tables' memory budget (an
// entry is ~150 bytes, the whole cache under 1 MiB).
//
// Cost bound. Hashing runs on the engine thread, synchronously: a file
// larger than max_file_bytes is not hashed at all (the field reads <NA>,
// counted as too_large and remembered, so it is not stat'ed again), which
// bounds one extraction to reading max_file_bytes once (64 MiB by default:
// ~0.1 s here, measured as `openssl dgst -sha256` of a 64 MiB file in the
// page cache on this SHA-NI host; once per binary identity, and only for
// binaries a rule asks about). A file that changes while
// being read is not remembered (counted as changed).
//
// Threading: one instance per engine, used by its thread only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "state/lru_map.h"
#include "state/thread_info.h"

namespace kestrel {

// Why an answer was <NA>, and how often the cache answered, for metrics and
// tests. Failures count attempts (a file that cannot be opened is tried
// again at the next event that asks).
struct ExeDigestStats {
  uint64_t hashed = 0;        // files read and hashed
  uint64_t bytes_hashed = 0;
  uint64_t cache_hits = 0;    // answered from memory
  uint64_t unreadable = 0;    // no candidate could be opened with the recorded identity
  uint64_t too_large = 0;     // files over max_file_bytes (each counted once)
  uint64_t read_errors = 0;   // read(2) failed part-way
  uint64_t changed = 0;       // the file changed (or grew past the bound) while it was read
  uint64_t no_identity = 0;   // a replayed process without inode facts: not looked up
  uint64_t evicted = 0;       // identities forgotten for the bound

  ExeDigestStats& operator+=(const ExeDigestStats& o);
};

// The counters by name, in one order: /metrics (kestrel_exe_digest_total
// {counter=...}), the metrics JSON ("exe_digests") and --stats.
std::vector<std::pair<std::string, uint64_t>> exe_digest_counters(const ExeDigestStats& s);

class ExeDigests {
 public:
  static constexpr size_t kMaxEntries = 4096;
  static constexpr uint64_t kDefaultMaxFileBytes = 64ull << 20;

  // `proc_root`: where /proc is (tests may point elsewhere).
  explicit ExeDigests(uint64_t max_file_bytes = kDefaultMaxFileBytes, std::string proc_root = "/proc");

  // Lower-case hex SHA-256 (64 chars) of the executable of host process
  // `process` (its pid, ptid, exepath and exe_ino* facts), or nullptr when
  // it cannot be known (see stats()). `live`: the pid names a process of
  // this machine now. Otherwise (a replay) the pid may have been reused, so
  // without the recorded inode facts nothing is opened (no_identity), and
  // with them every candidate must match them: a replay of a capture made
  // here is hashed while its binaries are unchanged. The pointer stays
  // valid until the next call.
  const std::string* sha256_hex(const ThreadInfo& process, bool live = true);

  const ExeDigestStats& stats() const { return stats_; }

 private:
  struct Identity {
    uint64_t ino = 0, ctime = 0, mtime = 0;
    bool operator==(const Identity&) const = default;
  };
  struct IdentityHash {
    size_t operator()(const Identity& k) const;
  };
  struct Entry {
    std::string hex;  // empty: too large to hash
  };

  // An open fd of the process's executable and its identity; -1 when none.
  int open_executable(const ThreadInfo& process, bool live, Identity& identity);
  const std::string* remember(const Identity& identity, std::string hex);

  uint64_t max_file_bytes_;
  std::string proc_root_;
  LruMap<Identity, Entry, IdentityHash> cache_;
  ExeDigestStats stats_;
};

}  // namespace kestrel
