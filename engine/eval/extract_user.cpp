// user.*, group.* and thread.* extractors.
//
// user.uid/group.gid are the effective ids, as Falco's (its drivers send
// euid/egid for the thread's user). Names come from the host's passwd and
// group databases; inside a gVisor sandbox (domain != 0) from the
// sandbox's own /etc/passwd and /etc/group (UserNames::for_domain), never
// the host's: missing when its source could not read them.
#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

V missing() { return V{}; }

// Linux capability numbers (linux/capability.h), Falco's names.
constexpr std::string_view kCapNames[] = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",         "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",      "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",          "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

V caps(const ThreadInfo* t, uint64_t ThreadInfo::*member, Scratch& s) {
  if (t == nullptr) return missing();
  uint64_t mask = t->*member;
  s.text.clear();
  for (size_t bit = 0; bit < std::size(kCapNames); ++bit) {
    if ((mask >> bit) & 1) {
      if (!s.text.empty()) s.text.push_back(' ');
      s.text.append(kCapNames[bit]);
    }
  }
  return V::string(s.text);
}

V thread_tid(ExtractContext& c, const FieldRef&, Scratch&) { return V::int64(c.view().tid()); }
V thread_ismain(ExtractContext& c, const FieldRef&, Scratch&) {
  return V::boolean(c.view().tid() == c.view().tgid());
}
V thread_vtid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  return t ? V::int64(t->vtid) : missing();
}
V thread_nametid(ExtractContext& c, const FieldRef&, Scratch& s) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr) return missing();
  s.text = t->comm + std::to_string(t->tid);
  return V::string(s.text);
}
V cap_effective(ExtractContext& c, const FieldRef&, Scratch& s) {
  return caps(c.thread(), &ThreadInfo::cap_effective, s);
}
V cap_permitted(ExtractContext& c, const FieldRef&, Scratch& s) {
  return caps(c.thread(), &ThreadInfo::cap_permitted, s);
}
V cap_inheritable(ExtractContext& c, const FieldRef&, Scratch& s) {
  return caps(c.thread(), &ThreadInfo::cap_inheritable, s);
}

V user_uid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  return t ? V::uint64(t->euid) : missing();
}
V name_or_missing(const std::string* s) { return s ? V::string(*s) : V{}; }
V user_name(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  UserNames* users = t ? c.env().users.for_domain(c.event().domain) : nullptr;
  return users ? name_or_missing(users->user_name(t->euid)) : missing();
}
V user_homedir(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  UserNames* users = t ? c.env().users.for_domain(c.event().domain) : nullptr;
  return users ? name_or_missing(users->user_home(t->euid)) : missing();
}
V user_shell(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  UserNames* users = t ? c.env().users.for_domain(c.event().domain) : nullptr;
  return users ? name_or_missing(users->user_shell(t->euid)) : missing();
}
// -1 when unset, as Falco.
V user_loginuid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr) return missing();
  return V::int64(t->loginuid == UINT32_MAX ? -1 : static_cast<int64_t>(t->loginuid));
}
V user_loginname(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr || t->loginuid == UINT32_MAX) return missing();
  UserNames* users = c.env().users.for_domain(c.event().domain);
  return users ? name_or_missing(users->user_name(t->loginuid)) : missing();
}
V group_gid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  return t ? V::uint64(t->egid) : missing();
}
V group_name(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  UserNames* users = t ? c.env().users.for_domain(c.event().domain) : nullptr;
  return users ? name_or_missing(users->group_name(t->egid)) : missing();
}

// The field table: one row per field, its extractor beside its metadata
// (kNotFilled: a field rules may name that Kestrel does not fill yet).
using T = FieldType;
using A = FieldArg;
constexpr bool Y = true;
constexpr bool N = false;

constexpr FieldInfo kThreadFields[] = {
    {"thread.tid", T::kInt64, A::kNone, N, N, thread_tid, "id of the thread"},
    {"thread.ismain", T::kBool, A::kNone, N, N, thread_ismain, "true if the thread is the process's main thread"},
    {"thread.vtid", T::kInt64, A::kNone, N, N, thread_vtid, "id of the thread in its pid namespace"},
    {"thread.exectime", T::kRelTime, A::kNone, N, N, kNotFilled, "CPU time of the last scheduled thread"},
    {"thread.totexectime", T::kRelTime, A::kNone, N, N, kNotFilled, "total CPU time of the thread"},
    {"thread.cgroups", T::kString, A::kNone, N, N, kNotFilled, "all cgroups of the thread"},
    {"thread.cgroup", T::kString, A::kKey, Y, N, kNotFilled, "cgroup of the thread for a subsystem"},
    {"thread.nametid", T::kString, A::kNone, N, N, thread_nametid, "name and tid of the thread"},
    {"thread.cap_permitted", T::kString, A::kNone, N, N, cap_permitted, "permitted capabilities"},
    {"thread.cap_inheritable", T::kString, A::kNone, N, N, cap_inheritable, "inheritable capabilities"},
    {"thread.cap_effective", T::kString, A::kNone, N, N, cap_effective, "effective capabilities"},
    {"thread.cpu", T::kDouble, A::kNone, N, N, kNotFilled, "CPU consumed by the thread"},
    {"thread.cpu.user", T::kDouble, A::kNone, N, N, kNotFilled, "user CPU consumed by the thread"},
    {"thread.cpu.system", T::kDouble, A::kNone, N, N, kNotFilled, "system CPU consumed by the thread"},
    {"thread.vmsize", T::kUint64, A::kNone, N, N, kNotFilled, "virtual memory of the thread's process (kb)"},
    {"thread.vmrss", T::kUint64, A::kNone, N, N, kNotFilled, "resident memory of the thread's process (kb)"},
};
constexpr FieldSet kThreadSet{"thread", "thread fields", kThreadFields};

constexpr FieldInfo kUserFields[] = {
    {"user.uid", T::kUint64, A::kNone, N, N, user_uid, "user id"},
    {"user.name", T::kString, A::kNone, N, N, user_name, "user name"},
    {"user.homedir", T::kString, A::kNone, N, N, user_homedir, "home directory of the user"},
    {"user.shell", T::kString, A::kNone, N, N, user_shell, "shell of the user"},
    {"user.loginuid", T::kInt64, A::kNone, N, N, user_loginuid, "audit user id (-1 if none)"},
    {"user.loginname", T::kString, A::kNone, N, N, user_loginname, "audit user name"},
    {"group.gid", T::kUint64, A::kNone, N, N, group_gid, "group id"},
    {"group.name", T::kString, A::kNone, N, N, group_name, "group name"},
};
constexpr FieldSet kUserSet{"user", "user and group fields", kUserFields};

}  // namespace

const FieldSet& thread_field_set() { return kThreadSet; }
const FieldSet& user_field_set() { return kUserSet; }

}  // namespace kestrel::engine::eval
