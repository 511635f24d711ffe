// host_netinfo.h — the machine's network interface addresses, for Falco's
// falco.host_netinfo.interfaces.<if>.protocols.<ipv4|ipv6>.addresses
// metrics fields. As libs lists them (its ifaddr list, from getifaddrs):
// every interface but "lo", its addresses in the kernel's order; IPv4
// dotted, IPv6 as eight hex groups without "::" compression (libs'
// addr_to_string: "fe80:0:0:0:9ac2:aaa4:22b3:f753").
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kestrel {

struct InterfaceAddresses {
  std::vector<std::string> ipv4;
  std::vector<std::string> ipv6;
};

// Interface name -> its addresses; interfaces without an address are absent.
using HostNetinfo = std::map<std::string, InterfaceAddresses>;

// Reads getifaddrs(); an error gives an empty map.
HostNetinfo read_host_netinfo();

// One IPv6 address (16 bytes, network order) as libs prints it.
std::string ipv6_as_libs_prints_it(const unsigned char bytes[16]);

}  // namespace kestrel
