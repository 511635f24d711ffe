// user.*, group.*, thread.* and container.* extractors.
//
// user.uid/group.gid are the effective ids, as Falco's (its drivers send
// euid/egid for the thread's user). Names come from the host's passwd and
// group databases; inside a gVisor sandbox (domain != 0) the host's
// databases say nothing about the sandbox's users, so names are missing.
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
  if (t == nullptr || c.event().domain != kHostDomain) return missing();
  return name_or_missing(c.env().users.user_name(t->euid));
}
V user_homedir(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr || c.event().domain != kHostDomain) return missing();
  return name_or_missing(c.env().users.user_home(t->euid));
}
V user_shell(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr || c.event().domain != kHostDomain) return missing();
  return name_or_missing(c.env().users.user_shell(t->euid));
}
// -1 when unset, as Falco.
V user_loginuid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr) return missing();
  return V::int64(t->loginuid == UINT32_MAX ? -1 : static_cast<int64_t>(t->loginuid));
}
V user_loginname(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr || t->loginuid == UINT32_MAX || c.event().domain != kHostDomain) return missing();
  return name_or_missing(c.env().users.user_name(t->loginuid));
}
V group_gid(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  return t ? V::uint64(t->egid) : missing();
}
V group_name(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr || c.event().domain != kHostDomain) return missing();
  return name_or_missing(c.env().users.group_name(t->egid));
}

// container.id: the 12-char id, "host" outside containers (Falco).
V container_id(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr) return missing();
  return V::string(t->container_id.empty() ? std::string_view("host") : std::string_view(t->container_id));
}
V container_full_id(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr) return missing();
  if (!t->container_full_id.empty()) return V::string(t->container_full_id);
  return V::string(t->container_id.empty() ? std::string_view("host") : std::string_view(t->container_id));
}
// Events from a gVisor sandbox are "gvisor" containers whatever the
// sandbox's cgroup says; on the host, what the cgroup path told the table.
V container_type(ExtractContext& c, const FieldRef&, Scratch&) {
  if (c.event().domain != kHostDomain) return V::string("gvisor");
  const ThreadInfo* t = c.thread();
  if (t == nullptr || t->container_type.empty()) return missing();
  return V::string(t->container_type);
}

constexpr ExtractorEntry kEntries[] = {
    {"thread.tid", thread_tid},
    {"thread.ismain", thread_ismain},
    {"thread.vtid", thread_vtid},
    {"thread.nametid", thread_nametid},
    {"thread.cap_effective", cap_effective},
    {"thread.cap_permitted", cap_permitted},
    {"thread.cap_inheritable", cap_inheritable},
    {"user.uid", user_uid},
    {"user.name", user_name},
    {"user.homedir", user_homedir},
    {"user.shell", user_shell},
    {"user.loginuid", user_loginuid},
    {"user.loginname", user_loginname},
    {"group.gid", group_gid},
    {"group.name", group_name},
    {"container.id", container_id},
    {"container.full_id", container_full_id},
    {"container.type", container_type},
};

}  // namespace

std::span<const ExtractorEntry> user_extractors() { return kEntries; }

}  // namespace kestrel::engine::eval
