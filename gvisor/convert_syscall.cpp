// Schematized syscall points (syscall.proto): one converter per message.
// Each picks the event row from the message's sysno among the rows that
// message can describe (point_table.h), then writes that row's params by
// name; params only some of those rows carry are written when b.has() them.
#include "gvisor/convert.h"
#include "gvisor/proto/common.pb.h"
#include "gvisor/proto/syscall.pb.h"
#include "sources/event/process_block.h"

namespace kestrel::gvisor {

namespace {

template <typename Msg>
std::optional<int64_t> result_of(const Msg& m) {
  return syscall_result(m.has_exit(), m.exit());
}

uint64_t itimer_ns(const syscall::Timespec& t) {
  // Clamp instead of overflowing on hostile values.
  int64_t sec = std::clamp<int64_t>(t.sec(), 0, 1'000'000'000'000LL);
  int64_t nsec = std::clamp<int64_t>(t.nsec(), 0, 999'999'999LL);
  return static_cast<uint64_t>(sec) * 1'000'000'000ull + static_cast<uint64_t>(nsec);
}

// Starts a record of `type` when the filter wants it; otherwise counts it.
#define KESTREL_BEGIN(type)            \
  if (!e.wants(type)) return e.skip(); \
  GvisorContext ctx = context_of(m);   \
  EventBuilder& b = e.begin(type, ctx)

}  // namespace

void convert(const syscall::Open& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_OPEN);
  KESTREL_BEGIN(type);
  put_result(b, "fd", result_of(m));
  if (b.has("dirfd")) b.put_int("dirfd", m.fd());
  put_clamped(b, "name", m.pathname());
  if (b.has("flags")) b.put_int("flags", m.flags());
  b.put_int("mode", m.mode()).put_empty("dev").put_empty("ino");  // dev, ino: not in the point
  e.emit(b, ctx);
}

void convert(const syscall::Close& m, Emitter& e) {
  KESTREL_BEGIN(KE_CLOSE);
  put_result(b, KPARAM(CLOSE, res), result_of(m));
  b.put_int(KPARAM(CLOSE, fd), m.fd());
  e.emit(b, ctx);
}

namespace {
template <typename Msg>
void io_event(const Msg& m, Emitter& e, uint16_t type) {
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  b.put_int("fd", m.fd()).put_int("size", static_cast<int64_t>(m.count()));
  b.put_empty("data");  // never in the point
  if (b.has("pos")) {
    if (m.has_offset())
      b.put_int("pos", m.offset());
    else
      b.put_empty("pos");
  }
  e.emit(b, ctx);
}
}  // namespace

void convert(const syscall::Read& m, Emitter& e) {
  io_event(m, e, pick_event(m.sysno(), common::MESSAGE_SYSCALL_READ));
}

void convert(const syscall::Write& m, Emitter& e) {
  io_event(m, e, pick_event(m.sysno(), common::MESSAGE_SYSCALL_WRITE));
}

void convert(const syscall::Connect& m, Emitter& e) {
  KESTREL_BEGIN(KE_CONNECT);
  put_result(b, KPARAM(CONNECT, res), result_of(m));
  b.put_int(KPARAM(CONNECT, fd), m.fd());
  put_tuple(b, KPARAM(CONNECT, tuple), bytes_of(m.address()), /*remote_is_server=*/true);
  put_sockaddr(b, KPARAM(CONNECT, addr), bytes_of(m.address()));
  e.emit(b, ctx);
}

void convert(const syscall::Execve& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_EXECVE);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  ProcessBlock p;
  p.exe = m.argv_size() > 0 ? std::string_view(m.argv(0)) : std::string_view(m.pathname());
  p.argv = &m.argv();
  p.env = m.envv_size() > 0 ? &m.envv() : nullptr;
  // Only a successful exec renames the task.
  if (m.has_exit() && m.exit().errorno() == 0) p.comm = comm_of(m.pathname());
  p.tid = ctx.tid;
  p.pid = ctx.tgid;
  p.start_ts = ctx.group_start_ns > 0 ? static_cast<uint64_t>(ctx.group_start_ns) : 0;
  put_process_block(b, p, ctx, e.limits());
  if (b.has("dirfd")) {  // execveat
    b.put_int("dirfd", m.fd());
    put_clamped(b, "pathname", m.pathname());
    b.put_int("flags", m.flags());
  }
  put_exe_inode(b, {});  // the raw syscall point names no file facts
  e.emit(b, ctx);
}

void convert(const syscall::Socket& m, Emitter& e) {
  KESTREL_BEGIN(KE_SOCKET);
  put_result(b, KPARAM(SOCKET, fd), result_of(m));
  b.put_int(KPARAM(SOCKET, domain), static_cast<uint32_t>(m.domain()));
  b.put_int(KPARAM(SOCKET, type), static_cast<uint32_t>(m.type()));
  b.put_int(KPARAM(SOCKET, proto), static_cast<uint32_t>(m.protocol()));
  e.emit(b, ctx);
}

void convert(const syscall::Chdir& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_CHDIR);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  if (b.has("fd"))
    b.put_int("fd", m.fd());  // fchdir
  else
    put_clamped(b, "path", m.pathname());
  e.emit(b, ctx);
}

void convert(const syscall::Setid& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_SETID);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  if (b.has("uid")) b.put_int("uid", m.id());
  if (b.has("gid")) b.put_int("gid", m.id());  // setsid has neither
  e.emit(b, ctx);
}

void convert(const syscall::Setresid& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_SETRESID);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  if (type == KE_SETRESGID)
    b.put_int("rgid", m.rid()).put_int("egid", m.eid()).put_int("sgid", m.sid());
  else
    b.put_int("ruid", m.rid()).put_int("euid", m.eid()).put_int("suid", m.sid());
  e.emit(b, ctx);
}

void convert(const syscall::Prlimit& m, Emitter& e) {
  KESTREL_BEGIN(KE_PRLIMIT64);
  put_result(b, KPARAM(PRLIMIT64, res), result_of(m));
  b.put_int(KPARAM(PRLIMIT64, pid), m.pid()).put_int(KPARAM(PRLIMIT64, resource), m.resource());
  if (m.has_new_limit()) {
    b.put_int(KPARAM(PRLIMIT64, newcur), static_cast<int64_t>(m.new_limit().cur()));
    b.put_int(KPARAM(PRLIMIT64, newmax), static_cast<int64_t>(m.new_limit().max()));
  } else {
    b.put_empty(KPARAM(PRLIMIT64, newcur)).put_empty(KPARAM(PRLIMIT64, newmax));
  }
  if (m.has_old_limit()) {
    b.put_int(KPARAM(PRLIMIT64, oldcur), static_cast<int64_t>(m.old_limit().cur()));
    b.put_int(KPARAM(PRLIMIT64, oldmax), static_cast<int64_t>(m.old_limit().max()));
  } else {
    b.put_empty(KPARAM(PRLIMIT64, oldcur)).put_empty(KPARAM(PRLIMIT64, oldmax));
  }
  e.emit(b, ctx);
}

void convert(const syscall::Pipe& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_PIPE);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  b.put_int("fd1", m.reader()).put_int("fd2", m.writer()).put_empty("ino");  // ino: not in the point
  if (b.has("flags")) b.put_int("flags", m.flags());                         // pipe2
  e.emit(b, ctx);
}

void convert(const syscall::Fcntl& m, Emitter& e) {
  KESTREL_BEGIN(KE_FCNTL);
  put_result(b, KPARAM(FCNTL, res), result_of(m));
  b.put_int(KPARAM(FCNTL, fd), m.fd()).put_int(KPARAM(FCNTL, cmd), static_cast<uint32_t>(m.cmd()));
  e.emit(b, ctx);
}

void convert(const syscall::Dup& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_DUP);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  b.put_int("oldfd", m.old_fd());
  if (b.has("newfd")) b.put_int("newfd", m.new_fd());  // dup2, dup3
  if (b.has("flags")) b.put_int("flags", m.flags());   // dup3
  e.emit(b, ctx);
}

void convert(const syscall::Signalfd& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_SIGNALFD);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  b.put_int("fd", m.fd()).put_int("mask", static_cast<int64_t>(m.sigset()));
  if (b.has("flags")) b.put_int("flags", static_cast<uint32_t>(m.flags()));  // signalfd4
  e.emit(b, ctx);
}

void convert(const syscall::Chroot& m, Emitter& e) {
  KESTREL_BEGIN(KE_CHROOT);
  put_result(b, KPARAM(CHROOT, res), result_of(m));
  put_clamped(b, KPARAM(CHROOT, path), m.pathname());
  e.emit(b, ctx);
}

void convert(const syscall::Eventfd& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_EVENTFD);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  b.put_int("initval", static_cast<uint32_t>(m.val()));
  if (b.has("flags")) b.put_int("flags", m.flags());  // eventfd2
  e.emit(b, ctx);
}

void convert(const syscall::Clone& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_CLONE);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  ProcessBlock p;
  p.tid = ctx.tid;
  p.pid = ctx.tgid;
  put_process_block(b, p, ctx, e.limits());
  b.put_int("flags", static_cast<int64_t>(m.flags() & 0xffffffffu));
  e.emit(b, ctx);
}

void convert(const syscall::Fork& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_FORK);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  ProcessBlock p;
  p.tid = ctx.tid;
  p.pid = ctx.tgid;
  put_process_block(b, p, ctx, e.limits());
  e.emit(b, ctx);
}

void convert(const syscall::Bind& m, Emitter& e) {
  KESTREL_BEGIN(KE_BIND);
  put_result(b, KPARAM(BIND, res), result_of(m));
  b.put_int(KPARAM(BIND, fd), m.fd());
  put_sockaddr(b, KPARAM(BIND, addr), bytes_of(m.address()));
  e.emit(b, ctx);
}

void convert(const syscall::Accept& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_ACCEPT);
  KESTREL_BEGIN(type);
  put_result(b, "fd", result_of(m));
  put_tuple(b, "tuple", bytes_of(m.address()), /*remote_is_server=*/false);
  b.put_int("listen_fd", m.fd());
  if (b.has("flags")) b.put_int("flags", static_cast<uint32_t>(m.flags()));  // accept4
  e.emit(b, ctx);
}

void convert(const syscall::TimerfdCreate& m, Emitter& e) {
  KESTREL_BEGIN(KE_TIMERFD_CREATE);
  put_result(b, KPARAM(TIMERFD_CREATE, res), result_of(m));
  b.put_int(KPARAM(TIMERFD_CREATE, clockid), static_cast<uint32_t>(m.clock_id()));
  b.put_int(KPARAM(TIMERFD_CREATE, flags), static_cast<uint32_t>(m.flags()));
  e.emit(b, ctx);
}

void convert(const syscall::TimerfdSetTime& m, Emitter& e) {
  KESTREL_BEGIN(KE_TIMERFD_SETTIME);
  put_result(b, KPARAM(TIMERFD_SETTIME, res), result_of(m));
  b.put_int(KPARAM(TIMERFD_SETTIME, fd), m.fd());
  b.put_int(KPARAM(TIMERFD_SETTIME, flags), static_cast<uint32_t>(m.flags()));
  if (m.has_new_value()) {
    b.put_int(KPARAM(TIMERFD_SETTIME, interval), static_cast<int64_t>(itimer_ns(m.new_value().interval())));
    b.put_int(KPARAM(TIMERFD_SETTIME, value), static_cast<int64_t>(itimer_ns(m.new_value().value())));
  } else {
    b.put_empty(KPARAM(TIMERFD_SETTIME, interval)).put_empty(KPARAM(TIMERFD_SETTIME, value));
  }
  e.emit(b, ctx);
}

void convert(const syscall::TimerfdGetTime& m, Emitter& e) {
  KESTREL_BEGIN(KE_TIMERFD_GETTIME);
  put_result(b, KPARAM(TIMERFD_GETTIME, res), result_of(m));
  b.put_int(KPARAM(TIMERFD_GETTIME, fd), m.fd());
  if (m.has_cur_value()) {
    b.put_int(KPARAM(TIMERFD_GETTIME, interval), static_cast<int64_t>(itimer_ns(m.cur_value().interval())));
    b.put_int(KPARAM(TIMERFD_GETTIME, value), static_cast<int64_t>(itimer_ns(m.cur_value().value())));
  } else {
    b.put_empty(KPARAM(TIMERFD_GETTIME, interval)).put_empty(KPARAM(TIMERFD_GETTIME, value));
  }
  e.emit(b, ctx);
}

void convert(const syscall::InotifyInit& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), common::MESSAGE_SYSCALL_INOTIFY_INIT);
  KESTREL_BEGIN(type);
  put_result(b, "res", result_of(m));
  if (b.has("flags")) b.put_int("flags", static_cast<uint32_t>(m.flags()));  // inotify_init1
  e.emit(b, ctx);
}

void convert(const syscall::InotifyAddWatch& m, Emitter& e) {
  KESTREL_BEGIN(KE_INOTIFY_ADD_WATCH);
  put_result(b, KPARAM(INOTIFY_ADD_WATCH, res), result_of(m));
  b.put_int(KPARAM(INOTIFY_ADD_WATCH, fd), m.fd());
  put_clamped(b, KPARAM(INOTIFY_ADD_WATCH, path), m.pathname());
  b.put_int(KPARAM(INOTIFY_ADD_WATCH, mask), m.mask());
  e.emit(b, ctx);
}

void convert(const syscall::InotifyRmWatch& m, Emitter& e) {
  KESTREL_BEGIN(KE_INOTIFY_RM_WATCH);
  put_result(b, KPARAM(INOTIFY_RM_WATCH, res), result_of(m));
  b.put_int(KPARAM(INOTIFY_RM_WATCH, fd), m.fd()).put_int(KPARAM(INOTIFY_RM_WATCH, wd), m.wd());
  e.emit(b, ctx);
}

void convert(const syscall::SocketPair& m, Emitter& e) {
  KESTREL_BEGIN(KE_SOCKETPAIR);
  put_result(b, KPARAM(SOCKETPAIR, res), result_of(m));
  b.put_int(KPARAM(SOCKETPAIR, fd1), m.socket1()).put_int(KPARAM(SOCKETPAIR, fd2), m.socket2());
  b.put_int(KPARAM(SOCKETPAIR, domain), static_cast<uint32_t>(m.domain()));
  b.put_int(KPARAM(SOCKETPAIR, type), static_cast<uint32_t>(m.type()));
  b.put_int(KPARAM(SOCKETPAIR, proto), static_cast<uint32_t>(m.protocol()));
  e.emit(b, ctx);
}

// Newer gVisor's schematized mmap: the same params as the raw point, from
// named fields. The Sentry's sysno cannot pick another row.
void convert(const syscall::Mmap& m, Emitter& e) {
  KESTREL_BEGIN(KE_MMAP);
  put_result(b, KPARAM(MMAP, res), result_of(m));
  b.put_int(KPARAM(MMAP, addr), static_cast<int64_t>(m.addr()));
  b.put_int(KPARAM(MMAP, length), static_cast<int64_t>(m.length()));
  b.put_int(KPARAM(MMAP, prot), m.prot()).put_int(KPARAM(MMAP, flags), m.flags());
  b.put_int(KPARAM(MMAP, fd), m.fd()).put_int(KPARAM(MMAP, offset), m.offset());
  e.emit(b, ctx);
}

// Newer gVisor's ptrace: request and pid; addr and data are not sent.
void convert(const syscall::Ptrace& m, Emitter& e) {
  KESTREL_BEGIN(KE_PTRACE);
  put_result(b, KPARAM(PTRACE, res), result_of(m));
  b.put_int(KPARAM(PTRACE, request), static_cast<int32_t>(m.request())).put_int(KPARAM(PTRACE, pid), m.pid());
  b.put_empty(KPARAM(PTRACE, addr)).put_empty(KPARAM(PTRACE, data));
  e.emit(b, ctx);
}

// Newer gVisor. `address` is the socket's own (getsockname), so a listen
// whose bind was not seen still names its socket; socket_family/type are
// implied by the address and the fd table.
void convert(const syscall::Listen& m, Emitter& e) {
  KESTREL_BEGIN(KE_LISTEN);
  put_result(b, KPARAM(LISTEN, res), result_of(m));
  b.put_int(KPARAM(LISTEN, fd), m.fd()).put_int(KPARAM(LISTEN, backlog), m.backlog());
  put_sockaddr(b, KPARAM(LISTEN, addr), bytes_of(m.address()));
  e.emit(b, ctx);
}


}  // namespace kestrel::gvisor
