#include "gvisor/point_table.h"

#include <google/protobuf/io/coded_stream.h>

#include <array>
#include <type_traits>

#include "gvisor/message_decoder.h"
#include "gvisor/proto/common.pb.h"
#include "gvisor/proto/container.pb.h"
#include "gvisor/proto/sentry.pb.h"
#include "gvisor/proto/syscall.pb.h"

namespace kestrel::gvisor {

// One reusable message per type: parsing into a cleared message reuses its
// string and sub-message storage.
struct PointMessages {
  container::Start start;
  sentry::CloneInfo clone_info;
  sentry::ExecveInfo execve_info;
  sentry::ExitNotifyParentInfo exit_notify;
  sentry::TaskExit task_exit;
  sentry::MmapInfo mmap_info;
  syscall::Syscall raw;
  syscall::Open open;
  syscall::Close close;
  syscall::Read read;
  syscall::Write write;
  syscall::Connect connect;
  syscall::Execve execve;
  syscall::Socket socket;
  syscall::Chdir chdir;
  syscall::Setid setid;
  syscall::Setresid setresid;
  syscall::Prlimit prlimit;
  syscall::Pipe pipe;
  syscall::Fcntl fcntl;
  syscall::Dup dup;
  syscall::Signalfd signalfd;
  syscall::Chroot chroot;
  syscall::Eventfd eventfd;
  syscall::Clone clone;
  syscall::Bind bind;
  syscall::Accept accept;
  syscall::TimerfdCreate timerfd_create;
  syscall::TimerfdSetTime timerfd_settime;
  syscall::TimerfdGetTime timerfd_gettime;
  syscall::Fork fork;
  syscall::InotifyInit inotify_init;
  syscall::InotifyAddWatch inotify_add_watch;
  syscall::InotifyRmWatch inotify_rm_watch;
  syscall::SocketPair socketpair;
  syscall::Mmap mmap;
  syscall::Ptrace ptrace;
  syscall::Listen listen;
};

void PointMessagesDeleter::operator()(PointMessages* m) const { delete m; }

std::unique_ptr<PointMessages, PointMessagesDeleter> make_point_messages() {
  return std::unique_ptr<PointMessages, PointMessagesDeleter>(new PointMessages());
}

namespace {

template <typename Msg>
bool parse_bounded(Msg& m, std::span<const uint8_t> payload, int recursion_limit) {
  google::protobuf::io::CodedInputStream in(payload.data(), static_cast<int>(payload.size()));
  in.SetRecursionLimit(recursion_limit);
  m.Clear();
  return m.MergePartialFromCodedStream(&in) && in.ConsumedEntireMessage();
}

// Parses into the message `Member` names, announces a new container, converts.
template <auto Member>
DecodeOutcome decode(PointMessages& all, std::span<const uint8_t> payload, Emitter& e, int recursion_limit) {
  auto& m = all.*Member;
  using Msg = std::remove_reference_t<decltype(m)>;
  if (!parse_bounded(m, payload, recursion_limit)) return DecodeOutcome::kMalformed;
  if constexpr (!std::is_same_v<Msg, container::Start>) {
    if (m.has_context_data() && !m.context_data().container_id().empty())
      e.note_container(context_from(m.context_data()).container_id, context_of(m));
  }
  convert(m, e);
  return DecodeOutcome::kOk;
}

// Event lists and point lists, one pair per row; named after the message.
#define KESTREL_EVENTS(name, ...) constexpr uint16_t name##_events[] = {__VA_ARGS__};
#define KESTREL_POINTS(name, ...) constexpr PointEvent name##_points[] = {__VA_ARGS__};

// ---- newer gVisor: schematized points of their own -----------------------
KESTREL_EVENTS(mmap, KE_MMAP)
KESTREL_POINTS(mmap, {KE_MMAP, "syscall/mmap/exit"})
KESTREL_EVENTS(ptrace, KE_PTRACE)
KESTREL_POINTS(ptrace, {KE_PTRACE, "syscall/ptrace/exit"})
KESTREL_EVENTS(listen, KE_LISTEN)
KESTREL_POINTS(listen, {KE_LISTEN, "syscall/listen/exit"})
// ---- sentry and container points -----------------------------------------
KESTREL_EVENTS(execve_info, KE_EXECVE, KE_EXECVEAT)
KESTREL_POINTS(execve_info, {KE_EXECVE, "sentry/execve"}, {KE_EXECVEAT, "sentry/execve"})
KESTREL_EVENTS(clone_info, KE_CLONE, KE_CLONE3, KE_FORK, KE_VFORK)
KESTREL_POINTS(clone_info, {KE_CLONE, "sentry/clone"}, {KE_CLONE3, "sentry/clone"}, {KE_FORK, "sentry/clone"},
               {KE_VFORK, "sentry/clone"})
KESTREL_EVENTS(task_exit, KE_PROCEXIT)
KESTREL_POINTS(task_exit, {KE_PROCEXIT, "sentry/task_exit"})
KESTREL_EVENTS(start, KE_CONTAINER)
KESTREL_POINTS(start, {KE_CONTAINER, "container/start"})
// ---- schematized syscall points: syscall/<name>/exit ---------------------
KESTREL_EVENTS(open, KE_OPENAT, KE_OPEN, KE_CREAT)
KESTREL_POINTS(open, {KE_OPENAT, "syscall/openat/exit"}, {KE_OPEN, "syscall/open/exit"},
               {KE_CREAT, "syscall/creat/exit"})
KESTREL_EVENTS(close, KE_CLOSE)
KESTREL_POINTS(close, {KE_CLOSE, "syscall/close/exit"})
// preadv2/pwritev2 share the row of their older sibling.
KESTREL_EVENTS(read, KE_READ, KE_PREAD64, KE_READV, KE_PREADV)
KESTREL_POINTS(read, {KE_READ, "syscall/read/exit"}, {KE_PREAD64, "syscall/pread64/exit"},
               {KE_READV, "syscall/readv/exit"}, {KE_PREADV, "syscall/preadv/exit"},
               {KE_PREADV, "syscall/preadv2/exit"})
KESTREL_EVENTS(write, KE_WRITE, KE_PWRITE64, KE_WRITEV, KE_PWRITEV)
KESTREL_POINTS(write, {KE_WRITE, "syscall/write/exit"}, {KE_PWRITE64, "syscall/pwrite64/exit"},
               {KE_WRITEV, "syscall/writev/exit"}, {KE_PWRITEV, "syscall/pwritev/exit"},
               {KE_PWRITEV, "syscall/pwritev2/exit"})
KESTREL_EVENTS(connect, KE_CONNECT)
KESTREL_POINTS(connect, {KE_CONNECT, "syscall/connect/exit"})
KESTREL_EVENTS(socket, KE_SOCKET)
KESTREL_POINTS(socket, {KE_SOCKET, "syscall/socket/exit"})
KESTREL_EVENTS(socketpair, KE_SOCKETPAIR)
KESTREL_POINTS(socketpair, {KE_SOCKETPAIR, "syscall/socketpair/exit"})
KESTREL_EVENTS(bind, KE_BIND)
KESTREL_POINTS(bind, {KE_BIND, "syscall/bind/exit"})
KESTREL_EVENTS(accept, KE_ACCEPT4, KE_ACCEPT)
KESTREL_POINTS(accept, {KE_ACCEPT4, "syscall/accept4/exit"}, {KE_ACCEPT, "syscall/accept/exit"})
KESTREL_EVENTS(chdir, KE_CHDIR, KE_FCHDIR)
KESTREL_POINTS(chdir, {KE_CHDIR, "syscall/chdir/exit"}, {KE_FCHDIR, "syscall/fchdir/exit"})
KESTREL_EVENTS(chroot, KE_CHROOT)
KESTREL_POINTS(chroot, {KE_CHROOT, "syscall/chroot/exit"})
KESTREL_EVENTS(setid, KE_SETUID, KE_SETGID, KE_SETSID)
KESTREL_POINTS(setid, {KE_SETUID, "syscall/setuid/exit"}, {KE_SETGID, "syscall/setgid/exit"},
               {KE_SETSID, "syscall/setsid/exit"})
KESTREL_EVENTS(setresid, KE_SETRESUID, KE_SETRESGID)
KESTREL_POINTS(setresid, {KE_SETRESUID, "syscall/setresuid/exit"}, {KE_SETRESGID, "syscall/setresgid/exit"})
KESTREL_EVENTS(prlimit, KE_PRLIMIT64)
KESTREL_POINTS(prlimit, {KE_PRLIMIT64, "syscall/prlimit64/exit"})
KESTREL_EVENTS(pipe, KE_PIPE2, KE_PIPE)
KESTREL_POINTS(pipe, {KE_PIPE2, "syscall/pipe2/exit"}, {KE_PIPE, "syscall/pipe/exit"})
KESTREL_EVENTS(fcntl, KE_FCNTL)
KESTREL_POINTS(fcntl, {KE_FCNTL, "syscall/fcntl/exit"})
KESTREL_EVENTS(dup, KE_DUP, KE_DUP2, KE_DUP3)
KESTREL_POINTS(dup, {KE_DUP, "syscall/dup/exit"}, {KE_DUP2, "syscall/dup2/exit"}, {KE_DUP3, "syscall/dup3/exit"})
KESTREL_EVENTS(signalfd, KE_SIGNALFD4, KE_SIGNALFD)
KESTREL_POINTS(signalfd, {KE_SIGNALFD4, "syscall/signalfd4/exit"}, {KE_SIGNALFD, "syscall/signalfd/exit"})
KESTREL_EVENTS(eventfd, KE_EVENTFD2, KE_EVENTFD)
KESTREL_POINTS(eventfd, {KE_EVENTFD2, "syscall/eventfd2/exit"}, {KE_EVENTFD, "syscall/eventfd/exit"})
KESTREL_EVENTS(timerfd_create, KE_TIMERFD_CREATE)
KESTREL_POINTS(timerfd_create, {KE_TIMERFD_CREATE, "syscall/timerfd_create/exit"})
KESTREL_EVENTS(timerfd_settime, KE_TIMERFD_SETTIME)
KESTREL_POINTS(timerfd_settime, {KE_TIMERFD_SETTIME, "syscall/timerfd_settime/exit"})
KESTREL_EVENTS(timerfd_gettime, KE_TIMERFD_GETTIME)
KESTREL_POINTS(timerfd_gettime, {KE_TIMERFD_GETTIME, "syscall/timerfd_gettime/exit"})
KESTREL_EVENTS(inotify_init, KE_INOTIFY_INIT1, KE_INOTIFY_INIT)
KESTREL_POINTS(inotify_init, {KE_INOTIFY_INIT1, "syscall/inotify_init1/exit"},
               {KE_INOTIFY_INIT, "syscall/inotify_init/exit"})
KESTREL_EVENTS(inotify_add_watch, KE_INOTIFY_ADD_WATCH)
KESTREL_POINTS(inotify_add_watch, {KE_INOTIFY_ADD_WATCH, "syscall/inotify_add_watch/exit"})
KESTREL_EVENTS(inotify_rm_watch, KE_INOTIFY_RM_WATCH)
KESTREL_POINTS(inotify_rm_watch, {KE_INOTIFY_RM_WATCH, "syscall/inotify_rm_watch/exit"})
// ---- decoded when sent, never enabled by our config: the sentry points
// above describe the same events with more (post-exec view, child ids). --
KESTREL_EVENTS(exit_notify, KE_PROCEXIT)
KESTREL_POINTS(exit_notify, {KE_PROCEXIT, "sentry/exit_notify_parent"})
KESTREL_EVENTS(execve, KE_EXECVE, KE_EXECVEAT)
KESTREL_POINTS(execve, {KE_EXECVE, "syscall/execve/exit"}, {KE_EXECVEAT, "syscall/execveat/exit"})
KESTREL_EVENTS(clone, KE_CLONE, KE_CLONE3)
KESTREL_POINTS(clone, {KE_CLONE, "syscall/clone/exit"}, {KE_CLONE3, "syscall/clone3/exit"})
KESTREL_EVENTS(fork, KE_FORK, KE_VFORK)
KESTREL_POINTS(fork, {KE_FORK, "syscall/fork/exit"}, {KE_VFORK, "syscall/vfork/exit"})
#undef KESTREL_EVENTS
#undef KESTREL_POINTS

// The raw row's events are every row convert_raw.cpp fills (raw_convertible)
// and its points are derived per event; the lists stay empty here.

// A row: message type suffix, member/list name, configured, needs_listing.
#define KESTREL_ROW(MSG, name, configured, needs_listing)                                  \
  PointRow {                                                                               \
    common::MESSAGE_##MSG, name##_events, name##_points, configured, needs_listing, false, \
        &decode<&PointMessages::name>                                                      \
  }

const PointRow kRows[] = {
    KESTREL_ROW(SYSCALL_MMAP, mmap, true, true), KESTREL_ROW(SYSCALL_PTRACE, ptrace, true, true),
    KESTREL_ROW(SYSCALL_LISTEN, listen, true, true),
    KESTREL_ROW(SENTRY_EXEC, execve_info, true, false), KESTREL_ROW(SENTRY_CLONE, clone_info, true, false),
    KESTREL_ROW(SENTRY_TASK_EXIT, task_exit, true, false), KESTREL_ROW(CONTAINER_START, start, true, false),
    KESTREL_ROW(SYSCALL_OPEN, open, true, false), KESTREL_ROW(SYSCALL_CLOSE, close, true, false),
    KESTREL_ROW(SYSCALL_READ, read, true, false), KESTREL_ROW(SYSCALL_WRITE, write, true, false),
    KESTREL_ROW(SYSCALL_CONNECT, connect, true, false), KESTREL_ROW(SYSCALL_SOCKET, socket, true, false),
    KESTREL_ROW(SYSCALL_SOCKETPAIR, socketpair, true, false), KESTREL_ROW(SYSCALL_BIND, bind, true, false),
    KESTREL_ROW(SYSCALL_ACCEPT, accept, true, false), KESTREL_ROW(SYSCALL_CHDIR, chdir, true, false),
    KESTREL_ROW(SYSCALL_CHROOT, chroot, true, false), KESTREL_ROW(SYSCALL_SETID, setid, true, false),
    KESTREL_ROW(SYSCALL_SETRESID, setresid, true, false), KESTREL_ROW(SYSCALL_PRLIMIT64, prlimit, true, false),
    KESTREL_ROW(SYSCALL_PIPE, pipe, true, false), KESTREL_ROW(SYSCALL_FCNTL, fcntl, true, false),
    KESTREL_ROW(SYSCALL_DUP, dup, true, false), KESTREL_ROW(SYSCALL_SIGNALFD, signalfd, true, false),
    KESTREL_ROW(SYSCALL_EVENTFD, eventfd, true, false),
    KESTREL_ROW(SYSCALL_TIMERFD_CREATE, timerfd_create, true, false),
    KESTREL_ROW(SYSCALL_TIMERFD_SETTIME, timerfd_settime, true, false),
    KESTREL_ROW(SYSCALL_TIMERFD_GETTIME, timerfd_gettime, true, false),
    KESTREL_ROW(SYSCALL_INOTIFY_INIT, inotify_init, true, false),
    KESTREL_ROW(SYSCALL_INOTIFY_ADD_WATCH, inotify_add_watch, true, false),
    KESTREL_ROW(SYSCALL_INOTIFY_RM_WATCH, inotify_rm_watch, true, false),
    // Integer-only rows without a schematized point: syscall/sysno/<nr>/exit.
    PointRow{common::MESSAGE_SYSCALL_RAW, {}, {}, true, false, true, &decode<&PointMessages::raw>},
    KESTREL_ROW(SENTRY_EXIT_NOTIFY_PARENT, exit_notify, false, false),
    KESTREL_ROW(SYSCALL_EXECVE, execve, false, false), KESTREL_ROW(SYSCALL_CLONE, clone, false, false),
    KESTREL_ROW(SYSCALL_FORK, fork, false, false),
    // A file was mapped: parsed (validated, counted, its container noted)
    // but no Kestrel row describes a mapping without address and protection.
    PointRow{common::MESSAGE_SENTRY_MMAP, {}, {}, false, false, false, &decode<&PointMessages::mmap_info>},
    // MESSAGE_SYSCALL_LISTEN: its fields are unknown to us (common.proto).
};
#undef KESTREL_ROW

// Message type -> row, built once from kRows.
constexpr uint16_t kMaxMessageType = 64;
const std::array<const PointRow*, kMaxMessageType> kByMessage = [] {
  std::array<const PointRow*, kMaxMessageType> by{};
  for (const PointRow& r : kRows)
    if (r.message_type < by.size()) by[r.message_type] = &r;
  return by;
}();

}  // namespace

std::span<const PointRow> point_rows() { return kRows; }

const PointRow* point_row(uint16_t message_type) {
  return message_type < kByMessage.size() ? kByMessage[message_type] : nullptr;
}

}  // namespace kestrel::gvisor
