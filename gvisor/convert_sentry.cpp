// Sentry and container points: container/start, sentry/clone, sentry/execve,
// sentry/exit_notify_parent, sentry/task_exit.
#include "gvisor/convert.h"
#include "gvisor/proto/container.pb.h"
#include "gvisor/proto/sentry.pb.h"
#include "sources/event/process_block.h"

namespace kestrel::gvisor {

namespace {
constexpr uint64_t kCloneThread = 0x00010000;  // CLONE_THREAD
constexpr size_t kSha256Bytes = 32;

void exit_event(int32_t status, Emitter& e, const GvisorContext& ctx) {
  if (!e.wants(KE_PROCEXIT)) return e.skip();
  EventBuilder& b = e.begin(KE_PROCEXIT, ctx);
  // exit_status is a wait(2) status word: exit code in bits 8-15, the
  // terminating signal in bits 0-6, core dump in bit 7.
  uint32_t s = static_cast<uint32_t>(status);
  uint32_t sig = s & 0x7f;
  b.put_int(KPARAM(PROCEXIT, status), status);
  if (sig == 0)
    b.put_int(KPARAM(PROCEXIT, ret), (s >> 8) & 0xff);
  else
    b.put_empty(KPARAM(PROCEXIT, ret));
  b.put_int(KPARAM(PROCEXIT, sig), sig).put_int(KPARAM(PROCEXIT, core), (s & 0x80) ? 1 : 0);
  b.put_empty(KPARAM(PROCEXIT, reaper_tid));
  e.emit(b, ctx);
}
// The binary's overlay layers and memfd origin as EXE_* bits, as Falco's
// drivers set them; nullopt when the Sentry sent none of the binary facts
// (runsc before them: unknown, not "a plain file").
std::optional<uint32_t> exe_flags_of(const sentry::ExecveInfo& m) {
  if (m.binary_ino() == 0 && !m.binary_overlayfs_upper() && !m.binary_overlayfs_lower() && !m.binary_in_memfd())
    return std::nullopt;
  uint32_t f = 0;
  if (m.binary_overlayfs_upper()) f |= KESTREL_EXE_UPPER_LAYER;
  if (m.binary_overlayfs_lower()) f |= KESTREL_EXE_LOWER_LAYER;
  if (m.binary_in_memfd()) f |= KESTREL_EXE_FROM_MEMFD;
  return f;
}

// The binary's inode number and ctime as the Sentry reports them (its own
// VFS's: a gofer- or overlay-backed file has the Sentry's inode number, not
// the host's). ExecveInfo has no mtime; 0 means the field was not sent.
// binary_sha256 (sent with sentry/execve's optional field binary_info by
// runsc releases that compute it) becomes execve's exe_sha256 when it is a
// whole SHA-256; any other length is not a digest and is left out, counted.
// binary_sha1 is not carried: no field reads it.
ExeInodeValues exe_inode_of(const sentry::ExecveInfo& m, SandboxState& sandbox) {
  ExeInodeValues v;
  if (m.binary_sha256().size() == kSha256Bytes)
    v.sha256 = bytes_of(m.binary_sha256());
  else if (!m.binary_sha256().empty())
    ++sandbox.bad_exe_sha256;
  if (m.binary_ino() != 0) v.ino = m.binary_ino();
  if (m.has_binary_ctime() && (m.binary_ctime().sec() > 0 || m.binary_ctime().nsec() > 0) &&
      m.binary_ctime().sec() >= 0 && m.binary_ctime().nsec() >= 0 && m.binary_ctime().nsec() < 1'000'000'000)
    v.ctime = static_cast<uint64_t>(m.binary_ctime().sec()) * 1'000'000'000u + static_cast<uint64_t>(m.binary_ctime().nsec());
  return v;
}
}  // namespace

void convert(const container::Start& m, Emitter& e) {
  GvisorContext ctx = context_of(m);
  std::string_view id = std::string_view(m.id()).substr(0, std::min<size_t>(m.id().size(), kMaxContextString));
  // Register first so the generic first-sight announcement stays quiet.
  SandboxState& sb = e.sandbox();
  bool known = false;
  for (const std::string& c : sb.containers) known = known || c == id;
  if (!known && sb.containers.size() < e.limits().max_containers) sb.containers.emplace_back(id);
  if (sb.container_id.empty()) sb.container_id = std::string(id);
  if (!e.wants(KE_CONTAINER)) return e.skip();
  EventBuilder& b = e.begin(KE_CONTAINER, ctx);
  put_clamped(b, KPARAM(CONTAINER, id), id, kMaxContextString);
  b.put_int(KPARAM(CONTAINER, type), kContainerTypeGvisor);
  b.put_empty(KPARAM(CONTAINER, name)).put_empty(KPARAM(CONTAINER, image)).put_empty(KPARAM(CONTAINER, privileged));
  put_string_list(b, KPARAM(CONTAINER, args), m.args(), 0, e.limits());
  put_string_list(b, KPARAM(CONTAINER, env), m.env(), 0, e.limits());
  if (m.cwd().empty())
    b.put_empty(KPARAM(CONTAINER, cwd));
  else
    put_clamped(b, KPARAM(CONTAINER, cwd), m.cwd());
  e.emit(b, ctx);
}

// Reported from the child's side (res 0, header = the new task), which is
// the side that knows the new task's ids and start time; the parent is ptid.
void convert(const sentry::CloneInfo& m, Emitter& e) {
  if (!e.wants(KE_CLONE)) return e.skip();
  GvisorContext parent = context_of(m);
  GvisorContext child = parent;
  child.tid = m.created_thread_id();
  child.tgid = m.created_thread_group_id();
  child.thread_start_ns = m.created_thread_start_time_ns();
  bool thread = (m.flags() & kCloneThread) != 0;
  if (!thread) {
    child.group_start_ns = child.thread_start_ns;
    child.parent_tgid = parent.tgid;  // the context's is the creator's parent
  }
  EventBuilder& b = e.begin(KE_CLONE, child);
  b.put_int(KPARAM(CLONE, res), 0);
  ProcessBlock p;
  p.tid = child.tid;
  p.pid = child.tgid;
  p.ptid = thread ? 0 : parent.tgid;
  p.start_ts = child.thread_start_ns > 0 ? static_cast<uint64_t>(child.thread_start_ns) : 0;
  put_process_block(b, p, child, e.limits());
  b.put_int(KPARAM(CLONE, flags), static_cast<int64_t>(m.flags() & 0xffffffffu));
  e.emit(b, child);
}

void convert(const sentry::ExecveInfo& m, Emitter& e) {
  if (!e.wants(KE_EXECVE)) return e.skip();
  GvisorContext ctx = context_of(m);
  EventBuilder& b = e.begin(KE_EXECVE, ctx);
  b.put_int(KPARAM(EXECVE, res), 0);  // the point fires only for an exec that succeeded
  ProcessBlock p;
  p.exe = m.argv_size() > 0 ? std::string_view(m.argv(0)) : std::string_view(m.binary_path());
  p.comm = comm_of(m.binary_path());
  p.exepath = m.binary_path();  // the file the Sentry loaded
  p.argv = &m.argv();
  p.env = &m.env();
  p.tid = ctx.tid;
  p.pid = ctx.tgid;
  p.ptid = ctx.parent_tgid;  // newer gVisor; 0 (not sent) leaves it empty
  p.start_ts = ctx.group_start_ns > 0 ? static_cast<uint64_t>(ctx.group_start_ns) : 0;
  p.exe_flags = exe_flags_of(m);
  put_process_block(b, p, ctx, e.limits());
  put_exe_inode(b, exe_inode_of(m, e.sandbox()));
  e.emit(b, ctx);
}

void convert(const sentry::ExitNotifyParentInfo& m, Emitter& e) { exit_event(m.exit_status(), e, context_of(m)); }
void convert(const sentry::TaskExit& m, Emitter& e) { exit_event(m.exit_status(), e, context_of(m)); }

// Parsed (so it is validated, counted per type and its container noted),
// but no Kestrel row describes a mapping without address and protection.
void convert(const sentry::MmapInfo&, Emitter&) {}

}  // namespace kestrel::gvisor
