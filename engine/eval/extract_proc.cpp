// proc.* extractors: the event's process, its parent, ancestors, session
// and process group leaders, all read through ThreadLookup.
#include "engine/eval/extract.h"
#include "sources/event/symbols.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

V missing() { return V{}; }

// Flags from symbol_sets.def (EXE_FLAGS).
constexpr uint32_t kExeWritable = 1;
constexpr uint32_t kExeUpperLayer = 2;
constexpr uint32_t kExeFromMemfd = KESTREL_EXE_FROM_MEMFD;

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

constexpr ExtractorEntry kEntries[] = {
    {"proc.name", proc_name},
    {"proc.exe", proc_exe},
    {"proc.exepath", proc_exepath},
    {"proc.cwd", proc_cwd},
    {"proc.pname", proc_pname},
    {"proc.pexe", proc_pexe},
    {"proc.pexepath", proc_pexepath},
    {"proc.args", proc_args},
    {"proc.cmdline", proc_cmdline},
    {"proc.pcmdline", proc_pcmdline},
    {"proc.exeline", proc_exeline},
    {"proc.cmdnargs", proc_cmdnargs},
    {"proc.cmdlenargs", proc_cmdlenargs},
    {"proc.aname", proc_aname},
    {"proc.aexe", proc_aexe},
    {"proc.aexepath", proc_aexepath},
    {"proc.acmdline", proc_acmdline},
    {"proc.apid", proc_apid},
    {"proc.pid", proc_pid},
    {"proc.ppid", proc_ppid},
    {"proc.vpid", proc_vpid},
    {"proc.pvpid", proc_pvpid},
    {"proc.sid", proc_sid},
    {"proc.sname", proc_sname},
    {"proc.sid.exe", proc_sid_exe},
    {"proc.sid.exepath", proc_sid_exepath},
    {"proc.vpgid", proc_pgid},
    {"proc.vpgid.name", proc_pgid_name},
    {"proc.vpgid.exe", proc_pgid_exe},
    {"proc.vpgid.exepath", proc_pgid_exepath},
    {"proc.pgid", proc_pgid},
    {"proc.pgid.name", proc_pgid_name},
    {"proc.pgid.exe", proc_pgid_exe},
    {"proc.pgid.exepath", proc_pgid_exepath},
    {"proc.is_sid_leader", proc_is_sid_leader},
    {"proc.is_vpgid_leader", proc_is_pgid_leader},
    {"proc.tty", proc_tty},
    {"proc.env", proc_env},
    {"proc.duration", proc_duration},
    {"proc.ppid.duration", proc_ppid_duration},
    {"proc.pid.ts", proc_pid_ts},
    {"proc.ppid.ts", proc_ppid_ts},
    {"proc.is_exe_writable", proc_is_exe_writable},
    {"proc.is_exe_upper_layer", proc_is_exe_upper_layer},
    {"proc.is_exe_from_memfd", proc_is_exe_from_memfd},
    {"proc.stdin.type", proc_stdin_type},
    {"proc.stdout.type", proc_stdout_type},
    {"proc.stderr.type", proc_stderr_type},
    {"proc.stdin.name", proc_stdin_name},
    {"proc.stdout.name", proc_stdout_name},
    {"proc.stderr.name", proc_stderr_name},
};

}  // namespace

std::span<const ExtractorEntry> proc_extractors() { return kEntries; }

}  // namespace kestrel::engine::eval
