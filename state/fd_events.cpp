// fd_events.cpp — the StateUpdater's handlers for fd-creating and socket
// events (see state_updater.h for what each does).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <cerrno>

#include "sources/event/event_builder.h"
#include "sources/event/sockaddr.h"
#include "state/path_resolve.h"
#include "state/state_updater.h"

namespace kestrel {
namespace {

// Param index for one of two event types sharing a handler.
constexpr uint16_t pick(bool first, uint16_t a, uint16_t b) { return first ? a : b; }

// One bit tracks close-on-exec whatever flag namespace set it.
static_assert(SOCK_CLOEXEC == O_CLOEXEC, "SOCK_CLOEXEC is tracked as O_CLOEXEC");
static_assert(EFD_CLOEXEC == O_CLOEXEC && SFD_CLOEXEC == O_CLOEXEC && TFD_CLOEXEC == O_CLOEXEC &&
                  IN_CLOEXEC == O_CLOEXEC,
              "the *_CLOEXEC flags are tracked as O_CLOEXEC");

FdType socket_type(int64_t family) {
  switch (family) {
    case AF_INET: return FdType::kIpv4;
    case AF_INET6: return FdType::kIpv6;
    case AF_UNIX: return FdType::kUnix;
    case AF_NETLINK: return FdType::kNetlink;
    default: return FdType::kUnknown;
  }
}

uint8_t l4proto_for(int64_t family, int64_t sock_type, int64_t proto) {
  if (family != AF_INET && family != AF_INET6) return 0;
  if (proto != 0) return static_cast<uint8_t>(proto);
  switch (sock_type & 0xf) {
    case SOCK_STREAM: return IPPROTO_TCP;
    case SOCK_DGRAM: return IPPROTO_UDP;
    default: return 0;
  }
}

// EFD_CLOEXEC, SFD_CLOEXEC, TFD_CLOEXEC and IN_CLOEXEC are O_CLOEXEC's
// value (asserted above); keep just that bit.
uint32_t cloexec_bit(std::optional<uint64_t> flags) { return static_cast<uint32_t>(flags.value_or(0) & O_CLOEXEC); }

// Stores a decoded tuple and its text on `f`; the raw bytes are kept as
// the event carried them.
void set_tuple(FdInfo& f, std::span<const uint8_t> raw, const SockTuple& tuple) {
  f.tuple.assign(raw.begin(), raw.end());
  f.name = tuple.to_string();
}

// Names a bound (or listening) socket by its own address. The local end of
// a server is the server side of its future tuples (client -> server), so
// it carries 0.0.0.0:0 -> addr.
void name_bound_socket(FdInfo& f, const SockAddr& addr) {
  f.name = addr.to_string();
  static constexpr uint8_t kAny[16] = {};
  if (addr.family == KESTREL_AF_INET) {
    f.tuple = encode_tuple_in(kAny, 0, addr.ip.bytes.data(), addr.port);
  } else if (addr.family == KESTREL_AF_INET6) {
    f.tuple = encode_tuple_in6(kAny, 0, addr.ip.bytes.data(), addr.port);
  } else if (addr.family == KESTREL_AF_UNIX) {
    f.tuple = encode_tuple_un(0, 0, addr.path);
  }
}

}  // namespace

std::string StateUpdater::dirfd_path(const ThreadInfo& t, int64_t dirfd) {
  if (dirfd == AT_FDCWD) return t.cwd;
  const FdInfo* f = table_.fd(t.domain, t.pid, dirfd);
  if (f == nullptr) {
    ++stats_.unknown_fds;
    return {};
  }
  return f->name;
}

FdInfo& StateUpdater::fd_or_new(const ThreadInfo& t, int64_t fd, FdType type_if_new) {
  if (FdInfo* f = table_.fd(t.domain, t.pid, fd)) return *f;
  ++stats_.unknown_fds;
  FdInfo fresh;
  fresh.fd = fd;
  fresh.type = type_if_new;
  // put_fd only fails for an unknown process, and thread_for made it.
  return *table_.put_fd(t.domain, t.pid, std::move(fresh));
}

void StateUpdater::on_open(const EventView& ev, ThreadInfo& t) {
  int64_t fd = -1;
  int64_t dirfd = AT_FDCWD;
  uint32_t flags = 0;
  std::optional<std::string_view> path;
  std::optional<uint64_t> dev, ino;
  switch (ev.type()) {
    case KE_OPEN:
      fd = ev.param_int(KP_OPEN_fd).value_or(-1);
      path = ev.param_str(KP_OPEN_name);
      flags = static_cast<uint32_t>(ev.param_uint(KP_OPEN_flags).value_or(0));
      dev = ev.param_uint(KP_OPEN_dev), ino = ev.param_uint(KP_OPEN_ino);
      break;
    case KE_OPENAT:
      fd = ev.param_int(KP_OPENAT_fd).value_or(-1);
      dirfd = ev.param_int(KP_OPENAT_dirfd).value_or(AT_FDCWD);
      path = ev.param_str(KP_OPENAT_name);
      flags = static_cast<uint32_t>(ev.param_uint(KP_OPENAT_flags).value_or(0));
      dev = ev.param_uint(KP_OPENAT_dev), ino = ev.param_uint(KP_OPENAT_ino);
      break;
    case KE_OPENAT2:
      fd = ev.param_int(KP_OPENAT2_fd).value_or(-1);
      dirfd = ev.param_int(KP_OPENAT2_dirfd).value_or(AT_FDCWD);
      path = ev.param_str(KP_OPENAT2_name);
      flags = static_cast<uint32_t>(ev.param_uint(KP_OPENAT2_flags).value_or(0));
      dev = ev.param_uint(KP_OPENAT2_dev), ino = ev.param_uint(KP_OPENAT2_ino);
      break;
    case KE_CREAT:
      fd = ev.param_int(KP_CREAT_fd).value_or(-1);
      path = ev.param_str(KP_CREAT_name);
      flags = O_CREAT | O_WRONLY | O_TRUNC;
      dev = ev.param_uint(KP_CREAT_dev), ino = ev.param_uint(KP_CREAT_ino);
      break;
    default: return;
  }
  if (fd < 0) return;
  FdInfo f;
  f.fd = fd;
  f.type = (flags & O_DIRECTORY) ? FdType::kDirectory : FdType::kFile;
  f.open_flags = flags;
  if (path) {
    f.name_raw = *path;  // as libs' name_raw: the path as passed
    // An absolute path needs no base; do not count an unknown dirfd then.
    f.name = (!path->empty() && path->front() == '/') ? normalize_path(*path)
                                                      : resolve_path(dirfd_path(t, dirfd), *path);
  } else {
    ++stats_.missing_params;
  }
  f.dev = static_cast<uint32_t>(dev.value_or(0));
  f.ino = ino.value_or(0);
  table_.put_fd(t.domain, t.pid, std::move(f));
}

void StateUpdater::on_dup(const EventView& ev, ThreadInfo& t) {
  int64_t res = ev.param_int(0).value_or(-1);  // the new fd
  int64_t oldfd = -1;
  bool cloexec = false;
  switch (ev.type()) {
    case KE_DUP: oldfd = ev.param_int(KP_DUP_oldfd).value_or(-1); break;
    case KE_DUP2: oldfd = ev.param_int(KP_DUP2_oldfd).value_or(-1); break;
    case KE_DUP3:
      oldfd = ev.param_int(KP_DUP3_oldfd).value_or(-1);
      cloexec = ev.param_uint(KP_DUP3_flags).value_or(0) & O_CLOEXEC;
      break;
    case KE_FCNTL: {
      auto cmd = ev.param_int(KP_FCNTL_cmd).value_or(-1);
      if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) return;
      oldfd = ev.param_int(KP_FCNTL_fd).value_or(-1);
      cloexec = cmd == F_DUPFD_CLOEXEC;
      break;
    }
    default: return;
  }
  if (res < 0 || oldfd < 0 || res == oldfd) return;
  FdInfo copy;
  if (const FdInfo* old = table_.fd(t.domain, t.pid, oldfd)) {
    copy = *old;
  } else {
    ++stats_.unknown_fds;
  }
  copy.fd = res;
  copy.open_flags = cloexec ? (copy.open_flags | O_CLOEXEC) : (copy.open_flags & ~uint32_t{O_CLOEXEC});
  table_.put_fd(t.domain, t.pid, std::move(copy));  // replaces whatever res was
}

void StateUpdater::on_pipe_or_pair(const EventView& ev, ThreadInfo& t) {
  if (ev.param_int(0).value_or(-1) != 0) return;  // res
  FdInfo a, b;
  switch (ev.type()) {
    case KE_PIPE:
    case KE_PIPE2: {
      bool two = ev.type() == KE_PIPE2;
      a.fd = ev.param_int(pick(two, KP_PIPE2_fd1, KP_PIPE_fd1)).value_or(-1);
      b.fd = ev.param_int(pick(two, KP_PIPE2_fd2, KP_PIPE_fd2)).value_or(-1);
      uint64_t ino = ev.param_uint(pick(two, KP_PIPE2_ino, KP_PIPE_ino)).value_or(0);
      uint32_t cloexec = two ? (ev.param_uint(KP_PIPE2_flags).value_or(0) & O_CLOEXEC) : 0;
      a.type = b.type = FdType::kPipe;
      a.ino = b.ino = ino;
      if (ino != 0) a.name = b.name = "pipe:[" + std::to_string(ino) + "]";
      a.open_flags = O_RDONLY | cloexec;
      b.open_flags = O_WRONLY | cloexec;
      break;
    }
    case KE_SOCKETPAIR: {
      a.fd = ev.param_int(KP_SOCKETPAIR_fd1).value_or(-1);
      b.fd = ev.param_int(KP_SOCKETPAIR_fd2).value_or(-1);
      int64_t family = ev.param_int(KP_SOCKETPAIR_domain).value_or(AF_UNIX);
      int64_t type = ev.param_int(KP_SOCKETPAIR_type).value_or(0);
      a.type = b.type = socket_type(family);
      a.l4proto = b.l4proto = l4proto_for(family, type, ev.param_int(KP_SOCKETPAIR_proto).value_or(0));
      a.open_flags = b.open_flags = static_cast<uint32_t>(type & SOCK_CLOEXEC);
      break;
    }
    default: return;
  }
  if (a.fd >= 0) table_.put_fd(t.domain, t.pid, std::move(a));
  if (b.fd >= 0) table_.put_fd(t.domain, t.pid, std::move(b));
}

void StateUpdater::on_socket(const EventView& ev, ThreadInfo& t) {
  int64_t fd = ev.param_int(KP_SOCKET_fd).value_or(-1);
  if (fd < 0) return;
  int64_t family = ev.param_int(KP_SOCKET_domain).value_or(0);
  int64_t type = ev.param_int(KP_SOCKET_type).value_or(0);
  FdInfo f;
  f.fd = fd;
  f.type = socket_type(family);
  f.l4proto = l4proto_for(family, type, ev.param_int(KP_SOCKET_proto).value_or(0));
  f.open_flags = static_cast<uint32_t>(type & SOCK_CLOEXEC);
  table_.put_fd(t.domain, t.pid, std::move(f));
}

void StateUpdater::on_memfd(const EventView& ev, ThreadInfo& t) {
  int64_t fd = ev.param_int(KP_MEMFD_CREATE_fd).value_or(-1);
  if (fd < 0) return;
  FdInfo f;
  f.fd = fd;
  f.type = FdType::kMemfd;
  f.name = "memfd:" + std::string(ev.param_str(KP_MEMFD_CREATE_name).value_or(""));
  if (ev.param_uint(KP_MEMFD_CREATE_flags).value_or(0) & MFD_CLOEXEC) f.open_flags = O_CLOEXEC;
  f.open_flags |= O_RDWR;
  table_.put_fd(t.domain, t.pid, std::move(f));
}

void StateUpdater::on_anon_fd(const EventView& ev, ThreadInfo& t) {
  int64_t fd = ev.param_int(0).value_or(-1);  // res / fd is param 0 of each
  if (fd < 0) return;
  FdInfo f;
  f.fd = fd;
  switch (ev.type()) {
    case KE_USERFAULTFD:
      f.type = FdType::kUserfaultfd;
      f.name = "anon_inode:[userfaultfd]";
      f.open_flags = static_cast<uint32_t>(ev.param_uint(KP_USERFAULTFD_flags).value_or(0) & O_CLOEXEC);
      break;
    case KE_IO_URING_SETUP:
      f.type = FdType::kIoUring;
      f.name = "anon_inode:[io_uring]";
      f.open_flags = O_RDWR | O_CLOEXEC;  // the kernel always sets both
      break;
    case KE_BPF: {
      // Only these commands return a new fd; the rest return 0 or a value.
      switch (ev.param_int(KP_BPF_cmd).value_or(-1)) {
        case 0: f.name = "anon_inode:bpf-map"; break;        // BPF_MAP_CREATE
        case 5: f.name = "anon_inode:bpf-prog"; break;       // BPF_PROG_LOAD
        case 7: case 13: case 14: case 19: case 30: break;   // OBJ_GET, *_GET_FD_BY_ID
        case 17: case 28: f.name = "anon_inode:bpf_link"; break;  // RAW_TRACEPOINT_OPEN, LINK_CREATE
        case 18: f.name = "anon_inode:btf"; break;           // BPF_BTF_LOAD
        default: return;
      }
      f.type = FdType::kBpf;
      f.open_flags = O_RDWR | O_CLOEXEC;  // bpf objects are always close-on-exec
      break;
    }
    case KE_EVENTFD:
    case KE_EVENTFD2:
      f.type = FdType::kEvent;
      f.name = "anon_inode:[eventfd]";
      if (ev.type() == KE_EVENTFD2) f.open_flags = cloexec_bit(ev.param_uint(KP_EVENTFD2_flags));
      break;
    case KE_SIGNALFD:
    case KE_SIGNALFD4:
      f.type = FdType::kSignalFd;
      f.name = "anon_inode:[signalfd]";
      if (ev.type() == KE_SIGNALFD4) f.open_flags = cloexec_bit(ev.param_uint(KP_SIGNALFD4_flags));
      // signalfd(fd, ...) on an existing signalfd only changes its mask.
      if (const FdInfo* old = table_.fd(t.domain, t.pid, fd); old && old->type == FdType::kSignalFd) return;
      break;
    case KE_TIMERFD_CREATE:
      f.type = FdType::kTimerFd;
      f.name = "anon_inode:[timerfd]";
      f.open_flags = cloexec_bit(ev.param_uint(KP_TIMERFD_CREATE_flags));
      break;
    case KE_INOTIFY_INIT:
    case KE_INOTIFY_INIT1:
      f.type = FdType::kInotify;
      f.name = "anon_inode:inotify";
      if (ev.type() == KE_INOTIFY_INIT1) f.open_flags = cloexec_bit(ev.param_uint(KP_INOTIFY_INIT1_flags));
      break;
    default: return;
  }
  table_.put_fd(t.domain, t.pid, std::move(f));
}

void StateUpdater::on_connect(const EventView& ev, ThreadInfo& t) {
  int64_t res = ev.param_int(KP_CONNECT_res).value_or(-1);
  int64_t fd = ev.param_int(KP_CONNECT_fd).value_or(-1);
  if (fd < 0) return;
  // A non-blocking connect reports EINPROGRESS; the tuple is already set.
  if (res != 0 && res != -EINPROGRESS) {
    // A failed connect leaves the fd as it was but for libs' state flags.
    if (FdInfo* f = table_.fd(t.domain, t.pid, fd)) {
      f->flags = (f->flags & ~(kFdFlagSocketConnected | kFdFlagConnectionPending)) | kFdFlagConnectionFailed;
    }
    return;
  }
  auto raw = ev.param(KP_CONNECT_tuple);
  auto tuple = decode_socktuple(raw);
  auto addr = decode_sockaddr(ev.param(KP_CONNECT_addr));
  uint8_t family = tuple ? tuple->family : addr ? addr->family : 0;
  FdInfo& f = fd_or_new(t, fd, socket_type(family));
  std::string before = f.name;
  if (tuple) {
    set_tuple(f, raw, *tuple);
    if (f.name.empty() && addr) f.name = addr->to_string();
  } else if (addr) {
    f.name = addr->to_string();
  }
  if (f.name != before) f.old_name = std::move(before);
  f.flags &= ~(kFdFlagSocketConnected | kFdFlagConnectionPending | kFdFlagConnectionFailed);
  f.flags |= kFdFlagRoleClient | (res == 0 ? kFdFlagSocketConnected : kFdFlagConnectionPending);
  table_.refresh_fd_bytes(t.domain, t.pid, fd);  // name and tuple changed in place
}

void StateUpdater::on_accept(const EventView& ev, ThreadInfo& t) {
  const bool four = ev.type() == KE_ACCEPT4;
  int64_t fd = ev.param_int(pick(four, KP_ACCEPT4_fd, KP_ACCEPT_fd)).value_or(-1);
  if (fd < 0) return;
  auto raw = ev.param(pick(four, KP_ACCEPT4_tuple, KP_ACCEPT_tuple));
  auto tuple = decode_socktuple(raw);
  int64_t listen_fd = ev.param_int(pick(four, KP_ACCEPT4_listen_fd, KP_ACCEPT_listen_fd)).value_or(-1);
  const FdInfo* server = table_.fd(t.domain, t.pid, listen_fd);
  FdInfo f;
  f.fd = fd;
  if (server != nullptr) {
    f.type = server->type;
    f.l4proto = server->l4proto;
  }
  if (tuple) {
    if (server == nullptr) {
      f.type = socket_type(tuple->family == KESTREL_AF_INET ? AF_INET
                           : tuple->family == KESTREL_AF_INET6 ? AF_INET6
                                                                : AF_UNIX);
      if (tuple->family != KESTREL_AF_UNIX) f.l4proto = IPPROTO_TCP;  // accept is stream-only
    }
    set_tuple(f, raw, *tuple);
    if (f.name.empty() && server != nullptr) f.name = server->name;
  }
  if (four) f.open_flags = static_cast<uint32_t>(ev.param_uint(KP_ACCEPT4_flags).value_or(0) & SOCK_CLOEXEC);
  f.flags = kFdFlagRoleServer | kFdFlagSocketConnected;
  table_.put_fd(t.domain, t.pid, std::move(f));
}

void StateUpdater::on_bind(const EventView& ev, ThreadInfo& t) {
  if (ev.param_int(KP_BIND_res).value_or(-1) != 0) return;
  int64_t fd = ev.param_int(KP_BIND_fd).value_or(-1);
  auto addr = decode_sockaddr(ev.param(KP_BIND_addr));
  if (fd < 0 || !addr) return;
  name_bound_socket(fd_or_new(t, fd, socket_type(addr->family)), *addr);
  table_.refresh_fd_bytes(t.domain, t.pid, fd);
}

void StateUpdater::on_listen(const EventView& ev, ThreadInfo& t) {
  if (ev.param_int(KP_LISTEN_res).value_or(-1) != 0) return;
  int64_t fd = ev.param_int(KP_LISTEN_fd).value_or(-1);
  if (fd < 0) return;
  // A source that knows the socket's own address (gVisor's listen point)
  // names the fd as bind would: a listen seen without its bind still shows
  // fd.name, fd.sip and fd.sport.
  if (auto addr = decode_sockaddr(ev.param(KP_LISTEN_addr))) {
    FdInfo& f = fd_or_new(t, fd, socket_type(addr->family));
    name_bound_socket(f, *addr);
    f.listening = true;
    table_.refresh_fd_bytes(t.domain, t.pid, fd);
    return;
  }
  fd_or_new(t, fd, FdType::kUnknown).listening = true;
}

}  // namespace kestrel
