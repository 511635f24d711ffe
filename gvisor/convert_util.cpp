#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "gvisor/convert.h"
#include "gvisor/proto/syscall.pb.h"
#include "gvisor/sysno_map.h"

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

EventBuilder Emitter::builder(uint16_t type, const GvisorContext& ctx) {
  uint64_t ts = ctx.time_ns > 0 ? static_cast<uint64_t>(ctx.time_ns) : now_ns();
  return EventBuilder(type, ts, static_cast<uint32_t>(ctx.tid), static_cast<uint32_t>(ctx.tgid));
}

void Emitter::emit(const EventBuilder& b, const GvisorContext& ctx) {
  std::vector<uint8_t> rec = b.finish();
  if (ctx.container_id.empty() && !sandbox_.container_id.empty()) {
    // Raw syscall points of runsc 2022-12 carry no context at all; the
    // sandbox's container is still known.
    GvisorContext with_container = ctx;
    with_container.container_id = sandbox_.container_id;
    out_.append(rec, sandbox_.domain, with_container);
  } else {
    out_.append(rec, sandbox_.domain, ctx);
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
  EventBuilder b = builder(KE_CONTAINER, ctx);
  b.add_str(id).add_int(5 /* CONTAINER_TYPES gvisor */).add_empty().add_empty().add_empty();
  b.add_empty().add_empty().add_empty();
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

void add_result(EventBuilder& b, std::optional<int64_t> res) {
  if (res) b.add_int(*res);
  else b.add_empty();
}

void add_clamped(EventBuilder& b, std::string_view s, size_t max) {
  b.add_str(s.substr(0, std::min(s.size(), max)));
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void add_string_list(EventBuilder& b, const StringList& items, int first, const DecoderLimits& limits) {
  // One scratch list per thread: the decoder runs on one thread and this
  // avoids an allocation per event.
  thread_local std::vector<std::string_view> views;
  views.clear();
  size_t budget = KESTREL_MAX_ARGS_BYTES;
  for (int i = std::max(first, 0); i < items.size() && views.size() < limits.max_strings; ++i) {
    const std::string& s = items.Get(i);
    if (budget <= 1) break;
    size_t take = std::min(s.size(), budget - 1);  // keep room for the NUL
    views.emplace_back(s.data(), take);
    budget -= take + 1;
  }
  b.add_strings(views);
}

void add_sockaddr(EventBuilder& b, std::span<const uint8_t> raw) {
  if (raw.size() < 2) return void(b.add_empty());
  uint16_t family = load_u16_le(raw.data());
  if (family == kAfInet && raw.size() >= 8) {
    b.add_bytes(encode_sockaddr_in(raw.data() + 4, load_u16_be(raw.data() + 2)));
  } else if (family == kAfInet6 && raw.size() >= 24) {
    b.add_bytes(encode_sockaddr_in6(raw.data() + 8, load_u16_be(raw.data() + 2)));
  } else if (family == kAfUnix) {
    std::span<const uint8_t> path = raw.subspan(2, std::min(raw.size() - 2, kSunPathMax));
    // Abstract sockets start with a NUL; show them as "@name" like ss does.
    std::string name;
    if (!path.empty() && path[0] == 0) {
      name = "@";
      path = path.subspan(1);
    }
    for (uint8_t c : path) {
      if (c == 0) break;
      name.push_back(static_cast<char>(c));
    }
    b.add_bytes(encode_sockaddr_un(name));
  } else {
    b.add_empty();
  }
}

void add_tuple(EventBuilder& b, std::span<const uint8_t> remote, bool remote_is_server) {
  static const uint8_t kZero[16] = {};
  if (remote.size() < 2) return void(b.add_empty());
  uint16_t family = load_u16_le(remote.data());
  if (family == kAfInet && remote.size() >= 8) {
    const uint8_t* ip = remote.data() + 4;
    uint16_t port = load_u16_be(remote.data() + 2);
    b.add_bytes(remote_is_server ? encode_tuple_in(kZero, 0, ip, port) : encode_tuple_in(ip, port, kZero, 0));
  } else if (family == kAfInet6 && remote.size() >= 24) {
    const uint8_t* ip = remote.data() + 8;
    uint16_t port = load_u16_be(remote.data() + 2);
    b.add_bytes(remote_is_server ? encode_tuple_in6(kZero, 0, ip, port) : encode_tuple_in6(ip, port, kZero, 0));
  } else if (family == kAfUnix) {
    std::string name;
    for (size_t i = 2; i < remote.size() && i < 2 + kSunPathMax; ++i) {
      if (remote[i] == 0) {
        if (i == 2) { name.push_back('@'); continue; }
        break;
      }
      name.push_back(static_cast<char>(remote[i]));
    }
    b.add_bytes(encode_tuple_un(0, 0, name));
  } else {
    b.add_empty();
  }
}

void add_process_block(EventBuilder& b, const ProcessBlock& p, const GvisorContext& ctx,
                       const DecoderLimits& limits) {
  static const StringList kNone;
  add_clamped(b, p.exe);
  add_string_list(b, p.argv ? *p.argv : kNone, 1, limits);
  b.add_int(p.tid).add_int(p.pid);
  if (p.ptid > 0) b.add_int(p.ptid);
  else b.add_empty();
  if (ctx.cwd.empty()) b.add_empty();
  else add_clamped(b, ctx.cwd);
  std::string_view comm = p.comm.empty() ? ctx.process_name : p.comm;
  if (comm.empty()) b.add_empty();
  else add_clamped(b, comm, 255);
  if (p.env) add_string_list(b, *p.env, 0, limits);
  else b.add_empty();
  b.add_empty().add_empty().add_empty();  // tty, pgid, sid: not in gVisor points
  b.add_int(p.tid).add_int(p.pid);        // vtid, vpid: the sandbox is the namespace
  b.add_empty();                          // loginuid
  if (ctx.has_credentials) b.add_int(ctx.ruid).add_int(ctx.euid).add_int(ctx.rgid).add_int(ctx.egid);
  else b.add_empty().add_empty().add_empty().add_empty();
  b.add_empty().add_empty().add_empty();  // capabilities
  b.add_empty().add_empty();              // cgroups, exe_flags
  if (p.start_ts > 0) b.add_int(static_cast<int64_t>(p.start_ts));
  else b.add_empty();
  if (p.exepath.empty()) b.add_empty();
  else add_clamped(b, p.exepath);
}

std::string_view comm_of(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return base.substr(0, std::min<size_t>(base.size(), 15));  // TASK_COMM_LEN - 1
}

uint16_t pick_event(uint64_t sysno, std::initializer_list<uint16_t> allowed, uint16_t fallback) {
  uint16_t t = SysnoMap::native().event_for(sysno);
  for (uint16_t a : allowed)
    if (a == t) return t;
  return fallback;
}

}  // namespace kestrel::gvisor
