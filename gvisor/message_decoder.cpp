#include "gvisor/message_decoder.h"

#include <google/protobuf/io/coded_stream.h>

#include <stdexcept>

#include "gvisor/proto/common.pb.h"
#include "gvisor/proto/container.pb.h"
#include "gvisor/proto/sentry.pb.h"
#include "gvisor/proto/syscall.pb.h"
#include "gvisor/wire.h"

namespace kestrel::gvisor {

// One reusable message per type: parsing into a cleared message reuses its
// string and sub-message storage.
struct MessageDecoder::Messages {
  container::Start start;
  sentry::CloneInfo clone_info;
  sentry::ExecveInfo execve_info;
  sentry::ExitNotifyParentInfo exit_notify;
  sentry::TaskExit task_exit;
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
  sentry::MmapInfo mmap_info;
  syscall::Mmap mmap;
  syscall::Ptrace ptrace;
};

MessageDecoder::MessageDecoder(DecoderLimits limits) : limits_(limits), msgs_(std::make_unique<Messages>()) {
  filter_.set();
}

MessageDecoder::~MessageDecoder() = default;

namespace {

template <typename Msg>
bool parse_bounded(Msg& m, std::span<const uint8_t> payload, int recursion_limit) {
  google::protobuf::io::CodedInputStream in(payload.data(), static_cast<int>(payload.size()));
  in.SetRecursionLimit(recursion_limit);
  m.Clear();
  return m.MergePartialFromCodedStream(&in) && in.ConsumedEntireMessage();
}

// Parses, announces a new container, converts.
template <typename Msg>
DecodeOutcome run(Msg& m, std::span<const uint8_t> payload, Emitter& e, int recursion_limit) {
  if (!parse_bounded(m, payload, recursion_limit)) return DecodeOutcome::kMalformed;
  if constexpr (!std::is_same_v<Msg, container::Start>) {
    if (m.has_context_data() && !m.context_data().container_id().empty())
      e.note_container(context_from(m.context_data()).container_id, context_of(m));
  }
  convert(m, e);
  return DecodeOutcome::kOk;
}

}  // namespace

DecodeOutcome MessageDecoder::decode(std::span<const uint8_t> packet, SandboxState& sb, RecordArena& out) {
  ++sb.packets;
  Result<WireHeader> hdr = parse_wire_header(packet);
  if (!hdr.ok()) {
    ++sb.malformed;
    return DecodeOutcome::kMalformed;
  }
  sb.drops.observe(hdr->dropped_count);
  std::span<const uint8_t> payload = wire_payload(packet, *hdr);
  if (payload.size() > limits_.max_packet) {
    ++sb.malformed;
    return DecodeOutcome::kMalformed;
  }
  Emitter e(sb, out, filter_, limits_);
  Messages& m = *msgs_;
  const int rl = limits_.recursion_limit;
  DecodeOutcome r = DecodeOutcome::kUnknownType;
  // EventBuilder throws only on a param over 64 KiB or more than 32 params,
  // which the converters' clamps rule out; the catch is a last line of
  // defence so a converter bug drops one message instead of the process.
  try {
    switch (static_cast<common::MessageType>(hdr->message_type)) {
      case common::MESSAGE_CONTAINER_START: r = run(m.start, payload, e, rl); break;
      case common::MESSAGE_SENTRY_CLONE: r = run(m.clone_info, payload, e, rl); break;
      case common::MESSAGE_SENTRY_EXEC: r = run(m.execve_info, payload, e, rl); break;
      case common::MESSAGE_SENTRY_EXIT_NOTIFY_PARENT: r = run(m.exit_notify, payload, e, rl); break;
      case common::MESSAGE_SENTRY_TASK_EXIT: r = run(m.task_exit, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_RAW: r = run(m.raw, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_OPEN: r = run(m.open, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_CLOSE: r = run(m.close, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_READ: r = run(m.read, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_CONNECT: r = run(m.connect, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_EXECVE: r = run(m.execve, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_SOCKET: r = run(m.socket, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_CHDIR: r = run(m.chdir, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_SETID: r = run(m.setid, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_SETRESID: r = run(m.setresid, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_PRLIMIT64: r = run(m.prlimit, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_PIPE: r = run(m.pipe, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_FCNTL: r = run(m.fcntl, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_DUP: r = run(m.dup, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_SIGNALFD: r = run(m.signalfd, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_CHROOT: r = run(m.chroot, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_EVENTFD: r = run(m.eventfd, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_CLONE: r = run(m.clone, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_BIND: r = run(m.bind, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_ACCEPT: r = run(m.accept, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_TIMERFD_CREATE: r = run(m.timerfd_create, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_TIMERFD_SETTIME: r = run(m.timerfd_settime, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_TIMERFD_GETTIME: r = run(m.timerfd_gettime, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_FORK: r = run(m.fork, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_INOTIFY_INIT: r = run(m.inotify_init, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_INOTIFY_ADD_WATCH: r = run(m.inotify_add_watch, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_INOTIFY_RM_WATCH: r = run(m.inotify_rm_watch, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_SOCKETPAIR: r = run(m.socketpair, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_WRITE: r = run(m.write, payload, e, rl); break;
      case common::MESSAGE_SENTRY_MMAP: r = run(m.mmap_info, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_MMAP: r = run(m.mmap, payload, e, rl); break;
      case common::MESSAGE_SYSCALL_PTRACE: r = run(m.ptrace, payload, e, rl); break;
      // MESSAGE_SYSCALL_LISTEN: its fields are unknown to us (common.proto).
      default: r = DecodeOutcome::kUnknownType; break;
    }
  } catch (const std::exception&) {
    r = DecodeOutcome::kMalformed;
  }
  switch (r) {
    case DecodeOutcome::kOk: ++sb.by_type[hdr->message_type]; break;
    case DecodeOutcome::kMalformed: ++sb.malformed; break;
    case DecodeOutcome::kUnknownType: ++sb.unknown_type; break;
  }
  return r;
}

}  // namespace kestrel::gvisor
