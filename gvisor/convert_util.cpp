#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "gvisor/convert.h"
#include "gvisor/proto/syscall.pb.h"
#include "gvisor/point_table.h"
#include "gvisor/sysno_map.h"
#include "sources/event/process_block.h"

namespace kestrel::gvisor {

namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint16_t load_u16_le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint16_t load_u16_be(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// Linux address families (the Sentry implements the Linux ABI).
constexpr uint16_t kAfUnix = 1, kAfInet = 2, kAfInet6 = 10;
constexpr size_t kSunPathMax = 108;

}  // namespace

EventBuilder& Emitter::begin(uint16_t type, const GvisorContext& ctx) {
  uint64_t ts = ctx.time_ns > 0 ? static_cast<uint64_t>(ctx.time_ns) : now_ns();
  scratch_.begin(type, ts, static_cast<uint32_t>(ctx.tid), static_cast<uint32_t>(ctx.tgid));
  return scratch_;
}

void Emitter::emit(EventBuilder& b, const GvisorContext& ctx) {
  Result<std::span<const uint8_t>> rec = b.finish();
  if (!rec.ok()) {
    // A converter wrote against its row: our bug, but reachable from what
    // the sandbox sent, so it is counted (an untrusted drop reason), never
    // thrown or emitted half-built.
    ++sandbox_.param_mismatch;
    return;
  }
  if (ctx.container_id.empty() && !sandbox_.container_id.empty()) {
    // Raw syscall points of runsc 2022-12 carry no context at all; the
    // sandbox's container is still known.
    GvisorContext with_container = ctx;
    with_container.container_id = sandbox_.container_id;
    out_.append(*rec, sandbox_.domain, with_container);
  } else {
    out_.append(*rec, sandbox_.domain, ctx);
  }
  ++sandbox_.events;
}

void Emitter::note_container(std::string_view id, const GvisorContext& ctx) {
  if (id.empty()) return;
  for (const std::string& known : sandbox_.containers)
    if (known == id) return;
  // A hostile Sentry could invent ids forever; past the cap we stop
  // announcing (the id still travels in each event's context).
  if (sandbox_.containers.size() >= limits_.max_containers) return;
  sandbox_.containers.emplace_back(id);
  if (sandbox_.container_id.empty()) sandbox_.container_id = std::string(id);
  if (!wants(KE_CONTAINER)) return skip();
  EventBuilder& b = begin(KE_CONTAINER, ctx);
  b.put_str(KPARAM(CONTAINER, id), id).put_int(KPARAM(CONTAINER, type), kContainerTypeGvisor);
  b.put_empty(KPARAM(CONTAINER, name)).put_empty(KPARAM(CONTAINER, image)).put_empty(KPARAM(CONTAINER, privileged));
  b.put_empty(KPARAM(CONTAINER, args)).put_empty(KPARAM(CONTAINER, env)).put_empty(KPARAM(CONTAINER, cwd));
  emit(b, ctx);
}

std::optional<int64_t> syscall_result(bool has_exit, const syscall::Exit& exit) {
  if (!has_exit) return std::nullopt;
  // errorno is an errno number; anything outside Linux's range is bogus but
  // still reported as a failure rather than trusted as a value.
  if (exit.errorno() != 0) {
    int64_t err = std::clamp<int64_t>(exit.errorno(), 1, 4095);
    return -err;
  }
  return exit.result();
}

void put_result(EventBuilder& b, ParamRef name, std::optional<int64_t> res) {
  if (res)
    b.put_int(name, *res);
  else
    b.put_empty(name);
}

void put_clamped(EventBuilder& b, ParamRef name, std::string_view s, size_t max) {
  b.put_str(name, s.substr(0, std::min(s.size(), max)));
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

namespace {

// Views of items [first, n) of `items` within the record limits, into
// `views` (cleared first; its capacity is reused across events).
void clamp_string_list(const StringList& items, int first, const DecoderLimits& limits,
                       std::vector<std::string_view>& views) {
  views.clear();
  size_t budget = KESTREL_MAX_ARGS_BYTES;
  for (int i = std::max(first, 0); i < items.size() && views.size() < limits.max_strings; ++i) {
    const std::string& s = items.Get(i);
    if (budget <= 1) break;
    size_t take = std::min(s.size(), budget - 1);  // keep room for the NUL
    views.emplace_back(s.data(), take);
    budget -= take + 1;
  }
}

// A unix socket path as ss shows it: up to the first NUL, "@name" for an
// abstract socket (leading NUL). Written into `out`, which has room for
// kSunPathMax + 1 bytes.
std::string_view unix_path(std::span<const uint8_t> path, char* out) {
  size_t n = 0;
  if (!path.empty() && path[0] == 0) {
    out[n++] = '@';
    path = path.subspan(1);
  }
  for (uint8_t c : path) {
    if (c == 0) break;
    out[n++] = static_cast<char>(c);
  }
  return {out, n};
}

}  // namespace

void put_string_list(EventBuilder& b, ParamRef name, const StringList& items, int first, const DecoderLimits& limits) {
  // One scratch list per thread: the decoder runs on one thread and this
  // avoids an allocation per event.
  thread_local std::vector<std::string_view> views;
  clamp_string_list(items, first, limits, views);
  b.put_strings(name, views);
}

void put_sockaddr(EventBuilder& b, ParamRef name, std::span<const uint8_t> raw) {
  if (raw.size() < 2) return void(b.put_empty(name));
  uint16_t family = load_u16_le(raw.data());
  if (family == kAfInet && raw.size() >= 8) {
    b.put_sockaddr_in(name, raw.data() + 4, load_u16_be(raw.data() + 2));
  } else if (family == kAfInet6 && raw.size() >= 24) {
    b.put_sockaddr_in6(name, raw.data() + 8, load_u16_be(raw.data() + 2));
  } else if (family == kAfUnix) {
    char path[kSunPathMax + 1];
    b.put_sockaddr_un(name, unix_path(raw.subspan(2, std::min(raw.size() - 2, kSunPathMax)), path));
  } else {
    b.put_empty(name);
  }
}

void put_tuple(EventBuilder& b, ParamRef name, std::span<const uint8_t> remote, bool remote_is_server) {
  static const uint8_t kZero[16] = {};
  if (remote.size() < 2) return void(b.put_empty(name));
  uint16_t family = load_u16_le(remote.data());
  if (family == kAfInet && remote.size() >= 8) {
    const uint8_t* ip = remote.data() + 4;
    uint16_t port = load_u16_be(remote.data() + 2);
    if (remote_is_server)
      b.put_tuple_in(name, kZero, 0, ip, port);
    else
      b.put_tuple_in(name, ip, port, kZero, 0);
  } else if (family == kAfInet6 && remote.size() >= 24) {
    const uint8_t* ip = remote.data() + 8;
    uint16_t port = load_u16_be(remote.data() + 2);
    if (remote_is_server)
      b.put_tuple_in6(name, kZero, 0, ip, port);
    else
      b.put_tuple_in6(name, ip, port, kZero, 0);
  } else if (family == kAfUnix) {
    char path[kSunPathMax + 1];
    b.put_tuple_un(name, 0, 0, unix_path(remote.subspan(2, std::min(remote.size() - 2, kSunPathMax)), path));
  } else {
    b.put_empty(name);
  }
}

void put_process_block(EventBuilder& b, const ProcessBlock& p, const GvisorContext& ctx, const DecoderLimits& limits) {
  // Scratch lists per thread, as in put_string_list: no allocation per event.
  thread_local std::vector<std::string_view> args, env;
  static const StringList kNone;
  auto clamp = [](std::string_view s, size_t max) { return s.substr(0, std::min(s.size(), max)); };
  constexpr size_t kPathMax = KESTREL_MAX_PATH - 1;
  ProcessBlockValues v;
  v.exe = clamp(p.exe, kPathMax);
  clamp_string_list(p.argv ? *p.argv : kNone, 1, limits, args);
  v.args = args;
  v.tid = p.tid;
  v.pid = p.pid;
  if (p.ptid > 0) v.ptid = p.ptid;
  if (!ctx.cwd.empty()) v.cwd = clamp(ctx.cwd, kPathMax);
  std::string_view comm = p.comm.empty() ? ctx.process_name : p.comm;
  if (!comm.empty()) v.comm = clamp(comm, 255);
  if (p.env) {
    clamp_string_list(*p.env, 0, limits, env);
    v.env = env;
  }
  v.exe_flags = p.exe_flags;
  // tty, pgid, sid, loginuid, capabilities, cgroups: not in gVisor points. vtid, vpid: the sandbox is the pid namespace.
  v.vtid = p.tid;
  v.vpid = p.pid;
  if (ctx.has_credentials) {
    v.uid = ctx.ruid;
    v.euid = ctx.euid;
    v.gid = ctx.rgid;
    v.egid = ctx.egid;
  }
  if (p.start_ts > 0) v.start_ts = p.start_ts;
  if (!p.exepath.empty()) v.exepath = clamp(p.exepath, kPathMax);
  kestrel::put_process_block(b, v);
}

std::string_view comm_of(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return base.substr(0, std::min<size_t>(base.size(), 15));  // TASK_COMM_LEN - 1
}

uint16_t pick_event(uint64_t sysno, uint16_t message_type) {
  const PointRow* row = point_row(message_type);
  if (row == nullptr || row->events.empty()) return KE_NONE;  // a converter/table bug: the builder reports it
  uint16_t t = SysnoMap::native().event_for(sysno);
  for (uint16_t a : row->events)
    if (a == t) return t;
  return row->events[0];
}

}  // namespace kestrel::gvisor
