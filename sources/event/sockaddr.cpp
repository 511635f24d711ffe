#include "sources/event/sockaddr.h"

#include <arpa/inet.h>

#include <cstddef>
#include <cstring>

extern "C" {
#include "sources/abi/kestrel_event.h"
}

// The byte layout every producer writes (kestrel_event.h); a change there
// that is not a new, appended encoding breaks every capture file.
static_assert(sizeof(kestrel_sockaddr_in) == 7 && offsetof(kestrel_sockaddr_in, port) == 5);
static_assert(sizeof(kestrel_sockaddr_in6) == 19 && offsetof(kestrel_sockaddr_in6, port) == 17);
static_assert(sizeof(kestrel_socktuple_in) == 13 && offsetof(kestrel_socktuple_in, sport) == 5 &&
              offsetof(kestrel_socktuple_in, daddr) == 7 && offsetof(kestrel_socktuple_in, dport) == 11);
static_assert(sizeof(kestrel_socktuple_in6) == 37 && offsetof(kestrel_socktuple_in6, sport) == 17 &&
              offsetof(kestrel_socktuple_in6, daddr) == 19 && offsetof(kestrel_socktuple_in6, dport) == 35);
static_assert(sizeof(kestrel_socktuple_un) == 17 && offsetof(kestrel_socktuple_un, dest) == 9);

namespace kestrel {
namespace {

size_t ip_len(uint8_t family) { return family == KESTREL_AF_INET ? 4 : family == KESTREL_AF_INET6 ? 16 : 0; }

IpAddr read_ip(uint8_t family, const uint8_t* p) {
  IpAddr ip;
  ip.family = family;
  std::memcpy(ip.bytes.data(), p, ip_len(family));
  return ip;
}

uint16_t read_port(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

std::string read_path(std::span<const uint8_t> p) {
  std::string s(reinterpret_cast<const char*>(p.data()), p.size());
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  return s;
}

std::string endpoint(const IpAddr& ip, uint16_t port) {
  if (ip.family == KESTREL_AF_INET6) return "[" + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ":" + std::to_string(port);
}

}  // namespace

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == KESTREL_AF_INET) inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  else if (family == KESTREL_AF_INET6) inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string SockAddr::to_string() const {
  if (family == KESTREL_AF_UNIX) return path;
  return endpoint(ip, port);
}

std::string SockTuple::to_string() const {
  if (family == KESTREL_AF_UNIX) return path;
  return endpoint(sip, sport) + "->" + endpoint(dip, dport);
}

std::optional<SockAddr> decode_sockaddr(std::span<const uint8_t> p) {
  if (p.empty()) return std::nullopt;
  SockAddr a;
  a.family = p[0];
  if (a.family == KESTREL_AF_UNIX) {
    a.path = read_path(p.subspan(1));
    return a;
  }
  size_t n = ip_len(a.family);
  if (n == 0 || p.size() < 1 + n + 2) return std::nullopt;
  a.ip = read_ip(a.family, p.data() + 1);
  a.port = read_port(p.data() + 1 + n);
  return a;
}

std::optional<SockTuple> decode_socktuple(std::span<const uint8_t> p) {
  if (p.empty()) return std::nullopt;
  SockTuple t;
  t.family = p[0];
  if (t.family == KESTREL_AF_UNIX) {
    if (p.size() < sizeof(kestrel_socktuple_un)) return std::nullopt;
    t.path = read_path(p.subspan(sizeof(kestrel_socktuple_un)));
    return t;
  }
  size_t n = ip_len(t.family);
  if (n == 0 || p.size() < 1 + 2 * (n + 2)) return std::nullopt;
  t.sip = read_ip(t.family, p.data() + 1);
  t.sport = read_port(p.data() + 1 + n);
  t.dip = read_ip(t.family, p.data() + 3 + n);
  t.dport = read_port(p.data() + 3 + 2 * n);
  return t;
}

}  // namespace kestrel
