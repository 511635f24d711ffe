// proc_net.h — sockets by inode, from /proc/net/{tcp,tcp6,udp,udp6,unix,netlink}.
//
// /proc/PID/fd only says "socket:[INODE]"; the socket's family, addresses
// and state are in the network namespace's tables, keyed by that inode.
// These parsers turn the tables into what an FdInfo needs. Endpoints follow
// the event convention (kestrel_event.h): a connected socket's tuple is
// local -> remote (the scan cannot tell client from server, like Falco's);
// a listening or unconnected one is 0.0.0.0:0 -> local (it is the server
// side of the tuples it will accept), named by its local "ip:port".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "state/thread_info.h"

namespace kestrel {

struct ProcSocket {
  FdType type = FdType::kUnknown;
  std::string name;
  std::vector<uint8_t> tuple;  // SOCKTUPLE encoding
  uint8_t l4proto = 0;
  bool listening = false;
};

using ProcSocketMap = std::unordered_map<uint64_t, ProcSocket>;  // by inode

// The text of /proc/net/tcp, tcp6, udp or udp6; `ipv6` and `l4proto`
// (IPPROTO_TCP/UDP) say which. Malformed lines are skipped.
void parse_proc_net_inet(std::string_view text, bool ipv6, uint8_t l4proto, ProcSocketMap& out);

// The text of /proc/net/unix. Listening = the __SO_ACCEPTCON flag.
void parse_proc_net_unix(std::string_view text, ProcSocketMap& out);

// The text of /proc/net/netlink (type 'n', no name).
void parse_proc_net_netlink(std::string_view text, ProcSocketMap& out);

// All the tables under `net_dir` (a /proc/PID/net or /proc/net); missing
// files are skipped.
ProcSocketMap read_proc_net(const std::string& net_dir);

}  // namespace kestrel
