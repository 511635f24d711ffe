// thread_lookup.h — read-only access to the thread/process table.
//
// The rule engine's proc.*, thread.*, fd.*, user.* and container.* fields
// read state through this interface only, so the engine does not depend on
// how the table stores, bounds or updates its entries (and a partitioned or
// test implementation can stand in).
//
// Identity: a thread is (domain, tid). Domain 0 is the host; other domains
// are gVisor sandboxes whose tids are only unique within themselves.
// Fds belong to the *process* (the thread-group leader, tid == pid) because
// the threads of a process share one fd table; find_fd() on any thread
// answers from its process.
//
// Lifetime: returned pointers stay valid until the table is next modified
// (the next event is applied). Callers must not keep them across events.
// Not thread-safe; one engine thread reads while no one writes.
#pragma once

#include <cstdint>

#include "sources/event/event.h"
#include "state/thread_info.h"

namespace kestrel {

// Ancestor walks stop here, so a corrupt parent chain (a loop, a very deep
// chain) costs a bounded amount of work. Falco rules use N <= 9 in practice.
inline constexpr int kMaxAncestorDepth = 64;

class ThreadLookup {
 public:
  virtual ~ThreadLookup() = default;

  // The thread `tid` in `domain`, or nullptr if the table does not know it.
  virtual const ThreadInfo* find(DomainId domain, int64_t tid) const = 0;

  // The open fd `fd` of t's process, or nullptr if unknown.
  virtual const FdInfo* find_fd(const ThreadInfo& t, int64_t fd) const = 0;

  // The process (thread-group leader) of `t`: `t` itself when it is the
  // leader, else the leader's entry, or nullptr if the leader is unknown.
  virtual const ThreadInfo* process_of(const ThreadInfo& t) const;

  // The parent process of t's process (proc.ppid's entry), or nullptr if
  // unknown. A process never is its own parent: a self-reference yields
  // nullptr. Implementations may resolve exited parents to their reaper.
  virtual const ThreadInfo* parent(const ThreadInfo& t) const;

  // The n-th ancestor process of `t`, as proc.aname[n] / proc.apid[n]:
  // n == 0 is t's own process, 1 its parent, 2 the grandparent, ...
  // nullptr when the chain is unknown that far, n < 0 or n >
  // kMaxAncestorDepth. Costs at most n+1 lookups. To visit every ancestor
  // (proc.aname without an index) step with ancestor(*a, 1) and stop after
  // kMaxAncestorDepth steps, which bounds a looping chain.
  virtual const ThreadInfo* ancestor(const ThreadInfo& t, int n) const;
};

}  // namespace kestrel
