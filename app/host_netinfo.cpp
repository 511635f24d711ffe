#include "app/host_netinfo.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstdio>

namespace kestrel {

std::string ipv6_as_libs_prints_it(const unsigned char bytes[16]) {
  std::string out;
  char group[8];
  for (int i = 0; i < 16; i += 2) {
    std::snprintf(group, sizeof group, "%x", (bytes[i] << 8) | bytes[i + 1]);
    out += (i ? ":" : "") + std::string(group);
  }
  return out;
}

HostNetinfo read_host_netinfo() {
  HostNetinfo out;
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (struct ifaddrs* ifa = list; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr || !ifa->ifa_name || std::string(ifa->ifa_name) == "lo") continue;
    if (ifa->ifa_addr->sa_family == AF_INET) {
      char text[INET_ADDRSTRLEN];
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
      if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) out[ifa->ifa_name].ipv4.push_back(text);
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr);
      out[ifa->ifa_name].ipv6.push_back(ipv6_as_libs_prints_it(sin6->sin6_addr.s6_addr));
    }
  }
  freeifaddrs(list);
  return out;
}

}  // namespace kestrel
