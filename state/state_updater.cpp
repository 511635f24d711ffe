#include "state/state_updater.h"

#include <fcntl.h>
#include <sched.h>

#include <optional>

#include "sources/event/symbols.h"
#include "state/container_id.h"
#include "state/path_resolve.h"
#include "state/process_params.h"

namespace kestrel {
namespace {

// Param index for one of two event types sharing a handler.
constexpr uint16_t pick(bool first, uint16_t a, uint16_t b) { return first ? a : b; }

constexpr uint32_t kUnchangedId = UINT32_MAX;  // -1 in set*id calls
constexpr uint64_t kCapSetgid = 1ull << 6;
constexpr uint64_t kCapSetuid = 1ull << 7;
constexpr int64_t kAtEmptyPath = 0x1000;
// A hostile sandbox could announce containers forever; one per domain is
// kept and the number of domains remembered is capped.
constexpr size_t kMaxDomainContainers = 65536;

// Clone events reach us within milliseconds of the child's start; an entry
// for the new tid that started well before is a previous holder of the tid
// whose exit we missed (dropped events), not this child.
constexpr uint64_t kStaleAfterNs = 1'000'000'000;

// The entry of the event's thread, for read_process_params() to rewrite
// and put() to store again: taken out of the table (nothing reads it
// meanwhile), so the new arguments and environment reuse the old ones'
// memory; copied when the params name another tid, which put() files
// elsewhere and which must leave this entry whole.
ThreadInfo take_for_rewrite(const EventView& ev, uint16_t base, ThreadInfo& entry) {
  const int64_t params_tid = ev.param_int(base + KP_PROCESS_tid).value_or(ev.tid());
  if (params_tid == static_cast<int64_t>(ev.tid())) return std::move(entry);
  return entry;
}

bool is_stale(const ThreadInfo& existing, uint64_t clone_ts) {
  return existing.start_ts != 0 && existing.start_ts + kStaleAfterNs < clone_ts;
}

std::string_view basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

ThreadInfo& StateUpdater::thread_for(const EventView& ev, DomainId domain) {
  const int64_t tid = ev.tid();
  if (ThreadInfo* t = table_.get(domain, tid)) return *t;
  const int64_t pid = ev.process_id();
  if (resolver_ && table_.find(domain, pid) == nullptr) {
    if (ThreadInfo* t = resolve(ev, domain, tid, pid)) return *t;
  }
  ++stats_.unknown_threads;
  ThreadInfo fresh;
  // A new thread of a known process shares its process's identity.
  if (pid != tid) {
    if (const ThreadInfo* leader = table_.find(domain, pid)) {
      fresh = *leader;
      fresh.start_ts = 0;
    }
  }
  fresh.domain = domain;
  fresh.tid = tid;
  fresh.pid = pid;
  label_with_domain_container(fresh);
  return table_.put(std::move(fresh));
}

ThreadInfo* StateUpdater::resolve(const EventView& ev, DomainId domain, int64_t tid, int64_t pid) {
  const uint64_t second = ev.ts() / 1'000'000'000;
  if (second != resolve_window_) {
    resolve_window_ = second;
    resolves_in_window_ = 0;
  }
  if (resolves_in_window_ >= max_resolves_per_second_) {
    ++stats_.resolve_skipped;
    return nullptr;
  }
  ++resolves_in_window_;
  std::optional<std::vector<ThreadInfo>> threads = resolver_(domain, pid);
  if (!threads || threads->empty()) {
    ++stats_.resolve_failed;
    return nullptr;
  }
  ++stats_.resolved;
  for (ThreadInfo& t : *threads) {
    t.domain = domain;  // the resolver answers for this domain
    label_with_domain_container(t);
    table_.put(std::move(t));
  }
  // A thread born after the lookup listed its process stays unknown here;
  // the caller then makes it from its (now known) leader.
  return table_.get(domain, tid);
}

bool StateUpdater::changes_state(uint16_t type) {
  switch (type) {
    case KE_CLONE: case KE_CLONE3: case KE_FORK: case KE_VFORK: case KE_PROCEXIT: case KE_CONTAINER:
    case KE_EXECVE: case KE_EXECVEAT:
    case KE_OPEN: case KE_OPENAT: case KE_OPENAT2: case KE_CREAT: case KE_CLOSE:
    case KE_DUP: case KE_DUP2: case KE_DUP3: case KE_FCNTL:
    case KE_PIPE: case KE_PIPE2: case KE_SOCKETPAIR: case KE_SOCKET: case KE_MEMFD_CREATE:
    case KE_USERFAULTFD: case KE_IO_URING_SETUP: case KE_BPF: case KE_EVENTFD: case KE_EVENTFD2:
    case KE_SIGNALFD: case KE_SIGNALFD4: case KE_TIMERFD_CREATE: case KE_INOTIFY_INIT: case KE_INOTIFY_INIT1:
    case KE_SETSID: case KE_CONNECT: case KE_ACCEPT: case KE_ACCEPT4: case KE_BIND: case KE_LISTEN:
    case KE_CHDIR: case KE_FCHDIR: case KE_CHROOT:
    case KE_SETUID: case KE_SETGID: case KE_SETREUID: case KE_SETREGID: case KE_SETRESUID: case KE_SETRESGID:
      return true;
    default: return false;
  }
}

void StateUpdater::apply(const EventView& ev, DomainId domain) {
  ++stats_.events;
  const uint16_t type = ev.type();
  if (!changes_state(type)) {
    thread_for(ev, domain);
    return;
  }
  switch (type) {
    case KE_CLONE: return on_clone(ev, domain, KP_CLONE_exe, KP_CLONE_flags);
    case KE_CLONE3: return on_clone(ev, domain, KP_CLONE3_exe, KP_CLONE3_flags);
    case KE_FORK: return on_clone(ev, domain, KP_FORK_exe, KP_FORK_COUNT);
    case KE_VFORK: return on_clone(ev, domain, KP_VFORK_exe, KP_VFORK_COUNT);
    case KE_PROCEXIT: return on_exit(ev, domain);
    case KE_CONTAINER: return on_container(ev, domain);
    default: break;
  }
  ThreadInfo& t = thread_for(ev, domain);
  switch (type) {
    case KE_EXECVE: return on_exec(ev, domain, KP_EXECVE_exe);
    case KE_EXECVEAT: return on_exec(ev, domain, KP_EXECVEAT_exe);
    case KE_OPEN: case KE_OPENAT: case KE_OPENAT2: case KE_CREAT: return on_open(ev, t);
    case KE_CLOSE:
      if (auto fd = ev.param_int(KP_CLOSE_fd)) table_.erase_fd(domain, t.pid, *fd);
      return;
    case KE_DUP: case KE_DUP2: case KE_DUP3: case KE_FCNTL: return on_dup(ev, t);
    case KE_PIPE: case KE_PIPE2: case KE_SOCKETPAIR: return on_pipe_or_pair(ev, t);
    case KE_SOCKET: return on_socket(ev, t);
    case KE_MEMFD_CREATE: return on_memfd(ev, t);
    case KE_USERFAULTFD: case KE_IO_URING_SETUP: case KE_BPF: case KE_EVENTFD: case KE_EVENTFD2:
    case KE_SIGNALFD: case KE_SIGNALFD4: case KE_TIMERFD_CREATE: case KE_INOTIFY_INIT: case KE_INOTIFY_INIT1:
      return on_anon_fd(ev, t);
    case KE_SETSID:
      // The new session's id is the caller's pid; so is its process group.
      if (int64_t sid = ev.param_int(KP_SETSID_res).value_or(-1); sid > 0) {
        t.sid = sid;
        t.pgid = sid;
      }
      return;
    case KE_CONNECT: return on_connect(ev, t);
    case KE_ACCEPT: case KE_ACCEPT4: return on_accept(ev, t);
    case KE_BIND: return on_bind(ev, t);
    case KE_LISTEN: return on_listen(ev, t);
    case KE_CHDIR: case KE_FCHDIR: case KE_CHROOT: return on_directory(ev, t);
    case KE_SETUID: case KE_SETGID: case KE_SETREUID: case KE_SETREGID:
    case KE_SETRESUID: case KE_SETRESGID:
      return on_credentials(ev, t);
    default: return;
  }
}

// ---- process lifecycle ------------------------------------------------------

void StateUpdater::on_clone(const EventView& ev, DomainId domain, uint16_t base, uint16_t flags_index) {
  // fork/vfork have no flags param: flags_index is past their last param.
  const uint32_t flags = static_cast<uint32_t>(ev.param_int(flags_index).value_or(0));
  auto res = ev.param_int(0);  // `res` is param 0 of every clone-like event
  if (!res) {
    ++stats_.missing_params;
    thread_for(ev, domain);
    return;
  }
  if (*res == 0) return on_clone_child(ev, domain, base, flags);

  const bool caller_known = table_.find(domain, ev.tid()) != nullptr;
  ThreadInfo& caller = thread_for(ev, domain);
  // The parent's event describes the caller; fill in a caller we never saw.
  if (!caller_known) {
    ThreadInfo filled = caller;
    read_process_params(ev, base, filled);
    filled.tid = caller.tid;
    filled.pid = caller.pid;
    caller = std::move(filled);
  }
  if (*res < 0) return;
  const ThreadInfo* existing = table_.find(domain, *res);
  if (existing != nullptr && !is_stale(*existing, ev.ts())) return;  // the child's side came first

  // Copy before put(): put() may move entries and invalidate `caller`.
  ThreadInfo child = caller;
  const int64_t caller_pid = caller.pid;
  child.tid = *res;
  child.vtid = child.vpid = 0;  // not known from the parent's side
  child.start_ts = ev.ts();
  if (flags & CLONE_THREAD) {
    child.pid = caller.pid;
    child.ptid = caller.ptid;
  } else {
    child.pid = *res;
    child.ptid = (flags & CLONE_PARENT) ? caller.ptid : caller_pid;
  }
  const bool new_process = !(flags & CLONE_THREAD);
  table_.put(std::move(child));
  if (new_process) {
    table_.clear_fds(domain, *res);  // a stale holder's, if any
    if (fork_copies_fds_) table_.copy_fds(domain, caller_pid, *res);
  }
}

void StateUpdater::on_clone_child(const EventView& ev, DomainId domain, uint16_t base, uint32_t flags) {
  ThreadInfo* existing = table_.get(domain, ev.tid());
  ThreadInfo child;
  // The parent's event may have created us already (with our fds): keep
  // what the params do not carry. A stale holder of the tid keeps nothing.
  if (existing != nullptr && !is_stale(*existing, ev.ts())) child = take_for_rewrite(ev, base, *existing);
  child.domain = domain;
  child.tid = ev.tid();
  child.pid = ev.process_id();
  read_process_params(ev, base, child);
  // Until it execs, a child runs its creator's image: inherit what the
  // clone event does not carry (the resolved executable path when the
  // source lacks it, its flags, the image's inode) from the process it was
  // cloned from (its own process for a thread).
  const int64_t source_tid = (flags & CLONE_THREAD) ? child.pid : child.ptid;
  if (const ThreadInfo* from = table_.find(domain, source_tid); from != nullptr && from->tid != child.tid) {
    if (child.exepath.empty()) {
      child.exepath = from->exepath;
      if (child.exe_flags == 0) child.exe_flags = from->exe_flags;
    }
    if (child.exe_ino == 0) {
      child.exe_ino = from->exe_ino;
      child.exe_ino_ctime = from->exe_ino_ctime;
      child.exe_ino_mtime = from->exe_ino_mtime;
      if (child.exe_sha256.empty()) child.exe_sha256 = from->exe_sha256;
    }
  }
  // An exec session's descendants belong to it (no clone param says so).
  if (const ThreadInfo* creator = table_.find(domain, (flags & CLONE_THREAD) ? child.pid : child.ptid);
      creator != nullptr && creator->tid != child.tid && creator->exec_session)
    child.exec_session = true;
  label_with_domain_container(child);
  if (child.start_ts == 0) child.start_ts = ev.ts();
  const bool new_process = !(flags & CLONE_THREAD) && child.pid == child.tid;
  const bool stale = existing != nullptr && is_stale(*existing, ev.ts());
  const bool had_fds = existing != nullptr && !stale && table_.fd_count(domain, child.pid) > 0;
  // The parent process whose fds a fork copies.
  int64_t parent_pid = child.ptid;
  if (const ThreadInfo* p = table_.find(domain, child.ptid)) parent_pid = p->pid;
  table_.put(std::move(child));
  if (new_process && !had_fds) {
    if (stale) table_.clear_fds(domain, ev.tid());
    if (fork_copies_fds_) table_.copy_fds(domain, parent_pid, ev.tid());
  }
}

std::string StateUpdater::derived_exepath(const EventView& ev, DomainId domain, const ThreadInfo& t) {
  std::optional<std::string_view> pathname;
  if (ev.type() == KE_EXECVEAT) pathname = ev.param_str(KP_EXECVEAT_pathname);
  if (pathname) {
    int64_t dirfd = ev.param_int(KP_EXECVEAT_dirfd).value_or(AT_FDCWD);
    int64_t at_flags = ev.param_int(KP_EXECVEAT_flags).value_or(0);
    if (pathname->empty() && (at_flags & kAtEmptyPath)) {
      const FdInfo* f = table_.fd(domain, t.pid, dirfd);
      return f ? f->name : std::string();
    }
    return resolve_path(dirfd_path(t, dirfd), *pathname);
  }
  if (t.exe.find('/') != std::string::npos) return resolve_path(t.cwd, t.exe);
  return t.exe;
}

void StateUpdater::on_exec(const EventView& ev, DomainId domain, uint16_t base) {
  auto res = ev.param_int(0);
  if (!res || *res != 0) return;
  ThreadInfo t = take_for_rewrite(ev, base, *table_.get(domain, ev.tid()));
  read_process_params(ev, base, t);
  read_exe_inode_params(ev, t);
  if (!ev.has_param(base + KP_PROCESS_comm)) t.comm.clear();

  // exepath: the kernel's resolved executable when the source reports it
  // (the eBPF probe reads mm->exe_file; read_process_params copied it).
  // Otherwise derive it: execveat names the file exactly; execve only gives
  // argv[0], which is a path when it contains a '/' (else it came from $PATH).
  const auto reported = ev.param_str(base + KP_PROCESS_exepath);
  if (!reported || reported->empty()) t.exepath = derived_exepath(ev, domain, t);
  if (t.comm.empty()) t.comm = std::string(basename_of(t.exepath)).substr(0, 15);
  const int64_t pid = t.pid;
  table_.put(std::move(t));
  table_.close_cloexec_fds(domain, pid);
}

void StateUpdater::on_exit(const EventView& ev, DomainId domain) {
  const ThreadInfo* t = table_.find(domain, ev.tid());
  if (t == nullptr) return;  // nothing to forget; not worth an entry
  const bool leader = t->tid == t->pid;
  const int64_t pid = t->pid;
  table_.remove_thread(domain, ev.tid());
  if (leader) {
    if (auto reaper = ev.param_int(KP_PROCEXIT_reaper_tid); reaper && *reaper > 0)
      table_.remember_reaper(domain, pid, *reaper);
  }
}

// ---- credentials and directories ---------------------------------------------

void StateUpdater::on_credentials(const EventView& ev, ThreadInfo& t) {
  if (ev.param_int(0).value_or(-1) != 0) return;  // res
  auto id = [&](uint16_t i) -> uint32_t {
    auto v = ev.param_int(i);
    return v ? static_cast<uint32_t>(*v) : kUnchangedId;
  };
  auto set = [](uint32_t& field, uint32_t v) {
    if (v != kUnchangedId) field = v;
  };
  switch (ev.type()) {
    case KE_SETUID: {
      // Privileged callers set every uid; others only the effective one.
      uint32_t v = id(KP_SETUID_uid);
      if (t.euid == 0 || (t.cap_effective & kCapSetuid)) set(t.uid, v);
      set(t.euid, v);
      break;
    }
    case KE_SETGID: {
      uint32_t v = id(KP_SETGID_gid);
      if (t.euid == 0 || (t.cap_effective & kCapSetgid)) set(t.gid, v);
      set(t.egid, v);
      break;
    }
    case KE_SETREUID: set(t.uid, id(KP_SETREUID_ruid)); set(t.euid, id(KP_SETREUID_euid)); break;
    case KE_SETREGID: set(t.gid, id(KP_SETREGID_rgid)); set(t.egid, id(KP_SETREGID_egid)); break;
    case KE_SETRESUID: set(t.uid, id(KP_SETRESUID_ruid)); set(t.euid, id(KP_SETRESUID_euid)); break;
    case KE_SETRESGID: set(t.gid, id(KP_SETRESGID_rgid)); set(t.egid, id(KP_SETRESGID_egid)); break;
    default: break;
  }
}

void StateUpdater::on_directory(const EventView& ev, ThreadInfo& t) {
  if (ev.param_int(0).value_or(-1) != 0) return;  // res
  std::string dir;
  bool is_root = false;
  switch (ev.type()) {
    case KE_CHDIR:
    case KE_CHROOT: {
      uint16_t i = pick(ev.type() == KE_CHDIR, KP_CHDIR_path, KP_CHROOT_path);
      auto path = ev.param_str(i);
      if (!path) {
        ++stats_.missing_params;
        return;
      }
      dir = resolve_path(t.cwd, *path);
      is_root = ev.type() == KE_CHROOT;
      break;
    }
    case KE_FCHDIR: {
      const FdInfo* f = table_.fd(t.domain, t.pid, ev.param_int(KP_FCHDIR_fd).value_or(-1));
      if (f == nullptr) {
        ++stats_.unknown_fds;
        return;
      }
      dir = f->name;
      break;
    }
    default: return;
  }
  std::vector<int64_t> moved;
  table_.for_each_thread_of(t.domain, t.pid, [&](ThreadInfo& th) {
    (is_root ? th.root : th.cwd) = dir;
    moved.push_back(th.tid);
  });
  // A thread whose process the table tracks under another pid still moves.
  (is_root ? t.root : t.cwd) = dir;
  // The paths changed size in place: the memory budget re-measures them.
  table_.refresh_bytes(t.domain, t.tid);
  for (int64_t tid : moved)
    if (tid != t.tid) table_.refresh_bytes(t.domain, tid);
}

// ---- sandboxes ------------------------------------------------------------------

void StateUpdater::on_container(const EventView& ev, DomainId domain) {
  if (domain == kHostDomain) return;  // host containers come from cgroups
  auto id = ev.param_str(KP_CONTAINER_id);
  if (!id || id->empty()) {
    ++stats_.missing_params;
    return;
  }
  if (!domain_containers_.count(domain) && domain_containers_.size() < kMaxDomainContainers) {
    DomainContainer c;
    c.full_id = std::string(*id);
    c.id = c.full_id.size() > kContainerShortIdLength ? c.full_id.substr(0, kContainerShortIdLength) : c.full_id;
    c.type = render_symbols(SymbolSet::kCONTAINER_TYPES,
                            static_cast<uint32_t>(ev.param_uint(KP_CONTAINER_type).value_or(5)));
    domain_containers_.emplace(domain, std::move(c));
  }
  // A container event may come without a task (tid 0): no thread to label.
  if (ev.tid() != 0) {
    label_with_domain_container(thread_for(ev, domain));
    table_.refresh_bytes(domain, ev.tid());
  }
}

void StateUpdater::label_with_domain_container(ThreadInfo& t) const {
  if (t.domain == kHostDomain || !t.container_id.empty()) return;
  auto it = domain_containers_.find(t.domain);
  if (it == domain_containers_.end()) return;
  t.container_id = it->second.id;
  t.container_full_id = it->second.full_id;
  t.container_type = it->second.type;
}

}  // namespace kestrel
