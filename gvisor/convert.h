// convert.h — gVisor point messages to Kestrel event records (internal).
//
// One function per message kind; MessageDecoder parses the payload and calls
// the matching one. Each converter reads only the already-parsed message (all
// bounds checks on bytes happened in the protobuf parser) and clamps every
// variable-size value to the record limits in kestrel_event.h, so a hostile
// Sentry cannot make a record overflow. A converter emits zero or more
// records through Emitter; it never throws for any field value.
//
// Params are written by name (event_builder.h): the table decides which a
// row has and in which order, so a row picked at run time (open, openat,
// creat from one message) is written by one code path. A record whose
// params do not match its row is not emitted but counted in
// SandboxState::param_mismatch (SourceStats drop reason "param_mismatch").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <google/protobuf/repeated_ptr_field.h>

#include "gvisor/context.h"
#include "gvisor/record_arena.h"
#include "gvisor/sandbox_state.h"
#include "sources/event/event_builder.h"

namespace kestrel::gvisor {

namespace container { class Start; }
namespace sentry {
class CloneInfo;
class ExecveInfo;
class ExitNotifyParentInfo;
class TaskExit;
class MmapInfo;
}  // namespace sentry
namespace syscall {
class Exit;
class Syscall;
class Open;
class Close;
class Read;
class Write;
class Connect;
class Execve;
class Socket;
class Chdir;
class Setid;
class Setresid;
class Prlimit;
class Pipe;
class Fcntl;
class Dup;
class Signalfd;
class Chroot;
class Eventfd;
class Clone;
class Bind;
class Accept;
class TimerfdCreate;
class TimerfdSetTime;
class TimerfdGetTime;
class Fork;
class InotifyInit;
class InotifyAddWatch;
class InotifyRmWatch;
class SocketPair;
class Mmap;
class Ptrace;
class Listen;
}  // namespace syscall

// Bounds applied to what one sandbox message may turn into.
struct DecoderLimits {
  size_t max_packet = 256 * 1024;  // packets above are dropped as too_large
  int recursion_limit = 8;         // protobuf nesting (our schema needs 4)
  size_t max_strings = 256;        // argv/env entries kept
  size_t max_containers = 64;      // distinct container ids per sandbox
};

// The `type` of a container event from gVisor (symbol set CONTAINER_TYPES).
inline constexpr int64_t kContainerTypeGvisor = 5;

// Where converters put records.
class Emitter {
 public:
  // `scratch` is the decoder's one builder, reused for every record.
  Emitter(SandboxState& sandbox, RecordArena& out, const EventTypeSet& filter, const DecoderLimits& limits,
          EventBuilder& scratch)
      : sandbox_(sandbox), out_(out), filter_(filter), limits_(limits), scratch_(scratch) {}

  bool wants(uint16_t type) const { return filter_.test(type); }
  const DecoderLimits& limits() const { return limits_; }
  SandboxState& sandbox() { return sandbox_; }

  // The builder, begun for `type` with the header filled from `ctx` (now,
  // if the point carried no time). Valid until the next begin().
  EventBuilder& begin(uint16_t type, const GvisorContext& ctx);
  // Finishes `b` and appends it with the sandbox's domain and `ctx`; a
  // record that does not match its row is counted, not appended.
  void emit(EventBuilder& b, const GvisorContext& ctx);
  // Counts a record the filter did not want.
  void skip() { ++sandbox_.filtered; }

  // Announces a container id not seen before in this sandbox (a `container`
  // event of type gvisor); no-op for "" or a known id.
  void note_container(std::string_view id, const GvisorContext& ctx);

 private:
  SandboxState& sandbox_;
  RecordArena& out_;
  const EventTypeSet& filter_;
  const DecoderLimits& limits_;
  EventBuilder& scratch_;
};

// ---- helpers shared by the converters (convert_util.cpp) ----------------

// The syscall's return value (-errno on failure), or nullopt on an enter
// point (no exit field).
std::optional<int64_t> syscall_result(bool has_exit, const syscall::Exit& exit);
// Writes `res` into param `name` (the row's result: "res", or "fd" for rows
// that return one), or an empty param.
void put_result(EventBuilder& b, ParamRef name, std::optional<int64_t> res);
// A string param clamped to `max` bytes (NUL added by the builder).
void put_clamped(EventBuilder& b, ParamRef name, std::string_view s, size_t max = KESTREL_MAX_PATH - 1);
// A CHARBUF_ARRAY of items [first, n) of a repeated string field, at most
// limits.max_strings items and KESTREL_MAX_ARGS_BYTES bytes.
using StringList = google::protobuf::RepeatedPtrField<std::string>;
void put_string_list(EventBuilder& b, ParamRef name, const StringList& items, int first, const DecoderLimits& limits);
// SOCKADDR param from a raw struct sockaddr as the task passed it; empty
// param when the family is unknown or the bytes are too short.
void put_sockaddr(EventBuilder& b, ParamRef name, std::span<const uint8_t> raw);
// SOCKTUPLE param with `remote` on the server side (connect) or the client
// side (accept); the local end is unknown to gVisor points and left zero.
void put_tuple(EventBuilder& b, ParamRef name, std::span<const uint8_t> remote, bool remote_is_server);
std::span<const uint8_t> bytes_of(const std::string& s);

// What a process-creating event's process block carries (KE_PROCESS_PARAMS).
struct ProcessBlock {
  std::string_view exe;
  const StringList* argv = nullptr;  // argv[0] skipped (it is exe), empty if null
  const StringList* env = nullptr;   // all items, empty if null
  std::string_view comm;  // overrides the context's process name when set
  std::string_view exepath;  // the executable the Sentry resolved, if known
  int64_t tid = 0, pid = 0, ptid = 0;
  uint64_t start_ts = 0;
  std::optional<uint32_t> exe_flags;  // EXE_* when the point says (newer gVisor)
};
// The task name Linux gives after exec'ing `path`: its basename, cut to 15
// bytes. gVisor's exec points still carry the pre-exec process name.
std::string_view comm_of(std::string_view path);
void put_process_block(EventBuilder& b, const ProcessBlock& p, const GvisorContext& ctx, const DecoderLimits& limits);

// Event type for `sysno` if it is one of the rows message `message_type`
// can describe (point_table.h), else that message's first row: the
// Sentry's sysno is untrusted and must not pick an event with other params.
uint16_t pick_event(uint64_t sysno, uint16_t message_type);

// Whether a raw syscall point for `type` converts to that event (its params
// are all integers the raw arguments carry), rather than to `syscall`.
bool raw_convertible(uint16_t type);

// ---- converters ----------------------------------------------------------
void convert(const container::Start& m, Emitter& e);
void convert(const sentry::CloneInfo& m, Emitter& e);
void convert(const sentry::ExecveInfo& m, Emitter& e);
void convert(const sentry::ExitNotifyParentInfo& m, Emitter& e);
void convert(const sentry::TaskExit& m, Emitter& e);
// Newer gVisor. MmapInfo (a file was mapped) becomes no record: it lacks the
// address, length and protection that make up Kestrel's mmap row.
void convert(const sentry::MmapInfo& m, Emitter& e);
void convert(const syscall::Syscall& m, Emitter& e);  // raw: convert_raw.cpp
void convert(const syscall::Open& m, Emitter& e);
void convert(const syscall::Close& m, Emitter& e);
void convert(const syscall::Read& m, Emitter& e);
void convert(const syscall::Write& m, Emitter& e);
void convert(const syscall::Connect& m, Emitter& e);
void convert(const syscall::Execve& m, Emitter& e);
void convert(const syscall::Socket& m, Emitter& e);
void convert(const syscall::Chdir& m, Emitter& e);
void convert(const syscall::Setid& m, Emitter& e);
void convert(const syscall::Setresid& m, Emitter& e);
void convert(const syscall::Prlimit& m, Emitter& e);
void convert(const syscall::Pipe& m, Emitter& e);
void convert(const syscall::Fcntl& m, Emitter& e);
void convert(const syscall::Dup& m, Emitter& e);
void convert(const syscall::Signalfd& m, Emitter& e);
void convert(const syscall::Chroot& m, Emitter& e);
void convert(const syscall::Eventfd& m, Emitter& e);
void convert(const syscall::Clone& m, Emitter& e);
void convert(const syscall::Bind& m, Emitter& e);
void convert(const syscall::Accept& m, Emitter& e);
void convert(const syscall::TimerfdCreate& m, Emitter& e);
void convert(const syscall::TimerfdSetTime& m, Emitter& e);
void convert(const syscall::TimerfdGetTime& m, Emitter& e);
void convert(const syscall::Fork& m, Emitter& e);
void convert(const syscall::InotifyInit& m, Emitter& e);
void convert(const syscall::InotifyAddWatch& m, Emitter& e);
void convert(const syscall::InotifyRmWatch& m, Emitter& e);
void convert(const syscall::SocketPair& m, Emitter& e);
void convert(const syscall::Mmap& m, Emitter& e);    // newer gVisor: mmap row
void convert(const syscall::Ptrace& m, Emitter& e);  // newer gVisor: ptrace row
void convert(const syscall::Listen& m, Emitter& e);  // newer gVisor: listen row, with its address

}  // namespace kestrel::gvisor
