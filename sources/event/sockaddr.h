// sockaddr.h — decoding SOCKADDR and SOCKTUPLE params into typed values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace kestrel {

// An IPv4 or IPv6 address in network order; v4 uses the first 4 bytes.
struct IpAddr {
  uint8_t family = 0;  // KESTREL_AF_INET or KESTREL_AF_INET6
  std::array<uint8_t, 16> bytes{};
  std::string to_string() const;
  bool operator==(const IpAddr&) const = default;
};

struct SockAddr {
  uint8_t family = 0;  // KESTREL_AF_*
  IpAddr ip;           // INET/INET6
  uint16_t port = 0;
  std::string path;    // UNIX
  std::string to_string() const;  // "1.2.3.4:80", "[::1]:80", "/run/x.sock"
};

struct SockTuple {
  uint8_t family = 0;
  IpAddr sip, dip;
  uint16_t sport = 0, dport = 0;
  std::string path;  // UNIX
  std::string to_string() const;  // "sip:sport->dip:dport" or the unix path
};

std::optional<SockAddr> decode_sockaddr(std::span<const uint8_t> p);
std::optional<SockTuple> decode_socktuple(std::span<const uint8_t> p);

}  // namespace kestrel
