// proc.* extractors: the event's process, its parent, ancestors, session
// and process group leaders, all read through ThreadLookup.
#include <optional>

#include "engine/eval/extract.h"
#include "sources/event/symbols.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

V missing() { return V{}; }

// Flags from symbol_sets.def (EXE_FLAGS).
constexpr uint32_t kExeWritable = 1;
constexpr uint32_t kExeUpperLayer = KESTREL_EXE_UPPER_LAYER;
constexpr uint32_t kExeFromMemfd = KESTREL_EXE_FROM_MEMFD;
constexpr uint32_t kExeLowerLayer = KESTREL_EXE_LOWER_LAYER;

std::string_view joined_args(const ThreadInfo& t, std::string& out) {
  out.clear();
  for (const auto& a : t.args) {
    if (!out.empty()) out.push_back(' ');
    out.append(a);
  }
  return out;
}

// Falco's proc.cmdline: the name, then the arguments, space separated.
std::string_view cmdline(const ThreadInfo& t, std::string& out) {
  out.assign(t.comm);
  for (const auto& a : t.args) {
    out.push_back(' ');
    out.append(a);
  }
  return out;
}

// The process for ancestor-indexed fields: [0] self, [1] parent, …
const ThreadInfo* ancestor_of(ExtractContext& c, const FieldRef& r) {
  if (r.index == 0) return c.process();
  if (r.index == 1) return c.parent();
  const ThreadInfo* p = c.process();
  if (p == nullptr || r.index < 0) return nullptr;
  return c.lookup().ancestor(*p, static_cast<int>(r.index));
}

// Every ancestor from the parent up, bounded (proc.aname without index).
template <typename Get>
V all_ancestors(ExtractContext& c, Scratch& s, Get get) {
  s.items.clear();
  const ThreadInfo* a = c.parent();
  for (int depth = 1; a != nullptr && depth <= kMaxAncestorDepth; ++depth) {
    s.items.push_back(get(*a));
    a = c.lookup().parent(*a);
  }
  if (s.items.empty()) return missing();
  V v;
  v.kind = ValueKind::kList;
  v.list = s.items;
  return v;
}

#define PROC_STRING(fn, who, member)                               \
  V fn(ExtractContext& c, const FieldRef&, Scratch&) {             \
    const ThreadInfo* t = c.who();                                 \
    return t ? V::string(t->member) : missing();                   \
  }
PROC_STRING(proc_name, process, comm)
PROC_STRING(proc_exe, process, exe)
PROC_STRING(proc_exepath, process, exepath)
PROC_STRING(proc_cwd, process, cwd)
PROC_STRING(proc_pname, parent, comm)
PROC_STRING(proc_pexe, parent, exe)
PROC_STRING(proc_pexepath, parent, exepath)
#undef PROC_STRING

V proc_args(ExtractContext& c, const FieldRef&, Scratch& s) {
  const ThreadInfo* t = c.process();
  return t ? V::string(joined_args(*t, s.text)) : missing();
}
V proc_cmdline(ExtractContext& c, const FieldRef&, Scratch& s) {
  const ThreadInfo* t = c.process();
  return t ? V::string(cmdline(*t, s.text)) : missing();
}
V proc_pcmdline(ExtractContext& c, const FieldRef&, Scratch& s) {
  const ThreadInfo* t = c.parent();
  return t ? V::string(cmdline(*t, s.text)) : missing();
}
V proc_exeline(ExtractContext& c, const FieldRef&, Scratch& s) {
  const ThreadInfo* t = c.process();
  if (t == nullptr) return missing();
  s.text.assign(t->exe);
  for (const auto& a : t->args) {
    s.text.push_back(' ');
    s.text.append(a);
  }
  return V::string(s.text);
}
V proc_cmdnargs(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.process();
  return t ? V::uint64(t->args.size()) : missing();
}
V proc_cmdlenargs(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.process();
  if (t == nullptr) return missing();
  uint64_t n = 0;
  for (const auto& a : t->args) n += a.size();
  return V::uint64(n);
}

V proc_aname(ExtractContext& c, const FieldRef& r, Scratch& s) {
  if (r.index < 0) return all_ancestors(c, s, [](const ThreadInfo& t) { return std::string_view(t.comm); });
  const ThreadInfo* a = ancestor_of(c, r);
  return a ? V::string(a->comm) : missing();
}
V proc_aexe(ExtractContext& c, const FieldRef& r, Scratch& s) {
  if (r.index < 0) return all_ancestors(c, s, [](const ThreadInfo& t) { return std::string_view(t.exe); });
  const ThreadInfo* a = ancestor_of(c, r);
  return a ? V::string(a->exe) : missing();
}
V proc_aexepath(ExtractContext& c, const FieldRef& r, Scratch& s) {
  if (r.index < 0) return all_ancestors(c, s, [](const ThreadInfo& t) { return std::string_view(t.exepath); });
  const ThreadInfo* a = ancestor_of(c, r);
  return a ? V::string(a->exepath) : missing();
}
V proc_acmdline(ExtractContext& c, const FieldRef& r, Scratch& s) {
  if (r.index < 0) {
    // Each ancestor's cmdline is built into its own string.
    s.strings.clear();
    const ThreadInfo* a = c.parent();
    for (int depth = 1; a != nullptr && depth <= kMaxAncestorDepth; ++depth) {
      std::string line;
      cmdline(*a, line);
      s.strings.push_back(std::move(line));
      a = c.lookup().parent(*a);
    }
    if (s.strings.empty()) return missing();
    s.items.assign(s.strings.begin(), s.strings.end());
    V v;
    v.kind = ValueKind::kList;
    v.list = s.items;
    return v;
  }
  const ThreadInfo* a = ancestor_of(c, r);
  return a ? V::string(cmdline(*a, s.text)) : missing();
}
V proc_apid(ExtractContext& c, const FieldRef& r, Scratch&) {
  if (r.index < 0) return missing();
  const ThreadInfo* a = ancestor_of(c, r);
  return a ? V::int64(a->pid) : missing();
}

V proc_pid(ExtractContext& c, const FieldRef&, Scratch&) { return V::int64(c.view().tgid()); }
V proc_ppid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::int64(p->ptid) : missing();
}
V proc_vpid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::int64(p->vpid) : missing();
}
V proc_pvpid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.parent();
  return p ? V::int64(p->vpid) : missing();
}
V proc_sid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::int64(p->sid) : missing();
}
// Kestrel keeps host-namespace group ids only; vpgid reads the same value
// (they differ only inside a pid namespace).
V proc_pgid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::int64(p->pgid) : missing();
}
V proc_tty(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::uint64(p->tty) : missing();
}

const ThreadInfo* leader(ExtractContext& c, int64_t ThreadInfo::*id) {
  const ThreadInfo* p = c.process();
  if (p == nullptr || p->*id <= 0) return nullptr;
  if (p->*id == p->pid) return p;
  return c.lookup().find(p->domain, p->*id);
}
V proc_sname(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* l = leader(c, &ThreadInfo::sid);
  return l ? V::string(l->comm) : missing();
}
V proc_sid_exe(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* l = leader(c, &ThreadInfo::sid);
  return l ? V::string(l->exe) : missing();
}
V proc_sid_exepath(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* l = leader(c, &ThreadInfo::sid);
  return l ? V::string(l->exepath) : missing();
}
V proc_pgid_name(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* l = leader(c, &ThreadInfo::pgid);
  return l ? V::string(l->comm) : missing();
}
V proc_pgid_exe(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* l = leader(c, &ThreadInfo::pgid);
  return l ? V::string(l->exe) : missing();
}
V proc_pgid_exepath(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* l = leader(c, &ThreadInfo::pgid);
  return l ? V::string(l->exepath) : missing();
}
V proc_is_sid_leader(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::boolean(p->sid == p->pid) : missing();
}
V proc_is_pgid_leader(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::boolean(p->pgid == p->pid) : missing();
}

V proc_env(ExtractContext& c, const FieldRef& r, Scratch& s) {
  const ThreadInfo* p = c.process();
  if (p == nullptr) return missing();
  if (r.arg) {
    for (const auto& kv : p->env) {
      if (kv.size() > r.arg->size() && kv.compare(0, r.arg->size(), *r.arg) == 0 && kv[r.arg->size()] == '=') {
        return V::string(std::string_view(kv).substr(r.arg->size() + 1));
      }
    }
    return missing();
  }
  s.text.clear();
  for (const auto& kv : p->env) {
    if (!s.text.empty()) s.text.push_back(' ');
    s.text.append(kv);
  }
  return V::string(s.text);
}

V proc_duration(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  if (p == nullptr || p->start_ts == 0 || p->start_ts > c.view().ts()) return missing();
  return V::uint64(c.view().ts() - p->start_ts);
}
V proc_ppid_duration(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.parent();
  if (p == nullptr || p->start_ts == 0 || p->start_ts > c.view().ts()) return missing();
  return V::uint64(c.view().ts() - p->start_ts);
}
V proc_pid_ts(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p && p->start_ts ? V::uint64(p->start_ts) : missing();
}
V proc_ppid_ts(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.parent();
  return p && p->start_ts ? V::uint64(p->start_ts) : missing();
}

V exe_flag(ExtractContext& c, uint32_t flag) {
  const ThreadInfo* p = c.process();
  return p ? V::boolean((p->exe_flags & flag) != 0) : missing();
}
V proc_is_exe_writable(ExtractContext& c, const FieldRef&, Scratch&) { return exe_flag(c, kExeWritable); }
V proc_is_exe_upper_layer(ExtractContext& c, const FieldRef&, Scratch&) { return exe_flag(c, kExeUpperLayer); }
V proc_is_exe_from_memfd(ExtractContext& c, const FieldRef&, Scratch&) { return exe_flag(c, kExeFromMemfd); }
V proc_is_exe_lower_layer(ExtractContext& c, const FieldRef&, Scratch&) { return exe_flag(c, kExeLowerLayer); }
// proc.exe_ino*: the running image's inode (thread_info.h); 0 is "the
// source did not say", shown as <NA> as Falco does.
V proc_exe_ino(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p && p->exe_ino ? V::int64(static_cast<int64_t>(p->exe_ino)) : missing();
}
V proc_exe_ino_ctime(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p && p->exe_ino_ctime ? V::uint64(p->exe_ino_ctime) : missing();
}
V proc_exe_ino_mtime(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p && p->exe_ino_mtime ? V::uint64(p->exe_ino_mtime) : missing();
}
// How long before the process started its image was last changed (a
// binary dropped just before it ran scores low); Falco's clone_ts - ctime,
// absent when the change came after the start (the file changed under a
// running process) or either time is unknown.
V proc_exe_ino_ctime_duration_proc_start(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  if (p == nullptr || p->exe_ino_ctime == 0 || p->start_ts <= p->exe_ino_ctime) return missing();
  return V::uint64(p->start_ts - p->exe_ino_ctime);
}
// The event's process when it is a host process with a pid (not a
// sandbox's or a guest's).
const ThreadInfo* host_process(ExtractContext& c) {
  if (c.event().domain != kHostDomain) return nullptr;
  const ThreadInfo* p = c.process();
  return p != nullptr && p->domain == kHostDomain && p->pid > 0 ? p : nullptr;
}
// The host's facts about a live process (its /proc entry): only when every
// source is live (ExtractEnvironment::live_host).
const ThreadInfo* live_host_process(ExtractContext& c) { return c.env().live_host ? host_process(c) : nullptr; }
// Kestrel's own (Falco has no hash field): the SHA-256 of the executable.
// The exec event's digest when its producer sent one (a gVisor Sentry's
// binary_sha256); otherwise, for host processes, hashed in userspace on
// first use and remembered per file identity (state/exe_digest.h); <NA> in
// sandboxes whose Sentry sent none and for files it cannot read or that are
// over its size bound.
// A replay (not live) is hashed only through files whose inode facts equal
// the recorded exec's: a capture made on this host, its binaries unchanged.
V proc_exe_sha256(ExtractContext& c, const FieldRef&, Scratch& s) {
  if (const ThreadInfo* sent = c.process(); sent != nullptr && !sent->exe_sha256.empty())
    return V::string(sent->exe_sha256);
  const ThreadInfo* p = host_process(c);
  if (p == nullptr) return missing();
  const std::string* hex = c.env().exe_digests.sha256_hex(*p, c.env().live_host);
  if (hex == nullptr) return missing();
  s.text.assign(*hex);  // the cache may move on at the next call
  return V::string(s.text);
}
// Falco's proc.pidns_init_start_ts: when the init of the process's pid
// namespace started (the host's init for host processes), from /proc
// (state/pidns_start.h).
std::optional<uint64_t> pidns_init_start(ExtractContext& c) {
  const ThreadInfo* p = live_host_process(c);
  if (p == nullptr) return std::nullopt;
  return c.env().pidns_starts.init_start_ts(p->pid);
}
V proc_pidns_init_start_ts(ExtractContext& c, const FieldRef&, Scratch&) {
  std::optional<uint64_t> ts = pidns_init_start(c);
  return ts && *ts ? V::uint64(*ts) : missing();
}
// Falco's: the image's ctime minus the namespace's start, only when the
// image changed after the namespace started (a binary dropped into a
// running container); absent otherwise or when either is unknown.
V proc_exe_ino_ctime_duration_pidns_start(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  if (p == nullptr || p->exe_ino_ctime == 0) return missing();
  std::optional<uint64_t> start = pidns_init_start(c);
  if (!start || *start == 0 || p->exe_ino_ctime <= *start) return missing();
  return V::uint64(p->exe_ino_ctime - *start);
}
V proc_is_exec_session(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* p = c.process();
  return p ? V::boolean(p->exec_session) : missing();
}

// proc.std{in,out,err}.{type,name}: fds 0-2 of the process.
const FdInfo* std_fd(ExtractContext& c, int64_t fd) {
  const ThreadInfo* t = c.thread();
  return t ? c.lookup().find_fd(*t, fd) : nullptr;
}
V std_type(ExtractContext& c, int64_t fd) {
  const FdInfo* f = std_fd(c, fd);
  return f ? V::string(fd_type_name(f->type)) : missing();
}
V std_name(ExtractContext& c, int64_t fd) {
  const FdInfo* f = std_fd(c, fd);
  return f ? V::string(f->name) : missing();
}
V proc_stdin_type(ExtractContext& c, const FieldRef&, Scratch&) { return std_type(c, 0); }
V proc_stdout_type(ExtractContext& c, const FieldRef&, Scratch&) { return std_type(c, 1); }
V proc_stderr_type(ExtractContext& c, const FieldRef&, Scratch&) { return std_type(c, 2); }
V proc_stdin_name(ExtractContext& c, const FieldRef&, Scratch&) { return std_name(c, 0); }
V proc_stdout_name(ExtractContext& c, const FieldRef&, Scratch&) { return std_name(c, 1); }
V proc_stderr_name(ExtractContext& c, const FieldRef&, Scratch&) { return std_name(c, 2); }

// The field table: one row per field, its extractor beside its metadata
// (kNotFilled: a field rules may name that Kestrel does not fill yet).
using T = FieldType;
using A = FieldArg;
constexpr bool Y = true;
constexpr bool N = false;

constexpr FieldInfo kProcFields[] = {
    {"proc.exe", T::kString, A::kNone, N, N, proc_exe, "first command line argument (argv[0])"},
    {"proc.pexe", T::kString, A::kNone, N, N, proc_pexe, "proc.exe of the parent process"},
    {"proc.aexe", T::kString, A::kIndex, N, N, proc_aexe, "proc.exe of an ancestor ([1] parent, [2] grandparent…)"},
    {"proc.exepath", T::kPath, A::kNone, N, N, proc_exepath, "full executable path of the process"},
    {"proc.pexepath", T::kPath, A::kNone, N, N, proc_pexepath, "proc.exepath of the parent process"},
    {"proc.aexepath", T::kPath, A::kIndex, N, N, proc_aexepath, "proc.exepath of an ancestor"},
    {"proc.name", T::kString, A::kNone, N, N, proc_name, "name of the executable (comm, up to 16 chars)"},
    {"proc.pname", T::kString, A::kNone, N, N, proc_pname, "name of the parent process"},
    {"proc.aname", T::kString, A::kIndex, N, N, proc_aname, "name of an ancestor; without index, matches any ancestor"},
    {"proc.args", T::kString, A::kNone, N, N, proc_args, "command line arguments, space separated"},
    {"proc.cmdline", T::kString, A::kNone, N, N, proc_cmdline, "name + arguments of the process"},
    {"proc.cmdnargs", T::kUint64, A::kNone, N, N, proc_cmdnargs, "number of command line arguments"},
    {"proc.cmdlenargs", T::kUint64, A::kNone, N, N, proc_cmdlenargs, "total length of the command line arguments"},
    {"proc.pcmdline", T::kString, A::kNone, N, N, proc_pcmdline, "proc.cmdline of the parent process"},
    {"proc.acmdline", T::kString, A::kIndex, N, N, proc_acmdline, "proc.cmdline of an ancestor"},
    {"proc.exeline", T::kString, A::kNone, N, N, proc_exeline, "exe + arguments of the process"},
    {"proc.env", T::kString, A::kKey, N, N, proc_env, "environment (all, or one variable by name)"},
    {"proc.aenv", T::kString, A::kKey, N, N, kNotFilled, "environment variable of an ancestor"},
    {"proc.cwd", T::kPath, A::kNone, N, N, proc_cwd, "current working directory"},
    {"proc.loginshellid", T::kInt64, A::kNone, N, N, kNotFilled, "pid of the oldest shell ancestor"},
    {"proc.tty", T::kUint64, A::kNone, N, N, proc_tty, "controlling terminal (0 if none)"},
    {"proc.pid", T::kInt64, A::kNone, N, N, proc_pid, "id of the process"},
    {"proc.ppid", T::kInt64, A::kNone, N, N, proc_ppid, "pid of the parent process"},
    {"proc.apid", T::kInt64, A::kIndex, N, N, proc_apid, "pid of an ancestor"},
    {"proc.vpid", T::kInt64, A::kNone, N, N, proc_vpid, "id of the process in its pid namespace"},
    {"proc.pvpid", T::kInt64, A::kNone, N, N, proc_pvpid, "vpid of the parent process"},
    {"proc.sid", T::kInt64, A::kNone, N, N, proc_sid, "session id"},
    {"proc.sname", T::kString, A::kNone, N, N, proc_sname, "name of the session leader"},
    {"proc.sid.exe", T::kString, A::kNone, N, N, proc_sid_exe, "exe of the session leader"},
    {"proc.sid.exepath", T::kPath, A::kNone, N, N, proc_sid_exepath, "exepath of the session leader"},
    {"proc.vpgid", T::kInt64, A::kNone, N, N, proc_pgid, "process group id in the pid namespace"},
    {"proc.vpgid.name", T::kString, A::kNone, N, N, proc_pgid_name, "name of the process group leader"},
    {"proc.vpgid.exe", T::kString, A::kNone, N, N, proc_pgid_exe, "exe of the process group leader"},
    {"proc.vpgid.exepath", T::kPath, A::kNone, N, N, proc_pgid_exepath, "exepath of the process group leader"},
    {"proc.pgid", T::kInt64, A::kNone, N, N, proc_pgid, "process group id"},
    {"proc.pgid.name", T::kString, A::kNone, N, N, proc_pgid_name, "name of the process group leader (host pid ns)"},
    {"proc.pgid.exe", T::kString, A::kNone, N, N, proc_pgid_exe, "exe of the process group leader (host pid ns)"},
    {"proc.pgid.exepath", T::kPath, A::kNone, N, N, proc_pgid_exepath,
     "exepath of the process group leader (host pid ns)"},
    {"proc.duration", T::kRelTime, A::kNone, N, N, proc_duration, "ns since the process started"},
    {"proc.ppid.duration", T::kRelTime, A::kNone, N, N, proc_ppid_duration, "ns since the parent process started"},
    {"proc.pid.ts", T::kRelTime, A::kNone, N, N, proc_pid_ts, "start of the process (ns since epoch)"},
    {"proc.ppid.ts", T::kRelTime, A::kNone, N, N, proc_ppid_ts, "start of the parent process (ns since epoch)"},
    {"proc.is_exe_writable", T::kBool, A::kNone, N, N, proc_is_exe_writable,
     "true if the executable is writable by the user"},
    {"proc.is_exe_upper_layer", T::kBool, A::kNone, N, N, proc_is_exe_upper_layer,
     "true if the executable is in an overlayfs upper layer"},
    {"proc.is_exe_from_memfd", T::kBool, A::kNone, N, N, proc_is_exe_from_memfd, "true if the executable is a memfd"},
    {"proc.is_exe_lower_layer", T::kBool, A::kNone, N, N, proc_is_exe_lower_layer,
     "true if the executable is in an overlayfs lower layer"},
    // Kestrel's own: Falco has no exec-session notion (its rules approximate
    // an interactive exec with proc.tty != 0, which `runsc exec` without -t
    // and `kubectl exec` without a tty do not set).
    {"proc.is_exec_session", T::kBool, A::kNone, N, N, proc_is_exec_session,
     "true if the process was started by an exec into a gVisor sandbox (runsc/kubectl exec) or descends from one"},
    {"proc.is_sid_leader", T::kBool, A::kNone, N, N, proc_is_sid_leader, "true if the process is its session leader"},
    {"proc.is_vpgid_leader", T::kBool, A::kNone, N, N, proc_is_pgid_leader,
     "true if the process is its process group leader"},
    {"proc.exe_ino", T::kInt64, A::kNone, N, N, proc_exe_ino, "inode number of the executable"},
    {"proc.exe_ino.ctime", T::kAbsTime, A::kNone, N, N, proc_exe_ino_ctime,
     "ctime (last status change) of the executable, ns since epoch"},
    {"proc.exe_ino.mtime", T::kAbsTime, A::kNone, N, N, proc_exe_ino_mtime,
     "mtime (last modification) of the executable, ns since epoch"},
    {"proc.exe_ino.ctime_duration_proc_start", T::kRelTime, A::kNone, N, N, proc_exe_ino_ctime_duration_proc_start,
     "ns between executable ctime and process start"},
    // From this host's /proc for live host sources (no event carries the
    // pid namespace's start: the exec row is at KESTREL_MAX_PARAMS).
    {"proc.exe_ino.ctime_duration_pidns_start", T::kRelTime, A::kNone, N, N, proc_exe_ino_ctime_duration_pidns_start,
     "ns between pid namespace start and executable ctime, when the executable changed after the namespace started "
     "(live host sources)"},
    {"proc.pidns_init_start_ts", T::kUint64, A::kNone, N, N, proc_pidns_init_start_ts,
     "start of the pid namespace's init process, ns since epoch (live host sources, from /proc)"},
    // Kestrel's own: Falco has no hash field.
    {"proc.exe_sha256", T::kString, A::kNone, N, N, proc_exe_sha256,
     "Kestrel field (not in Falco): lower-case hex SHA-256 of the executable file, hashed in userspace on first use "
     "(host processes; a replay only while the recorded file is unchanged; files over 64 MiB and sandboxes read <NA>)"},
    {"proc.nthreads", T::kUint64, A::kNone, N, N, kNotFilled, "number of threads the process has"},
    {"proc.nchilds", T::kUint64, A::kNone, N, N, kNotFilled, "number of child threads"},
    {"proc.fdopencount", T::kUint64, A::kNone, N, N, kNotFilled, "number of open fds"},
    {"proc.fdlimit", T::kInt64, A::kNone, N, N, kNotFilled, "maximum number of fds"},
    {"proc.fdusage", T::kDouble, A::kNone, N, N, kNotFilled, "fds used / fd limit, percent"},
    {"proc.vmsize", T::kUint64, A::kNone, N, N, kNotFilled, "total virtual memory (kb)"},
    {"proc.vmrss", T::kUint64, A::kNone, N, N, kNotFilled, "resident memory (kb)"},
    {"proc.vmswap", T::kUint64, A::kNone, N, N, kNotFilled, "swapped memory (kb)"},
    {"proc.pfmajor", T::kUint64, A::kNone, N, N, kNotFilled, "major page faults since start"},
    {"proc.pfminor", T::kUint64, A::kNone, N, N, kNotFilled, "minor page faults since start"},
    {"proc.stdin.type", T::kString, A::kNone, N, N, proc_stdin_type, "type of fd 0"},
    {"proc.stdout.type", T::kString, A::kNone, N, N, proc_stdout_type, "type of fd 1"},
    {"proc.stderr.type", T::kString, A::kNone, N, N, proc_stderr_type, "type of fd 2"},
    {"proc.stdin.name", T::kString, A::kNone, N, N, proc_stdin_name, "name of fd 0"},
    {"proc.stdout.name", T::kString, A::kNone, N, N, proc_stdout_name, "name of fd 1"},
    {"proc.stderr.name", T::kString, A::kNone, N, N, proc_stderr_name, "name of fd 2"},
    {"proc.fd.type", T::kString, A::kNone, N, N, kNotFilled, "alias of fd.type"},
};
constexpr FieldSet kProcSet{"proc", "process fields", kProcFields};

}  // namespace

const FieldSet& proc_field_set() { return kProcSet; }

}  // namespace kestrel::engine::eval
