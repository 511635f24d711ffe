// fd.* extractors: the fd the event acts on (ExtractContext::fd()).
//
// Sockets: a stored tuple is client -> server (sources/abi). Falco's
// fd.cip/cport are its client side, fd.sip/sport its server side. The
// local/remote fields (lip, rip, lport, rport) need the fd's role: the
// thread table does not record it, so it is taken from the event (accept:
// server, connect: client) and otherwise from `listening`; a connected fd
// met on any other event is taken as a client (outbound connections are
// what rules about l/r ports look at). Documented limitation.
#include <netinet/in.h>

#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

V missing() { return V{}; }

bool is_socket(const FdInfo& f) {
  return f.type == FdType::kIpv4 || f.type == FdType::kIpv6 || f.type == FdType::kUnix;
}
bool is_ip(const FdInfo& f) { return f.type == FdType::kIpv4 || f.type == FdType::kIpv6; }

bool is_server(ExtractContext& c, const FdInfo& f) {
  uint16_t t = c.view().type();
  if (t == KE_ACCEPT || t == KE_ACCEPT4) return true;
  if (t == KE_CONNECT) return false;
  return f.listening;
}

std::optional<SockTuple> tuple_of(const FdInfo& f) {
  if (!is_ip(f) || f.tuple.empty()) return std::nullopt;
  auto t = decode_socktuple(f.tuple);
  if (!t || t->family == KESTREL_AF_UNIX) return std::nullopt;
  return t;
}

V fd_num(ExtractContext& c, const FieldRef&, Scratch&) {
  auto n = c.fd_number();
  return n ? V::int64(*n) : missing();
}
V fd_type(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  return f ? V::string(fd_type_name(f->type)) : missing();
}
V fd_typechar(ExtractContext& c, const FieldRef&, Scratch& s) {
  const FdInfo* f = c.fd();
  if (f == nullptr) return missing();
  s.text.assign(1, static_cast<char>(f->type));
  return V::string(s.text);
}
V fd_name(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  return f ? V::string(f->name) : missing();
}
// The path the process passed: the open-family event's own name param.
V fd_nameraw(ExtractContext& c, const FieldRef&, Scratch&) {
  int16_t p = param_roles(c.view().type()).path;
  if (p >= 0) {
    auto s = c.view().param_str(static_cast<uint16_t>(p));
    if (s) return V::string(*s);
  }
  const FdInfo* f = c.fd();
  return f ? V::string(f->name) : missing();
}

bool is_pathlike(const FdInfo& f) {
  return f.type == FdType::kFile || f.type == FdType::kDirectory || f.type == FdType::kMemfd;
}
V fd_directory(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  if (f == nullptr || !is_pathlike(*f)) return missing();
  std::string_view n = f->name;
  if (f->type == FdType::kDirectory) return V::string(n);
  size_t slash = n.rfind('/');
  if (slash == std::string_view::npos) return missing();
  return V::string(slash == 0 ? n.substr(0, 1) : n.substr(0, slash));
}
V fd_filename(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  if (f == nullptr || !is_pathlike(*f) || f->type == FdType::kDirectory) return missing();
  std::string_view n = f->name;
  size_t slash = n.rfind('/');
  return V::string(slash == std::string_view::npos ? n : n.substr(slash + 1));
}

enum class Side { kClient, kServer, kLocal, kRemote, kEither };

// The IP or port of one side of the fd's connection.
V endpoint(ExtractContext& c, Side side, bool want_port) {
  const FdInfo* f = c.fd();
  if (f == nullptr) return missing();
  auto t = tuple_of(*f);
  if (!t) return missing();
  bool client = side == Side::kClient;
  if (side == Side::kLocal || side == Side::kRemote) {
    bool server = is_server(c, *f);
    client = (side == Side::kLocal) != server;
  }
  if (side == Side::kEither) {
    V v = want_port ? V::uint64(t->sport) : V::address(t->sip);
    v.pair = true;
    v.u2 = t->dport;
    v.ip2 = t->dip;
    return v;
  }
  if (want_port) return V::uint64(client ? t->sport : t->dport);
  return V::address(client ? t->sip : t->dip);
}

V fd_cip(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kClient, false); }
V fd_sip(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kServer, false); }
V fd_lip(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kLocal, false); }
V fd_rip(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kRemote, false); }
V fd_ip(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kEither, false); }
V fd_cport(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kClient, true); }
V fd_sport(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kServer, true); }
V fd_lport(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kLocal, true); }
V fd_rport(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kRemote, true); }
V fd_port(ExtractContext& c, const FieldRef&, Scratch&) { return endpoint(c, Side::kEither, true); }

V fd_l4proto(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  if (f == nullptr || !is_ip(*f)) return missing();
  switch (f->l4proto) {
    case IPPROTO_TCP: return V::string("tcp");
    case IPPROTO_UDP: return V::string("udp");
    case IPPROTO_ICMP: case IPPROTO_ICMPV6: return V::string("icmp");
    default: return V::string("raw");
  }
}
V fd_sockfamily(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  if (f == nullptr || !is_socket(*f)) return missing();
  return V::string(f->type == FdType::kUnix ? "unix" : "ip");
}
V fd_is_server(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  if (f == nullptr || !is_socket(*f)) return missing();
  return V::boolean(is_server(c, *f));
}
V fd_connected(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  if (f == nullptr || !is_socket(*f)) return missing();
  return V::boolean(!f->tuple.empty() && !f->listening);
}
// Kestrel's state updater applies the event before rules run and keeps no
// "name changed" mark; Falco's meaning (this event renamed the fd) is
// approximated as false.
V fd_name_changed(ExtractContext& c, const FieldRef&, Scratch&) {
  return c.fd() ? V::boolean(false) : missing();
}
V fd_ino(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  return f && f->ino ? V::int64(static_cast<int64_t>(f->ino)) : missing();
}
V fd_dev(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  return f ? V::uint64(f->dev) : missing();
}
// Kernel dev_t encoding (MKDEV: 20-bit minor).
V fd_dev_major(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  return f ? V::uint64(f->dev >> 20) : missing();
}
V fd_dev_minor(ExtractContext& c, const FieldRef&, Scratch&) {
  const FdInfo* f = c.fd();
  return f ? V::uint64(f->dev & 0xfffff) : missing();
}

// The field table: one row per field, its extractor beside its metadata
// (kNotFilled: a field rules may name that Kestrel does not fill yet).
using T = FieldType;
using A = FieldArg;
constexpr bool Y = true;
constexpr bool N = false;

constexpr FieldInfo kFdFields[] = {
    {"fd.num", T::kInt64, A::kNone, N, N, fd_num, "unique number identifying the fd"},
    {"fd.type", T::kString, A::kNone, N, N, fd_type, "type of fd: file, directory, ipv4, ipv6, unix, pipe, event…"},
    {"fd.typechar", T::kString, A::kNone, N, N, fd_typechar, "type of fd as one letter"},
    {"fd.name", T::kPath, A::kNone, N, N, fd_name, "full name: path, tuple, socket path…"},
    {"fd.directory", T::kPath, A::kNone, N, N, fd_directory, "directory of the file"},
    {"fd.filename", T::kString, A::kNone, N, N, fd_filename, "file name without the directory"},
    {"fd.ip", T::kIpAddr, A::kNone, N, N, fd_ip, "client or server IP (filter only)"},
    {"fd.cip", T::kIpAddr, A::kNone, N, N, fd_cip, "client IP"},
    {"fd.sip", T::kIpAddr, A::kNone, N, N, fd_sip, "server IP"},
    {"fd.lip", T::kIpAddr, A::kNone, N, N, fd_lip, "local IP"},
    {"fd.rip", T::kIpAddr, A::kNone, N, N, fd_rip, "remote IP"},
    {"fd.port", T::kPort, A::kNone, N, N, fd_port, "client or server port (filter only)"},
    {"fd.cport", T::kPort, A::kNone, N, N, fd_cport, "client port"},
    {"fd.sport", T::kPort, A::kNone, N, N, fd_sport, "server port"},
    {"fd.lport", T::kPort, A::kNone, N, N, fd_lport, "local port"},
    {"fd.rport", T::kPort, A::kNone, N, N, fd_rport, "remote port"},
    {"fd.l4proto", T::kString, A::kNone, N, N, fd_l4proto, "IP protocol: tcp, udp, icmp, raw"},
    {"fd.sockfamily", T::kString, A::kNone, N, N, fd_sockfamily, "socket family: ip or unix"},
    {"fd.is_server", T::kBool, A::kNone, N, N, fd_is_server, "true if the process owning the fd is the server"},
    {"fd.uid", T::kString, A::kNone, N, N, kNotFilled, "unique fd id (tid + fd)"},
    {"fd.containername", T::kString, A::kNone, N, N, kNotFilled, "container name + fd name"},
    {"fd.containerdirectory", T::kString, A::kNone, N, N, kNotFilled, "container name + directory"},
    {"fd.proto", T::kPort, A::kNone, N, N, kNotFilled, "client or server protocol (filter only)"},
    {"fd.cproto", T::kString, A::kNone, N, N, kNotFilled, "client protocol"},
    {"fd.sproto", T::kString, A::kNone, N, N, kNotFilled, "server protocol"},
    {"fd.lproto", T::kString, A::kNone, N, N, kNotFilled, "local protocol"},
    {"fd.rproto", T::kString, A::kNone, N, N, kNotFilled, "remote protocol"},
    {"fd.net", T::kIpNet, A::kNone, N, N, fd_ip, "client or server network (filter only)"},
    {"fd.cnet", T::kIpNet, A::kNone, N, N, fd_cip, "client network"},
    {"fd.snet", T::kIpNet, A::kNone, N, N, fd_sip, "server network"},
    {"fd.lnet", T::kIpNet, A::kNone, N, N, fd_lip, "local network"},
    {"fd.rnet", T::kIpNet, A::kNone, N, N, fd_rip, "remote network"},
    {"fd.connected", T::kBool, A::kNone, N, N, fd_connected, "true for connected sockets"},
    {"fd.name_changed", T::kBool, A::kNone, N, N, fd_name_changed, "true when the event changed the fd name"},
    {"fd.cip.name", T::kString, A::kNone, N, N, kNotFilled, "domain name of the client IP"},
    {"fd.sip.name", T::kString, A::kNone, N, N, kNotFilled, "domain name of the server IP"},
    {"fd.lip.name", T::kString, A::kNone, N, N, kNotFilled, "domain name of the local IP"},
    {"fd.rip.name", T::kString, A::kNone, N, N, kNotFilled, "domain name of the remote IP"},
    {"fd.dev", T::kUint64, A::kNone, N, N, fd_dev, "device number of the file"},
    {"fd.dev.major", T::kUint64, A::kNone, N, N, fd_dev_major, "major device number"},
    {"fd.dev.minor", T::kUint64, A::kNone, N, N, fd_dev_minor, "minor device number"},
    {"fd.ino", T::kInt64, A::kNone, N, N, fd_ino, "inode number of the file"},
    {"fd.nameraw", T::kPath, A::kNone, N, N, fd_nameraw, "name as passed by the process (not canonicalized)"},
    {"fd.types", T::kStringList, A::kIndex, N, N, kNotFilled, "types of the fds the event uses"},
};
constexpr FieldSet kFdSet{"fd", "file descriptor fields", kFdFields};

}  // namespace

std::string_view fd_type_name(FdType t) {
  switch (t) {
    case FdType::kFile: return "file";
    case FdType::kDirectory: return "directory";
    case FdType::kIpv4: return "ipv4";
    case FdType::kIpv6: return "ipv6";
    case FdType::kUnix: return "unix";
    case FdType::kPipe: return "pipe";
    case FdType::kEvent: return "event";
    case FdType::kSignalFd: return "signalfd";
    case FdType::kEventPoll: return "eventpoll";
    case FdType::kInotify: return "inotify";
    case FdType::kTimerFd: return "timerfd";
    case FdType::kNetlink: return "netlink";
    case FdType::kMemfd: return "memfd";
    case FdType::kBpf: return "bpf";
    case FdType::kUserfaultfd: return "userfaultfd";
    case FdType::kIoUring: return "io_uring";
    case FdType::kUnknown: break;
  }
  return "<unknown>";
}

const FieldSet& fd_field_set() { return kFdSet; }

}  // namespace kestrel::engine::eval
