// process_memory.h — what the gVisor points said about each thread group.
//
// Every point carries its task's context (process name, cwd, credentials,
// start time), but a process that `runsc exec` / `kubectl exec` starts gets
// no clone or exec point from runsc: without this memory the state tables
// would never learn its name. The source remembers the latest context per
// (sandbox, thread group) and answers Source::describe_process from it.
//
// Bounded (the Sentry is untrusted and thread groups come and go): past
// `capacity` entries the oldest half is forgotten. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gvisor/context.h"
#include "sources/source.h"
#include "state/thread_info.h"

namespace kestrel::gvisor {

class ProcessMemory {
 public:
  explicit ProcessMemory(size_t capacity = 16384) : capacity_(capacity) {}

  // Records `ctx` for its thread group in `domain` (no-op without a thread
  // group id or a process name). Callers batch: lock once, remember many.
  void remember(DomainId domain, const GvisorContext& ctx);

  // The thread group `pid` of `domain` as the last point described it: one
  // ThreadInfo (tid = pid) with name, cwd, credentials, start time and,
  // when newer gVisor sent them, the parent (ptid) and the exec-session
  // mark (the state tables add the sandbox's container); nullopt if none
  // was seen.
  std::optional<std::vector<ThreadInfo>> describe(DomainId domain, int64_t pid) const;

  size_t size() const;

 private:
  struct Known {
    std::string name, cwd;
    bool has_credentials = false;
    uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
    int64_t start_ns = 0;
    int32_t parent_tgid = 0;   // newer gVisor only
    bool exec_session = false;  // newer gVisor only
  };
  static uint64_t key(DomainId domain, int32_t tgid) {
    return (static_cast<uint64_t>(domain) << 32) | static_cast<uint32_t>(tgid);
  }

  size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Known> known_;
  std::list<uint64_t> order_;  // insertion order, for forgetting the oldest
};

}  // namespace kestrel::gvisor
