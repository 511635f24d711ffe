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

// Param sources, one char per param in table order: 'r' the result, '0'-'5'
// the raw argument, '-' empty.
struct RawRow {
  uint16_t type;
  const char* params;
};
constexpr RawRow kRawRows[] = {
    {KE_LISTEN, "r01"},       {KE_PTRACE, "r0123"},    {KE_MMAP, "r012345"},    {KE_MPROTECT, "r012"},
    {KE_KILL, "r01"},         {KE_TKILL, "r01"},       {KE_TGKILL, "r012"},     {KE_SETUID, "r0"},
    {KE_SETGID, "r0"},        {KE_SETREUID, "r01"},    {KE_SETREGID, "r01"},    {KE_SETRESUID, "r012"},
    {KE_SETRESGID, "r012"},   {KE_SETSID, "r"},        {KE_UNSHARE, "r0"},      {KE_SETNS, "r01"},
    {KE_BPF, "r0"},           {KE_USERFAULTFD, "r0"},  {KE_FCHMOD, "r01"},      {KE_PRCTL, "r0-1"},
    {KE_CLOSE, "r0"},         {KE_DUP, "r0"},          {KE_DUP2, "r01"},        {KE_DUP3, "r012"},
    {KE_FCNTL, "r01"},        {KE_SOCKET, "r012"},     {KE_FCHDIR, "r0"},       {KE_EVENTFD, "r0"},
    {KE_EVENTFD2, "r01"},     {KE_TIMERFD_CREATE, "r01"}, {KE_INOTIFY_INIT, "r"}, {KE_INOTIFY_INIT1, "r0"},
    {KE_INOTIFY_RM_WATCH, "r01"},
};

const char* raw_params(uint16_t type) {
  for (const RawRow& r : kRawRows)
    if (r.type == type) return r.params;
  return nullptr;
}

}  // namespace

bool raw_convertible(uint16_t type) { return raw_params(type) != nullptr; }

void convert(const syscall::Syscall& m, Emitter& e) {
  std::optional<int64_t> res = syscall_result(m.has_exit(), m.exit());
  uint16_t type = SysnoMap::native().event_for(m.sysno());
  const char* params = type != KE_NONE ? raw_params(type) : nullptr;
  GvisorContext ctx = context_of(m);
  if (params == nullptr) {
    if (!e.wants(KE_SYSCALL)) return e.skip();
    EventBuilder b = Emitter::builder(KE_SYSCALL, ctx);
    b.add_int(static_cast<int64_t>(m.sysno() & 0xffffffffu));
    add_result(b, res);
    return e.emit(b, ctx);
  }
  if (!e.wants(type)) return e.skip();
  const std::array<uint64_t, 6> args = {m.arg1(), m.arg2(), m.arg3(), m.arg4(), m.arg5(), m.arg6()};
  EventBuilder b = Emitter::builder(type, ctx);
  for (const char* p = params; *p; ++p) {
    if (*p == 'r') add_result(b, res);
    else if (*p == '-') b.add_empty();
    else b.add_int(static_cast<int64_t>(args[static_cast<size_t>(*p - '0')]));
  }
  e.emit(b, ctx);
}

}  // namespace kestrel::gvisor
