// state_updater.h — keeps a ThreadTable in step with the event stream.
//
// The pipeline hands every event to apply(), normally before rules see it,
// so they see the state *after* the syscall (events are emitted at exit);
// for close and procexit it may evaluate first, while the fd or thread is
// still known.
// What each event does to the table:
//
//   clone/clone3/fork/vfork  res == 0 (the child's own event): the child
//       is created, or refreshed, from the event's process params. res > 0
//       (the parent's event): the child `res` is created from the caller if
//       the table lacks it. CLONE_THREAD joins the caller's process (shared
//       fds); otherwise the child is a new process with a copy of the
//       parent's fds (CLONE_PARENT: a sibling of the caller). An entry
//       for the new tid that started over a second before the clone is a
//       previous holder whose exit was missed: it is replaced, fds and all.
//   execve/execveat  res == 0: exe, exepath, args, comm, env, cwd, caps,
//       uids/gids, loginuid, tty, container (from cgroups) are replaced;
//       O_CLOEXEC fds are closed.
//   procexit  the thread is removed (ThreadTable::remove_thread); a
//       process leader's reaper is remembered for lazy reparenting.
//   open/openat/openat2/creat  fd >= 0: a file ('f', or 'd' with
//       O_DIRECTORY) named by the path resolved against the cwd or dirfd.
//   close  the fd is dropped (Linux frees it even when close fails).
//   dup/dup2/dup3/fcntl(F_DUPFD*)  the new fd copies the old one's entry,
//       without O_CLOEXEC unless dup3/F_DUPFD_CLOEXEC set it.
//   pipe/pipe2, socket, socketpair, memfd_create  new fds of their type;
//   userfaultfd, io_uring_setup, bpf (fd-creating commands), eventfd,
//   eventfd2, signalfd, signalfd4, timerfd_create, inotify_init,
//   inotify_init1 likewise, when a rule asks for those events (they are
//   not KEF_STATE).
//   setsid  res > 0: the caller leads a new session and process group.
//   connect/accept/accept4  the tuple and its text ("sip:sport->dip:dport"
//       or the unix path); bind  the local address; listen  listening.
//   chdir/fchdir/chroot  cwd/root of every thread of the process (threads
//       share them, CLONE_FS).
//   set*uid/set*gid  res == 0: the calling thread's ids (each thread makes
//       its own call; glibc broadcasts setuid to all threads).
//   container  in a non-host domain (a gVisor sandbox, which has no
//       cgroups to read): the first id announced labels every thread of
//       that domain that has no container id, from then on, and the
//       event's own thread.
//
// Every event's thread is marked used (the table evicts least recently used
// threads). An event from a thread the table does not know creates a
// minimal entry (tid, pid, and the process's fields if its leader is known)
// so later events and rules find it; these are counted. With a resolver
// set (live host capture: ProcScanner::scan_process), a thread whose whole
// process is unknown is first looked up there, at most
// `max_resolves_per_second` times per second of event time, so a burst of
// unknown processes cannot turn the event loop into a /proc crawler.
//
// Close-on-exec is tracked as O_CLOEXEC in FdInfo::open_flags whatever set
// it (O_CLOEXEC, SOCK_CLOEXEC, MFD_CLOEXEC, EFD/SFD/TFD/IN_CLOEXEC, dup3,
// F_DUPFD_CLOEXEC); fcntl(F_SETFD) carries no argument in the event and is
// not seen.
//
// Not thread-safe: one thread applies events and reads the table.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sources/event/event.h"
#include "state/thread_table.h"

namespace kestrel {

struct StateUpdaterStats {
  uint64_t events = 0;           // apply() calls
  uint64_t unknown_threads = 0;  // minimal entries made for unseen threads
  uint64_t unknown_fds = 0;      // an event used an fd the table lacked
  uint64_t missing_params = 0;   // a state event lacked a param it needs
  uint64_t resolved = 0;         // unknown processes found by the resolver
  uint64_t resolve_failed = 0;   // ... and not found (gone, or another domain)
  uint64_t resolve_skipped = 0;  // not asked: over the per-second budget
};

// Looks up process `pid` of `domain` outside the event stream: its threads,
// fds on the leader (the shape of ProcScanner::scan_process). nullopt if it
// does not exist.
using ProcessResolver = std::function<std::optional<std::vector<ThreadInfo>>(DomainId domain, int64_t pid)>;

class StateUpdater {
 public:
  // `table` must outlive the updater.
  explicit StateUpdater(ThreadTable& table) : table_(table) {}

  // A syscall's enter record (replayed .scap captures) carries no result:
  // state changes when its exit arrives. Only its thread is made known.
  void apply(const Event& event) {
    if (event.enter && event.view.info().is_syscall()) {
      thread_for(event.view, event.domain);
      return;
    }
    apply(event.view, event.domain);
  }
  void apply(const EventView& ev, DomainId domain);

  // Whether apply() may change more than its thread's presence for an
  // exit record of `type`. For every other type apply() only makes the
  // thread known (thread_for): the one list that decides both is here, so
  // a type handled below is never taken for one that changes nothing.
  static bool changes_state(uint16_t type);
  // What apply() does for such a record on thread `tid`, when the thread is
  // known, without the record: counts it and marks the thread recently
  // used. False, and nothing done, when the thread is unknown (apply()
  // would create it).
  // `touched`: the caller knows the thread is known and already the most
  // recently used one (marking it again would change nothing).
  bool apply_unchanged(DomainId domain, int64_t tid, bool touched = false) {
    if (!touched && table_.get(domain, tid) == nullptr) return false;
    ++stats_.events;
    return true;
  }

  const StateUpdaterStats& stats() const { return stats_; }

  // Consults `resolver` for threads of unknown processes (see above). An
  // empty resolver turns it off.
  void set_resolver(ProcessResolver resolver, uint32_t max_resolves_per_second = 100) {
    resolver_ = std::move(resolver);
    max_resolves_per_second_ = max_resolves_per_second;
  }

  // Whether a fork gives the child a copy of its parent's fds (default).
  // An engine worker's replica turns it off (app/engine_workers.h): it is
  // handed a process's fds when it starts evaluating the process and never
  // reads another's, so a copy there is work and memory thrown away.
  void set_fork_copies_fds(bool copies) { fork_copies_fds_ = copies; }

 private:
  // The event's thread, created minimal (and counted) if unknown.
  ThreadInfo& thread_for(const EventView& ev, DomainId domain);
  // Loads process `pid` from the resolver; the thread `tid` if that found it.
  ThreadInfo* resolve(const EventView& ev, DomainId domain, int64_t tid, int64_t pid);

  // state_updater.cpp: processes, credentials, directories.
  void on_clone(const EventView& ev, DomainId domain, uint16_t base, uint16_t flags_index);
  void on_clone_child(const EventView& ev, DomainId domain, uint16_t base, uint32_t flags);
  void on_exec(const EventView& ev, DomainId domain, uint16_t base);
  // proc.exepath for an exec whose source did not report the resolved path.
  std::string derived_exepath(const EventView& ev, DomainId domain, const ThreadInfo& t);
  void on_exit(const EventView& ev, DomainId domain);
  void on_credentials(const EventView& ev, ThreadInfo& t);
  void on_directory(const EventView& ev, ThreadInfo& t);
  void on_container(const EventView& ev, DomainId domain);
  // Gives `t` its domain's container, if it has none and one is known.
  void label_with_domain_container(ThreadInfo& t) const;

  // fd_events.cpp: fds and sockets.
  void on_open(const EventView& ev, ThreadInfo& t);
  void on_dup(const EventView& ev, ThreadInfo& t);
  void on_pipe_or_pair(const EventView& ev, ThreadInfo& t);
  void on_socket(const EventView& ev, ThreadInfo& t);
  void on_memfd(const EventView& ev, ThreadInfo& t);
  void on_anon_fd(const EventView& ev, ThreadInfo& t);
  void on_connect(const EventView& ev, ThreadInfo& t);
  void on_accept(const EventView& ev, ThreadInfo& t);
  void on_bind(const EventView& ev, ThreadInfo& t);
  void on_listen(const EventView& ev, ThreadInfo& t);

  // The directory a *at() call's dirfd names ("" if unknown; counted).
  std::string dirfd_path(const ThreadInfo& t, int64_t dirfd);
  // The fd of t's process, or a new unknown-type entry for it (counted).
  FdInfo& fd_or_new(const ThreadInfo& t, int64_t fd, FdType type_if_new);

  struct DomainContainer {
    std::string id, full_id, type;
  };

  ThreadTable& table_;
  StateUpdaterStats stats_;
  std::unordered_map<DomainId, DomainContainer> domain_containers_;
  ProcessResolver resolver_;
  bool fork_copies_fds_ = true;
  uint32_t max_resolves_per_second_ = 0;
  uint64_t resolve_window_ = 0;  // event-time second of the current budget
  uint32_t resolves_in_window_ = 0;
};

}  // namespace kestrel
