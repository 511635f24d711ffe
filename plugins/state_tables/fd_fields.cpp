#include "plugins/state_tables/fd_fields.h"

#include <cstddef>
#include <cstring>

#include "sources/abi/kestrel_event.h"
#include "sources/capture/scap_event_table.h"
#include "sources/capture/scap_fd_types.h"

namespace kestrel::plugin {
namespace {

enum Col : size_t {
  kType, kOpenFlags, kName, kNameRaw, kOldName, kFlags, kDev, kMountId, kIno, kPid, kFd,
  kV4Sip, kV4Dip, kV4Sport, kV4Dport, kV4Proto,
  kV6SipLow, kV6SipHigh, kV6DipLow, kV6DipHigh, kV6Sport, kV6Dport, kV6Proto,
  kV4ServerIp, kV4ServerPort, kV4ServerProto,
  kV6ServerIpLow, kV6ServerIpHigh, kV6ServerPort, kV6ServerProto,
  kUnixSrc, kUnixDest,
  kCount,
};

// Names and types as falcosecurity/libs' sinsp_fdinfo::get_static_fields
// defines them (the C++ member types of its DEFINE_STATIC_FIELDs).
constexpr FdColumn kColumns[] = {
    {"type", SS_PLUGIN_ST_UINT8, false},
    {"open_flags", SS_PLUGIN_ST_UINT32, false},
    {"name", SS_PLUGIN_ST_STRING, false},
    {"name_raw", SS_PLUGIN_ST_STRING, false},
    {"old_name", SS_PLUGIN_ST_STRING, false},
    {"flags", SS_PLUGIN_ST_UINT32, false},
    {"dev", SS_PLUGIN_ST_UINT32, false},
    {"mount_id", SS_PLUGIN_ST_UINT32, false},
    {"ino", SS_PLUGIN_ST_UINT64, false},
    {"pid", SS_PLUGIN_ST_INT64, false},
    {"fd", SS_PLUGIN_ST_INT64, true},
    {"socket_ipv4_src_ip", SS_PLUGIN_ST_UINT32, false},
    {"socket_ipv4_dest_dip", SS_PLUGIN_ST_UINT32, false},
    {"socket_ipv4_src_port", SS_PLUGIN_ST_UINT16, false},
    {"socket_ipv4_dst_port", SS_PLUGIN_ST_UINT16, false},
    {"socket_ipv4_l4_proto", SS_PLUGIN_ST_UINT8, false},
    {"socket_ipv6_src_ip_low", SS_PLUGIN_ST_UINT64, false},
    {"socket_ipv6_src_ip_high", SS_PLUGIN_ST_UINT64, false},
    {"socket_ipv6_dest_ip_low", SS_PLUGIN_ST_UINT64, false},
    {"socket_ipv6_dest_ip_high", SS_PLUGIN_ST_UINT64, false},
    {"socket_ipv6_src_port", SS_PLUGIN_ST_UINT16, false},
    {"socket_ipv6_dst_port", SS_PLUGIN_ST_UINT16, false},
    {"socket_ipv6_l4_proto", SS_PLUGIN_ST_UINT8, false},
    {"socket_ipv4_server_ip", SS_PLUGIN_ST_UINT32, false},
    {"socket_ipv4_server_port", SS_PLUGIN_ST_UINT16, false},
    {"socket_ipv4_server_l4_proto", SS_PLUGIN_ST_UINT8, false},
    {"socket_ipv6_server_ip_low", SS_PLUGIN_ST_UINT64, false},
    {"socket_ipv6_server_ip_high", SS_PLUGIN_ST_UINT64, false},
    {"socket_ipv6_server_port", SS_PLUGIN_ST_UINT16, false},
    {"socket_ipv6_server_l4_proto", SS_PLUGIN_ST_UINT8, false},
    {"socket_unix_src", SS_PLUGIN_ST_UINT64, false},
    {"socket_unix_dest", SS_PLUGIN_ST_UINT64, false},
};
static_assert(std::size(kColumns) == kCount, "one column per Col");

// Where each part of a field lives in FdInfo::tuple (the SOCKTUPLE
// encoding, kestrel_event.h). A listening socket's own address is the
// tuple's destination side (fd_events.cpp).
enum class Kind { kNone, kV4, kV6, kV4Server, kV6Server, kUnix };

Kind kind_of_column(size_t c) {
  if (c >= kV4Sip && c <= kV4Proto) return Kind::kV4;
  if (c >= kV6SipLow && c <= kV6Proto) return Kind::kV6;
  if (c >= kV4ServerIp && c <= kV4ServerProto) return Kind::kV4Server;
  if (c >= kV6ServerIpLow && c <= kV6ServerProto) return Kind::kV6Server;
  if (c >= kUnixSrc) return Kind::kUnix;
  return Kind::kNone;
}

Kind kind_of_fd(const FdInfo& f) {
  switch (f.type) {
    case FdType::kIpv4: return f.listening ? Kind::kV4Server : Kind::kV4;
    case FdType::kIpv6: return f.listening ? Kind::kV6Server : Kind::kV6;
    case FdType::kUnix: return Kind::kUnix;
    default: return Kind::kNone;
  }
}

uint8_t family_of(Kind k) {
  switch (k) {
    case Kind::kV4: case Kind::kV4Server: return KESTREL_AF_INET;
    case Kind::kV6: case Kind::kV6Server: return KESTREL_AF_INET6;
    case Kind::kUnix: return KESTREL_AF_UNIX;
    default: return 0;
  }
}

// (offset, size) in the tuple of a socket column's bytes; size 0 for the
// l4 protocols, which FdInfo keeps apart.
struct Span {
  size_t offset, size;
};
Span span_of(size_t c) {
  using T4 = kestrel_socktuple_in;
  using T6 = kestrel_socktuple_in6;
  switch (c) {
    case kV4Sip: return {offsetof(T4, saddr), 4};
    case kV4Dip: case kV4ServerIp: return {offsetof(T4, daddr), 4};
    case kV4Sport: return {offsetof(T4, sport), 2};
    case kV4Dport: case kV4ServerPort: return {offsetof(T4, dport), 2};
    case kV6SipLow: return {offsetof(T6, saddr), 8};
    case kV6SipHigh: return {offsetof(T6, saddr) + 8, 8};
    case kV6DipLow: case kV6ServerIpLow: return {offsetof(T6, daddr), 8};
    case kV6DipHigh: case kV6ServerIpHigh: return {offsetof(T6, daddr) + 8, 8};
    case kV6Sport: return {offsetof(T6, sport), 2};
    case kV6Dport: case kV6ServerPort: return {offsetof(T6, dport), 2};
    case kUnixSrc: return {1, 8};
    case kUnixDest: return {9, 8};
    default: return {0, 0};
  }
}

size_t tuple_size(Kind k) {
  switch (k) {
    case Kind::kV4: case Kind::kV4Server: return sizeof(kestrel_socktuple_in);
    case Kind::kV6: case Kind::kV6Server: return sizeof(kestrel_socktuple_in6);
    case Kind::kUnix: return 1 + 8 + 8 + 1;  // no path
    default: return 0;
  }
}

bool is_l4_column(size_t c) { return c == kV4Proto || c == kV6Proto || c == kV4ServerProto || c == kV6ServerProto; }

void read_socket(const FdInfo& f, size_t c, ss_plugin_state_data* out) {
  std::memset(out, 0, sizeof(*out));
  const Kind k = kind_of_column(c);
  if (kind_of_fd(f) != k) return;  // another kind of fd: 0 (see the header)
  if (is_l4_column(c)) {
    out->u8 = scap::scap_l4_of(f.l4proto);
    return;
  }
  const Span s = span_of(c);
  if (f.tuple.size() < s.offset + s.size || f.tuple.empty() || f.tuple[0] != family_of(k)) return;
  // Addresses keep their network-order bytes, ports are host order: both
  // are the tuple's bytes as they are.
  std::memcpy(out, f.tuple.data() + s.offset, s.size);
}

void write_socket(FdInfo& f, size_t c, const ss_plugin_state_data& in) {
  const Kind k = kind_of_column(c);
  // The fd becomes a socket of the column's kind, as libs' union would be.
  switch (k) {
    case Kind::kV4: f.type = FdType::kIpv4; f.listening = false; break;
    case Kind::kV6: f.type = FdType::kIpv6; f.listening = false; break;
    case Kind::kV4Server: f.type = FdType::kIpv4; f.listening = true; break;
    case Kind::kV6Server: f.type = FdType::kIpv6; f.listening = true; break;
    case Kind::kUnix: f.type = FdType::kUnix; break;
    case Kind::kNone: return;
  }
  if (is_l4_column(c)) {
    f.l4proto = scap::ip_proto_of(in.u8);
    return;
  }
  if (f.tuple.empty() || f.tuple[0] != family_of(k) || f.tuple.size() < tuple_size(k)) {
    f.tuple.assign(tuple_size(k), 0);
    f.tuple[0] = family_of(k);
  }
  const Span s = span_of(c);
  std::memcpy(f.tuple.data() + s.offset, &in, s.size);
}

}  // namespace

std::span<const FdColumn> fd_columns() { return kColumns; }

void read_fd_column(const FdInfo& f, size_t c, ss_plugin_state_data* out) {
  switch (c) {
    case kType: out->u8 = scap::scap_fd_type_of(f.type, f.listening); break;
    case kOpenFlags: out->u32 = scap::linux_open_flags_to_ppm(f.open_flags); break;
    case kName: out->str = f.name.c_str(); break;
    case kNameRaw: out->str = f.name_raw.c_str(); break;
    case kOldName: out->str = f.old_name.c_str(); break;
    case kFlags: out->u32 = f.flags; break;
    case kDev: out->u32 = f.dev; break;
    case kMountId: out->u32 = f.mount_id; break;
    case kIno: out->u64 = f.ino; break;
    case kPid: out->s64 = f.pid; break;
    case kFd: out->s64 = f.fd; break;
    default: read_socket(f, c, out); break;
  }
}

void write_fd_column(FdInfo& f, size_t c, const ss_plugin_state_data& in) {
  auto text = [&] { return std::string(in.str ? in.str : ""); };
  switch (c) {
    case kType:
      f.type = scap::kestrel_fd_type(in.u8);
      f.listening = in.u8 == scap::kFdIpv4ServSock || in.u8 == scap::kFdIpv6ServSock;
      break;
    case kOpenFlags: f.open_flags = scap::ppm_open_flags_to_linux(in.u32); break;
    case kName: f.name = text(); break;
    case kNameRaw: f.name_raw = text(); break;
    case kOldName: f.old_name = text(); break;
    case kFlags: f.flags = in.u32; break;
    case kDev: f.dev = in.u32; break;
    case kMountId: f.mount_id = in.u32; break;
    case kIno: f.ino = in.u64; break;
    case kPid: f.pid = in.s64; break;
    case kFd: break;  // the key: read-only, refused by the table
    default: write_socket(f, c, in); break;
  }
}

}  // namespace kestrel::plugin
