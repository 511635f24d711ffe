#include "tests/oracle/extract.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>

#include <charconv>
#include <map>

#include "sources/event/param_format.h"

namespace kestrel::engine::reference {
namespace {

// The syscall's return value: the first param of a syscall event.
std::optional<int64_t> return_value(const EventView& ev) {
  if (!ev.info().is_syscall() || ev.nparams() == 0) return std::nullopt;
  return ev.param_int(0);
}

std::optional<uint16_t> arg_index(const EventView& ev, const std::string& arg) {
  uint16_t idx = 0;
  auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), idx);
  if (ec == std::errc() && p == arg.data() + arg.size()) {
    if (idx < ev.nparams()) return idx;
    return std::nullopt;
  }
  if (auto i = ev.info().param_index(arg)) return i;
  // Falco's execve exit calls the image flags `flags` (Kestrel: exe_flags).
  if (arg == "flags" && ev.type() == KE_EXECVE) return ev.info().param_index("exe_flags");
  return std::nullopt;
}

bool is_integer_param(kestrel_param_type t) {
  switch (t) {
    case KPT_CHARBUF:
    case KPT_PATH:
    case KPT_CHARBUF_ARRAY:
    case KPT_BYTES:
    case KPT_SOCKADDR:
    case KPT_SOCKTUPLE:
    case KPT_NONE:
    case KPT_COUNT: return false;
    default: return true;
  }
}

void evt_type(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_view(c.event.info().name); }
void evt_num(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event_number));
}
void evt_rawtime(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event.ts()));
}
void evt_rawtime_s(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event.ts() / 1000000000));
}
void evt_rawtime_ns(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_number(static_cast<int64_t>(c.event.ts() % 1000000000));
}
void evt_dir(const EvalContext&, const Extractor&, FieldValue& v) { v.set_view("<"); }
void evt_category(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_view(category_name(c.event.info().category));
}
void evt_source(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_view(c.source); }
void evt_is_async(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_bool(!c.event.info().is_syscall() && c.event.info().category == KEC_CONTAINER);
}
void syscall_type(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (c.event.info().is_syscall()) v.set_view(c.event.info().name);
}
void evt_res(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto r = return_value(c.event)) v.set_string(*r >= 0 ? std::string("SUCCESS") : format_errno(*r));
}
void evt_rawres(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto r = return_value(c.event)) v.set_number(*r);
}
void evt_failed(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto r = return_value(c.event)) v.set_bool(*r < 0);
}
void evt_arg(const EvalContext& c, const Extractor& x, FieldValue& v) {
  auto idx = arg_index(c.event, x.arg);
  if (!idx || !c.event.has_param(*idx)) return;
  v.set_string(format_param(c.event, *idx));
}
void evt_rawarg(const EvalContext& c, const Extractor& x, FieldValue& v) {
  auto idx = arg_index(c.event, x.arg);
  if (!idx || !c.event.has_param(*idx)) return;
  const auto& params = c.event.info().params;
  if (*idx < params.size() && is_integer_param(params[*idx].type)) {
    if (auto n = c.event.param_int(*idx)) v.set_number(*n);
    return;
  }
  if (auto s = c.event.param_str(*idx)) v.set_view(*s);
}
void evt_args(const EvalContext& c, const Extractor&, FieldValue& v) {
  std::string out;
  const auto& params = c.event.info().params;
  for (uint16_t i = 0; i < c.event.nparams() && i < params.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += params[i].name;
    out += '=';
    out += format_param(c.event, i);
  }
  v.set_string(std::move(out));
}
void evt_count(const EvalContext&, const Extractor&, FieldValue& v) { v.set_number(1); }
void evt_is_io(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_bool(c.event.info().flags & KEF_IO); }
// Flags and mode of an open-family event (creat implies O_CREAT|O_WRONLY).
struct OpenArgs {
  uint64_t flags = 0;
  uint64_t mode = 0;
};
std::optional<OpenArgs> open_args(const EventView& ev) {
  uint16_t t = ev.type();
  if (t == KE_CREAT) {
    auto mode = ev.info().param_index("mode");
    return OpenArgs{O_CREAT | O_WRONLY | O_TRUNC, mode ? ev.param_uint(*mode).value_or(0) : 0};
  }
  if (t != KE_OPEN && t != KE_OPENAT && t != KE_OPENAT2) return std::nullopt;
  auto flags = ev.info().param_index("flags");
  auto mode = ev.info().param_index("mode");
  if (!flags) return std::nullopt;
  auto f = ev.param_uint(*flags);
  if (!f) return std::nullopt;
  return OpenArgs{*f, mode ? ev.param_uint(*mode).value_or(0) : 0};
}
// False, not absent, on every other event (libsinsp sets 0 for them).
void evt_is_open_read(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto a = open_args(c.event);
  v.set_bool(a && ((a->flags & O_ACCMODE) == O_RDONLY || (a->flags & O_ACCMODE) == O_RDWR));
}
void evt_is_open_write(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto a = open_args(c.event);
  v.set_bool(a && ((a->flags & O_ACCMODE) == O_WRONLY || (a->flags & O_ACCMODE) == O_RDWR));
}
// Falco: a file created with any execute permission bit.
void evt_is_open_exec(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto a = open_args(c.event);
  v.set_bool(a && (a->flags & O_CREAT) && (a->mode & 0111));
}
void proc_pid(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_number(c.event.tgid()); }
void thread_tid(const EvalContext& c, const Extractor&, FieldValue& v) { v.set_number(c.event.tid()); }
void thread_ismain(const EvalContext& c, const Extractor&, FieldValue& v) {
  v.set_bool(c.event.tid() == c.event.tgid());
}

// --- state fields: read plainly from the thread table, nothing cached ---

// The event's thread, or nullptr.
const ThreadInfo* thread_of(const EvalContext& c) {
  if (c.threads == nullptr) return nullptr;
  return c.threads->find(c.domain, c.event.tid());
}
// The event's process (its thread-group leader, else the thread itself).
const ThreadInfo* process_of(const EvalContext& c) {
  const ThreadInfo* t = thread_of(c);
  if (t == nullptr) return nullptr;
  const ThreadInfo* p = c.threads->process_of(*t);
  return p ? p : t;
}
// The n-th ancestor: 0 the process, 1 its parent, … (one parent step each).
const ThreadInfo* ancestor(const EvalContext& c, int n) {
  const ThreadInfo* a = process_of(c);
  for (int i = 0; a != nullptr && i < n; ++i) a = c.threads->parent(*a);
  return a;
}

// The fd number the event acts on: its "fd" param, else a returned fd
// (first param of type fd), else "oldfd".
std::optional<int64_t> fd_number(const EventView& ev) {
  const EventInfo& info = ev.info();
  if (auto i = info.param_index("fd")) return ev.param_int(*i);
  auto res = info.param_index("res");
  if (res && info.params[*res].type == KPT_FD) return ev.param_int(*res);
  if (!res && !info.params.empty() && info.params[0].type == KPT_FD) return ev.param_int(0);
  if (auto i = info.param_index("oldfd")) return ev.param_int(*i);
  return std::nullopt;
}

// The fd the event acts on: the table's entry, else (open family) a file
// made from the path the event carries, a relative path put under the
// process's cwd (kept as it is when the thread is unknown).
std::optional<FdInfo> fd_of(const EvalContext& c) {
  if (c.threads == nullptr) return std::nullopt;
  const ThreadInfo* t = thread_of(c);
  auto num = fd_number(c.event);
  if (num && *num >= 0 && t != nullptr) {
    if (const FdInfo* f = c.threads->find_fd(*t, *num)) return *f;
  }
  uint16_t type = c.event.type();
  if (type != KE_OPEN && type != KE_OPENAT && type != KE_OPENAT2 && type != KE_CREAT) return std::nullopt;
  auto name = c.event.info().param_index("name");
  if (!name) return std::nullopt;
  auto path = c.event.param_str(*name);
  if (!path || path->empty()) return std::nullopt;
  FdInfo f;
  f.fd = num.value_or(-1);
  f.type = FdType::kFile;
  if ((*path)[0] == '/' || t == nullptr) {
    f.name = std::string(*path);
  } else {
    f.name = process_of(c)->cwd;
    if (f.name.empty() || f.name.back() != '/') f.name += '/';
    f.name += *path;
  }
  return f;
}

bool is_ip_fd(const FdInfo& f) { return f.type == FdType::kIpv4 || f.type == FdType::kIpv6; }
bool is_file_like(const FdInfo& f) {
  return f.type == FdType::kFile || f.type == FdType::kDirectory || f.type == FdType::kMemfd;
}
// Whether the event's process is the server end of the socket.
bool is_server(const EvalContext& c, const FdInfo& f) {
  uint16_t t = c.event.type();
  if (t == KE_ACCEPT || t == KE_ACCEPT4) return true;
  if (t == KE_CONNECT) return false;
  return f.listening;
}
// The connection of an IP socket (client -> server), if known.
std::optional<SockTuple> tuple_of(const FdInfo& f) {
  if (!is_ip_fd(f) || f.tuple.empty()) return std::nullopt;
  auto t = decode_socktuple(f.tuple);
  if (!t || t->family == KESTREL_AF_UNIX) return std::nullopt;
  return t;
}

void proc_name(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* p = process_of(c)) v.set_string(p->comm);
}
void proc_exepath(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* p = process_of(c)) v.set_string(p->exepath);
}
void proc_cwd(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* p = process_of(c)) v.set_string(p->cwd);
}
void proc_args(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto* p = process_of(c);
  if (p == nullptr) return;
  std::string s;
  for (const auto& a : p->args) s += (s.empty() ? "" : " ") + a;
  v.set_string(std::move(s));
}
void proc_cmdline(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto* p = process_of(c);
  if (p == nullptr) return;
  std::string s = p->comm;
  for (const auto& a : p->args) s += " " + a;
  v.set_string(std::move(s));
}
void proc_ppid(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* p = process_of(c)) v.set_number(p->ptid);
}
void proc_tty(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* p = process_of(c)) v.set_number(p->tty);
}
void proc_pname(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* a = ancestor(c, 1)) v.set_string(a->comm);
}
// With an index, one ancestor; without, every ancestor from the parent up.
void proc_aname(const EvalContext& c, const Extractor& x, FieldValue& v) {
  if (!x.arg.empty()) {
    int n = -1;
    std::from_chars(x.arg.data(), x.arg.data() + x.arg.size(), n);
    if (n < 0 || n > kMaxAncestorDepth) return;
    if (auto* a = ancestor(c, n)) v.set_string(a->comm);
    return;
  }
  std::vector<std::string> names;
  for (int n = 1; n <= kMaxAncestorDepth; ++n) {
    const ThreadInfo* a = ancestor(c, n);
    if (a == nullptr) break;
    names.push_back(a->comm);
  }
  if (!names.empty()) v.set_list(std::move(names));
}
void user_uid(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* t = thread_of(c)) v.set_number(t->euid);
}
void user_name(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto* t = thread_of(c);
  if (t == nullptr || c.domain != kHostDomain) return;
  passwd pw{};
  passwd* found = nullptr;
  std::string buf(4096, '\0');
  if (getpwuid_r(t->euid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) v.set_string(pw.pw_name);
}
void user_loginuid(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* t = thread_of(c)) v.set_number(t->loginuid == UINT32_MAX ? -1 : static_cast<int64_t>(t->loginuid));
}
void container_id(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto* t = thread_of(c)) v.set_string(t->container_id.empty() ? "host" : t->container_id);
}
void fd_num(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto n = fd_number(c.event)) v.set_number(*n);
}
void fd_name(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto f = fd_of(c)) v.set_string(f->name);
}
void fd_typechar(const EvalContext& c, const Extractor&, FieldValue& v) {
  if (auto f = fd_of(c)) v.set_string(std::string(1, static_cast<char>(f->type)));
}
void fd_directory(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (!f || !is_file_like(*f)) return;
  if (f->type == FdType::kDirectory) return v.set_string(f->name);
  auto slash = f->name.rfind('/');
  if (slash == std::string::npos) return;
  v.set_string(slash == 0 ? "/" : f->name.substr(0, slash));
}
void fd_filename(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (!f || !is_file_like(*f) || f->type == FdType::kDirectory) return;
  auto slash = f->name.rfind('/');
  v.set_string(slash == std::string::npos ? f->name : f->name.substr(slash + 1));
}
void fd_l4proto(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (!f || !is_ip_fd(*f)) return;
  switch (f->l4proto) {
    case IPPROTO_TCP: return v.set_string("tcp");
    case IPPROTO_UDP: return v.set_string("udp");
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: return v.set_string("icmp");
    default: return v.set_string("raw");
  }
}
void fd_is_server(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (f && (is_ip_fd(*f) || f->type == FdType::kUnix)) v.set_bool(is_server(c, *f));
}
// Server end: the tuple's destination. Local/remote depend on our role.
void fd_sip(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (auto t = f ? tuple_of(*f) : std::nullopt) v.set_ips({t->dip});
}
void fd_rip(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (auto t = f ? tuple_of(*f) : std::nullopt) v.set_ips({is_server(c, *f) ? t->sip : t->dip});
}
void fd_ip(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (auto t = f ? tuple_of(*f) : std::nullopt) v.set_ips({t->sip, t->dip});
}
void fd_sport(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (auto t = f ? tuple_of(*f) : std::nullopt) v.set_number(t->dport);
}
void fd_lport(const EvalContext& c, const Extractor&, FieldValue& v) {
  auto f = fd_of(c);
  if (auto t = f ? tuple_of(*f) : std::nullopt) v.set_number(is_server(c, *f) ? t->dport : t->sport);
}

const std::map<std::string_view, ExtractFn>& table() {
  static const std::map<std::string_view, ExtractFn> t = {
      {"evt.type", evt_type},         {"evt.num", evt_num},           {"evt.rawtime", evt_rawtime},
      {"evt.rawtime.s", evt_rawtime_s}, {"evt.rawtime.ns", evt_rawtime_ns}, {"evt.dir", evt_dir},
      {"evt.category", evt_category}, {"evt.source", evt_source},     {"evt.is_async", evt_is_async},
      {"syscall.type", syscall_type}, {"evt.res", evt_res},           {"evt.rawres", evt_rawres},
      {"evt.failed", evt_failed},     {"evt.arg", evt_arg},           {"evt.rawarg", evt_rawarg},
      {"evt.args", evt_args},         {"evt.count", evt_count},       {"evt.count.exit", evt_count},
      {"evt.is_io", evt_is_io},       {"proc.pid", proc_pid},         {"thread.tid", thread_tid},
      {"thread.ismain", thread_ismain}, {"evt.is_open_read", evt_is_open_read},
      {"evt.is_open_write", evt_is_open_write}, {"evt.is_open_exec", evt_is_open_exec},
      // state fields (need EvalContext::threads)
      {"proc.name", proc_name},       {"proc.exepath", proc_exepath}, {"proc.cwd", proc_cwd},
      {"proc.args", proc_args},       {"proc.cmdline", proc_cmdline}, {"proc.ppid", proc_ppid},
      {"proc.tty", proc_tty},         {"proc.pname", proc_pname},     {"proc.aname", proc_aname},
      {"user.uid", user_uid},         {"user.name", user_name},       {"user.loginuid", user_loginuid},
      {"container.id", container_id}, {"fd.num", fd_num},             {"fd.name", fd_name},
      {"fd.typechar", fd_typechar},   {"fd.directory", fd_directory}, {"fd.filename", fd_filename},
      {"fd.l4proto", fd_l4proto},     {"fd.is_server", fd_is_server}, {"fd.sip", fd_sip},
      {"fd.rip", fd_rip},             {"fd.ip", fd_ip},               {"fd.sport", fd_sport},
      {"fd.lport", fd_lport},
  };
  return t;
}

}  // namespace

bool has_extractor(std::string_view field_name) { return table().count(field_name) > 0; }

std::optional<Extractor> make_extractor(const FieldLookup& field) {
  auto it = table().find(field.info->name);
  if (it == table().end()) return std::nullopt;
  return Extractor{it->second, field.arg.value_or(""), field.info->name};
}

}  // namespace kestrel::engine::reference
