// Schematized syscall points (syscall.proto): one converter per message.
// Each picks the event row from the message's sysno among the rows that
// message can describe, then writes that row's params in table order.
#include "gvisor/convert.h"
#include "gvisor/proto/syscall.pb.h"

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
#define KESTREL_BEGIN(type)                           \
  if (!e.wants(type)) return e.skip();                \
  GvisorContext ctx = context_of(m);                  \
  EventBuilder b = Emitter::builder(type, ctx)

}  // namespace

void convert(const syscall::Open& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_OPEN, KE_OPENAT, KE_CREAT}, KE_OPENAT);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  if (type == KE_OPENAT) b.add_int(m.fd());
  add_clamped(b, m.pathname());
  if (type != KE_CREAT) b.add_int(m.flags());
  b.add_int(m.mode()).add_empty().add_empty();  // dev, ino: not in the point
  e.emit(b, ctx);
}

void convert(const syscall::Close& m, Emitter& e) {
  KESTREL_BEGIN(KE_CLOSE);
  add_result(b, result_of(m));
  b.add_int(m.fd());
  e.emit(b, ctx);
}

namespace {
template <typename Msg>
void io_event(const Msg& m, Emitter& e, uint16_t type) {
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  b.add_int(m.fd()).add_int(static_cast<int64_t>(m.count())).add_empty();  // data: never in the point
  if (event_info(type).params.size() > 4) {
    if (m.has_offset()) b.add_int(m.offset());
    else b.add_empty();
  }
  e.emit(b, ctx);
}
}  // namespace

void convert(const syscall::Read& m, Emitter& e) {
  io_event(m, e, pick_event(m.sysno(), {KE_READ, KE_PREAD64, KE_READV, KE_PREADV}, KE_READ));
}

void convert(const syscall::Write& m, Emitter& e) {
  io_event(m, e, pick_event(m.sysno(), {KE_WRITE, KE_PWRITE64, KE_WRITEV, KE_PWRITEV}, KE_WRITE));
}

void convert(const syscall::Connect& m, Emitter& e) {
  KESTREL_BEGIN(KE_CONNECT);
  add_result(b, result_of(m));
  b.add_int(m.fd());
  add_tuple(b, bytes_of(m.address()), /*remote_is_server=*/true);
  add_sockaddr(b, bytes_of(m.address()));
  e.emit(b, ctx);
}

void convert(const syscall::Execve& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_EXECVE, KE_EXECVEAT}, KE_EXECVE);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  ProcessBlock p;
  p.exe = m.argv_size() > 0 ? std::string_view(m.argv(0)) : std::string_view(m.pathname());
  p.argv = &m.argv();
  p.env = m.envv_size() > 0 ? &m.envv() : nullptr;
  // Only a successful exec renames the task.
  if (m.has_exit() && m.exit().errorno() == 0) p.comm = comm_of(m.pathname());
  p.tid = ctx.tid;
  p.pid = ctx.tgid;
  p.start_ts = ctx.group_start_ns > 0 ? static_cast<uint64_t>(ctx.group_start_ns) : 0;
  add_process_block(b, p, ctx, e.limits());
  if (type == KE_EXECVEAT) {
    b.add_int(m.fd());
    add_clamped(b, m.pathname());
    b.add_int(m.flags());
  }
  e.emit(b, ctx);
}

void convert(const syscall::Socket& m, Emitter& e) {
  KESTREL_BEGIN(KE_SOCKET);
  add_result(b, result_of(m));
  b.add_int(static_cast<uint32_t>(m.domain())).add_int(static_cast<uint32_t>(m.type()));
  b.add_int(static_cast<uint32_t>(m.protocol()));
  e.emit(b, ctx);
}

void convert(const syscall::Chdir& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_CHDIR, KE_FCHDIR}, KE_CHDIR);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  if (type == KE_FCHDIR) b.add_int(m.fd());
  else add_clamped(b, m.pathname());
  e.emit(b, ctx);
}

void convert(const syscall::Setid& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_SETUID, KE_SETGID, KE_SETSID}, KE_SETUID);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  if (type != KE_SETSID) b.add_int(m.id());
  e.emit(b, ctx);
}

void convert(const syscall::Setresid& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_SETRESUID, KE_SETRESGID}, KE_SETRESUID);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  b.add_int(m.rid()).add_int(m.eid()).add_int(m.sid());
  e.emit(b, ctx);
}

void convert(const syscall::Prlimit& m, Emitter& e) {
  KESTREL_BEGIN(KE_PRLIMIT64);
  add_result(b, result_of(m));
  b.add_int(m.pid()).add_int(m.resource());
  if (m.has_new_limit()) b.add_int(static_cast<int64_t>(m.new_limit().cur())).add_int(static_cast<int64_t>(m.new_limit().max()));
  else b.add_empty().add_empty();
  if (m.has_old_limit()) b.add_int(static_cast<int64_t>(m.old_limit().cur())).add_int(static_cast<int64_t>(m.old_limit().max()));
  else b.add_empty().add_empty();
  e.emit(b, ctx);
}

void convert(const syscall::Pipe& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_PIPE, KE_PIPE2}, KE_PIPE2);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  b.add_int(m.reader()).add_int(m.writer()).add_empty();  // ino: not in the point
  if (type == KE_PIPE2) b.add_int(m.flags());
  e.emit(b, ctx);
}

void convert(const syscall::Fcntl& m, Emitter& e) {
  KESTREL_BEGIN(KE_FCNTL);
  add_result(b, result_of(m));
  b.add_int(m.fd()).add_int(static_cast<uint32_t>(m.cmd()));
  e.emit(b, ctx);
}

void convert(const syscall::Dup& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_DUP, KE_DUP2, KE_DUP3}, KE_DUP);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  b.add_int(m.old_fd());
  if (type != KE_DUP) b.add_int(m.new_fd());
  if (type == KE_DUP3) b.add_int(m.flags());
  e.emit(b, ctx);
}

void convert(const syscall::Signalfd& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_SIGNALFD, KE_SIGNALFD4}, KE_SIGNALFD4);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  b.add_int(m.fd()).add_int(static_cast<int64_t>(m.sigset()));
  if (type == KE_SIGNALFD4) b.add_int(static_cast<uint32_t>(m.flags()));
  e.emit(b, ctx);
}

void convert(const syscall::Chroot& m, Emitter& e) {
  KESTREL_BEGIN(KE_CHROOT);
  add_result(b, result_of(m));
  add_clamped(b, m.pathname());
  e.emit(b, ctx);
}

void convert(const syscall::Eventfd& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_EVENTFD, KE_EVENTFD2}, KE_EVENTFD2);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  b.add_int(static_cast<uint32_t>(m.val()));
  if (type == KE_EVENTFD2) b.add_int(m.flags());
  e.emit(b, ctx);
}

void convert(const syscall::Clone& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_CLONE, KE_CLONE3}, KE_CLONE);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  ProcessBlock p;
  p.tid = ctx.tid;
  p.pid = ctx.tgid;
  add_process_block(b, p, ctx, e.limits());
  b.add_int(static_cast<int64_t>(m.flags() & 0xffffffffu));
  e.emit(b, ctx);
}

void convert(const syscall::Fork& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_FORK, KE_VFORK}, KE_FORK);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  ProcessBlock p;
  p.tid = ctx.tid;
  p.pid = ctx.tgid;
  add_process_block(b, p, ctx, e.limits());
  e.emit(b, ctx);
}

void convert(const syscall::Bind& m, Emitter& e) {
  KESTREL_BEGIN(KE_BIND);
  add_result(b, result_of(m));
  b.add_int(m.fd());
  add_sockaddr(b, bytes_of(m.address()));
  e.emit(b, ctx);
}

void convert(const syscall::Accept& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_ACCEPT, KE_ACCEPT4}, KE_ACCEPT4);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  add_tuple(b, bytes_of(m.address()), /*remote_is_server=*/false);
  b.add_int(m.fd());
  if (type == KE_ACCEPT4) b.add_int(static_cast<uint32_t>(m.flags()));
  e.emit(b, ctx);
}

void convert(const syscall::TimerfdCreate& m, Emitter& e) {
  KESTREL_BEGIN(KE_TIMERFD_CREATE);
  add_result(b, result_of(m));
  b.add_int(static_cast<uint32_t>(m.clock_id())).add_int(static_cast<uint32_t>(m.flags()));
  e.emit(b, ctx);
}

void convert(const syscall::TimerfdSetTime& m, Emitter& e) {
  KESTREL_BEGIN(KE_TIMERFD_SETTIME);
  add_result(b, result_of(m));
  b.add_int(m.fd()).add_int(static_cast<uint32_t>(m.flags()));
  if (m.has_new_value()) {
    b.add_int(static_cast<int64_t>(itimer_ns(m.new_value().interval())));
    b.add_int(static_cast<int64_t>(itimer_ns(m.new_value().value())));
  } else {
    b.add_empty().add_empty();
  }
  e.emit(b, ctx);
}

void convert(const syscall::TimerfdGetTime& m, Emitter& e) {
  KESTREL_BEGIN(KE_TIMERFD_GETTIME);
  add_result(b, result_of(m));
  b.add_int(m.fd());
  if (m.has_cur_value()) {
    b.add_int(static_cast<int64_t>(itimer_ns(m.cur_value().interval())));
    b.add_int(static_cast<int64_t>(itimer_ns(m.cur_value().value())));
  } else {
    b.add_empty().add_empty();
  }
  e.emit(b, ctx);
}

void convert(const syscall::InotifyInit& m, Emitter& e) {
  uint16_t type = pick_event(m.sysno(), {KE_INOTIFY_INIT, KE_INOTIFY_INIT1}, KE_INOTIFY_INIT1);
  KESTREL_BEGIN(type);
  add_result(b, result_of(m));
  if (type == KE_INOTIFY_INIT1) b.add_int(static_cast<uint32_t>(m.flags()));
  e.emit(b, ctx);
}

void convert(const syscall::InotifyAddWatch& m, Emitter& e) {
  KESTREL_BEGIN(KE_INOTIFY_ADD_WATCH);
  add_result(b, result_of(m));
  b.add_int(m.fd());
  add_clamped(b, m.pathname());
  b.add_int(m.mask());
  e.emit(b, ctx);
}

void convert(const syscall::InotifyRmWatch& m, Emitter& e) {
  KESTREL_BEGIN(KE_INOTIFY_RM_WATCH);
  add_result(b, result_of(m));
  b.add_int(m.fd()).add_int(m.wd());
  e.emit(b, ctx);
}

void convert(const syscall::SocketPair& m, Emitter& e) {
  KESTREL_BEGIN(KE_SOCKETPAIR);
  add_result(b, result_of(m));
  b.add_int(m.socket1()).add_int(m.socket2());
  b.add_int(static_cast<uint32_t>(m.domain())).add_int(static_cast<uint32_t>(m.type()));
  b.add_int(static_cast<uint32_t>(m.protocol()));
  e.emit(b, ctx);
}

// Newer gVisor's schematized mmap: the same params as the raw point, from
// named fields. The Sentry's sysno cannot pick another row.
void convert(const syscall::Mmap& m, Emitter& e) {
  KESTREL_BEGIN(KE_MMAP);
  add_result(b, result_of(m));
  b.add_int(static_cast<int64_t>(m.addr())).add_int(static_cast<int64_t>(m.length()));
  b.add_int(m.prot()).add_int(m.flags()).add_int(m.fd()).add_int(m.offset());
  e.emit(b, ctx);
}

// Newer gVisor's ptrace: request and pid; addr and data are not sent.
void convert(const syscall::Ptrace& m, Emitter& e) {
  KESTREL_BEGIN(KE_PTRACE);
  add_result(b, result_of(m));
  b.add_int(static_cast<int32_t>(m.request())).add_int(m.pid());
  b.add_empty().add_empty();
  e.emit(b, ctx);
}

}  // namespace kestrel::gvisor
