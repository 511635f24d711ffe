// Raw syscall points (syscall/sysno/N/{enter,exit}): only a number and six
// integer arguments. Where Kestrel has a row whose params are all integers
// the raw arguments map onto (listen, ptrace, mmap, kill, ...), the point
// becomes that event; anything else becomes the generic `syscall` event.
// Pointer arguments are never followed: they point into the sandbox.
#include <array>

#include "gvisor/convert.h"
#include "gvisor/proto/syscall.pb.h"
#include "gvisor/sysno_map.h"

namespace kestrel::gvisor {

namespace {

// Where each param comes from, by name: 'r' the result, '0'-'5' the raw
// argument, '-' empty. Params of the row missing here are a mismatch the
// builder reports.
struct RawParam {
  const char* name;
  char from;
};
struct RawRow {
  uint16_t type;
  RawParam params[7];  // up to the row's count; the rest has name nullptr
};
constexpr RawRow kRawRows[] = {
    {KE_LISTEN, {{"res", 'r'}, {"fd", '0'}, {"backlog", '1'}, {"addr", '-'}}},
    {KE_PTRACE, {{"res", 'r'}, {"request", '0'}, {"pid", '1'}, {"addr", '2'}, {"data", '3'}}},
    {KE_MMAP,
     {{"res", 'r'}, {"addr", '0'}, {"length", '1'}, {"prot", '2'}, {"flags", '3'}, {"fd", '4'}, {"offset", '5'}}},
    {KE_MPROTECT, {{"res", 'r'}, {"addr", '0'}, {"length", '1'}, {"prot", '2'}}},
    {KE_KILL, {{"res", 'r'}, {"pid", '0'}, {"sig", '1'}}},
    {KE_TKILL, {{"res", 'r'}, {"tid", '0'}, {"sig", '1'}}},
    {KE_TGKILL, {{"res", 'r'}, {"pid", '0'}, {"tid", '1'}, {"sig", '2'}}},
    {KE_SETUID, {{"res", 'r'}, {"uid", '0'}}},
    {KE_SETGID, {{"res", 'r'}, {"gid", '0'}}},
    {KE_SETREUID, {{"res", 'r'}, {"ruid", '0'}, {"euid", '1'}}},
    {KE_SETREGID, {{"res", 'r'}, {"rgid", '0'}, {"egid", '1'}}},
    {KE_SETRESUID, {{"res", 'r'}, {"ruid", '0'}, {"euid", '1'}, {"suid", '2'}}},
    {KE_SETRESGID, {{"res", 'r'}, {"rgid", '0'}, {"egid", '1'}, {"sgid", '2'}}},
    {KE_SETSID, {{"res", 'r'}}},
    {KE_UNSHARE, {{"res", 'r'}, {"flags", '0'}}},
    {KE_SETNS, {{"res", 'r'}, {"fd", '0'}, {"nstype", '1'}}},
    {KE_BPF, {{"fd", 'r'}, {"cmd", '0'}}},
    {KE_USERFAULTFD, {{"res", 'r'}, {"flags", '0'}}},
    {KE_FCHMOD, {{"res", 'r'}, {"fd", '0'}, {"mode", '1'}}},
    {KE_PRCTL, {{"res", 'r'}, {"option", '0'}, {"arg2_str", '-'}, {"arg2_int", '1'}}},
    {KE_CLOSE, {{"res", 'r'}, {"fd", '0'}}},
    {KE_DUP, {{"res", 'r'}, {"oldfd", '0'}}},
    {KE_DUP2, {{"res", 'r'}, {"oldfd", '0'}, {"newfd", '1'}}},
    {KE_DUP3, {{"res", 'r'}, {"oldfd", '0'}, {"newfd", '1'}, {"flags", '2'}}},
    {KE_FCNTL, {{"res", 'r'}, {"fd", '0'}, {"cmd", '1'}}},
    {KE_SOCKET, {{"fd", 'r'}, {"domain", '0'}, {"type", '1'}, {"proto", '2'}}},
    {KE_FCHDIR, {{"res", 'r'}, {"fd", '0'}}},
    {KE_EVENTFD, {{"res", 'r'}, {"initval", '0'}}},
    {KE_EVENTFD2, {{"res", 'r'}, {"initval", '0'}, {"flags", '1'}}},
    {KE_TIMERFD_CREATE, {{"res", 'r'}, {"clockid", '0'}, {"flags", '1'}}},
    {KE_INOTIFY_INIT, {{"res", 'r'}}},
    {KE_INOTIFY_INIT1, {{"res", 'r'}, {"flags", '0'}}},
    {KE_INOTIFY_RM_WATCH, {{"res", 'r'}, {"fd", '0'}, {"wd", '1'}}},
};

const RawParam* raw_params(uint16_t type) {
  for (const RawRow& r : kRawRows)
    if (r.type == type) return r.params;
  return nullptr;
}

}  // namespace

bool raw_convertible(uint16_t type) { return raw_params(type) != nullptr; }

void convert(const syscall::Syscall& m, Emitter& e) {
  std::optional<int64_t> res = syscall_result(m.has_exit(), m.exit());
  uint16_t type = SysnoMap::native().event_for(m.sysno());
  const RawParam* params = type != KE_NONE ? raw_params(type) : nullptr;
  GvisorContext ctx = context_of(m);
  if (params == nullptr) {
    if (!e.wants(KE_SYSCALL)) return e.skip();
    EventBuilder& b = e.begin(KE_SYSCALL, ctx);
    b.put_int(KPARAM(SYSCALL, id), static_cast<int64_t>(m.sysno() & 0xffffffffu));
    put_result(b, KPARAM(SYSCALL, res), res);
    b.put_empty(KPARAM(SYSCALL, fd));
    return e.emit(b, ctx);
  }
  if (!e.wants(type)) return e.skip();
  const std::array<uint64_t, 6> args = {m.arg1(), m.arg2(), m.arg3(), m.arg4(), m.arg5(), m.arg6()};
  EventBuilder& b = e.begin(type, ctx);
  for (const RawParam* p = params; p < params + 7 && p->name != nullptr; ++p) {
    if (p->from == 'r')
      put_result(b, p->name, res);
    else if (p->from == '-')
      b.put_empty(p->name);
    else
      b.put_int(p->name, static_cast<int64_t>(args[static_cast<size_t>(p->from - '0')]));
  }
  e.emit(b, ctx);
}

}  // namespace kestrel::gvisor
