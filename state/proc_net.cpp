#include "state/proc_net.h"

#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "sources/event/event_builder.h"
#include "sources/event/sockaddr.h"
#include "state/proc_io.h"

namespace kestrel {
namespace {

constexpr int kTcpListen = 0x0A;
constexpr uint32_t kSoAcceptCon = 0x10000;  // __SO_ACCEPTCON in /proc/net/unix flags

std::vector<std::string_view> split_ws(std::string_view s, size_t max_fields) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size() && out.size() < max_fields) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

template <typename T>
bool hex(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

template <typename T>
bool dec(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
  return ec == std::errc() && end == s.data() + s.size();
}

// "0100007F:1F90" -> address bytes in network order, port. The kernel
// prints each 32-bit word of the address in host order, so converting each
// word back and storing it as-is yields the network-order bytes.
bool parse_endpoint(std::string_view s, bool ipv6, uint8_t ip[16], uint16_t& port) {
  size_t colon = s.find(':');
  size_t ip_hex = ipv6 ? 32 : 8;
  if (colon != ip_hex || !hex(s.substr(colon + 1), port)) return false;
  for (size_t w = 0; w < ip_hex / 8; ++w) {
    uint32_t word = 0;
    if (!hex(s.substr(w * 8, 8), word)) return false;
    std::memcpy(ip + 4 * w, &word, 4);
  }
  return true;
}

template <typename Fn>
void for_each_line_after_header(std::string_view text, Fn&& fn) {
  size_t pos = text.find('\n');
  while (pos != std::string_view::npos && pos + 1 < text.size()) {
    size_t next = text.find('\n', pos + 1);
    std::string_view line = text.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    if (!line.empty()) fn(line);
    pos = next;
  }
}

}  // namespace

void parse_proc_net_inet(std::string_view text, bool ipv6, uint8_t l4proto, ProcSocketMap& out) {
  for_each_line_after_header(text, [&](std::string_view line) {
    auto f = split_ws(line, 10);
    uint8_t lip[16] = {}, rip[16] = {};
    uint16_t lport = 0, rport = 0;
    int state = 0;
    uint64_t inode = 0;
    if (f.size() < 10 || !parse_endpoint(f[1], ipv6, lip, lport) || !parse_endpoint(f[2], ipv6, rip, rport) ||
        !hex(f[3], state) || !dec(f[9], inode) || inode == 0)
      return;
    ProcSocket s;
    s.type = ipv6 ? FdType::kIpv6 : FdType::kIpv4;
    s.l4proto = l4proto;
    s.listening = l4proto == IPPROTO_TCP && state == kTcpListen;
    static const uint8_t kAny[16] = {};
    bool connected = rport != 0 || std::memcmp(rip, kAny, sizeof rip) != 0;
    if (connected) {
      s.tuple = ipv6 ? encode_tuple_in6(lip, lport, rip, rport) : encode_tuple_in(lip, lport, rip, rport);
      s.name = decode_socktuple(s.tuple)->to_string();
    } else {
      s.tuple = ipv6 ? encode_tuple_in6(kAny, 0, lip, lport) : encode_tuple_in(kAny, 0, lip, lport);
      s.name = decode_sockaddr(ipv6 ? encode_sockaddr_in6(lip, lport) : encode_sockaddr_in(lip, lport))->to_string();
    }
    out[inode] = std::move(s);
  });
}

void parse_proc_net_unix(std::string_view text, ProcSocketMap& out) {
  for_each_line_after_header(text, [&](std::string_view line) {
    // Num RefCount Protocol Flags Type St Inode [Path]; the path may hold spaces.
    auto f = split_ws(line, 7);
    uint64_t num = 0, inode = 0;
    uint32_t flags = 0;
    if (f.size() < 7 || f[0].empty() || !hex(f[0].substr(0, f[0].size() - 1), num) || !hex(f[3], flags) ||
        !dec(f[6], inode) || inode == 0)
      return;
    std::string_view path = line.substr(static_cast<size_t>(f[6].data() + f[6].size() - line.data()));
    size_t start = path.find_first_not_of(' ');
    path = start == std::string_view::npos ? std::string_view() : path.substr(start);
    ProcSocket s;
    s.type = FdType::kUnix;
    s.name = std::string(path);
    // A literal "" rather than a null view: the encoder memcpy()s the path.
    s.tuple = encode_tuple_un(num, 0, path.empty() ? std::string_view("") : path);
    s.listening = flags & kSoAcceptCon;
    out[inode] = std::move(s);
  });
}

void parse_proc_net_netlink(std::string_view text, ProcSocketMap& out) {
  for_each_line_after_header(text, [&](std::string_view line) {
    auto f = split_ws(line, 10);
    uint64_t inode = 0;
    if (f.size() < 10 || !dec(f[9], inode) || inode == 0) return;
    ProcSocket s;
    s.type = FdType::kNetlink;
    out[inode] = std::move(s);
  });
}

ProcSocketMap read_proc_net(const std::string& net_dir) {
  ProcSocketMap out;
  struct Table {
    const char* file;
    bool ipv6;
    uint8_t l4proto;
  };
  static constexpr Table kInet[] = {
      {"tcp", false, IPPROTO_TCP}, {"tcp6", true, IPPROTO_TCP}, {"udp", false, IPPROTO_UDP}, {"udp6", true, IPPROTO_UDP}};
  for (const Table& t : kInet)
    if (auto text = read_text_file(net_dir + "/" + t.file, 64 << 20)) parse_proc_net_inet(*text, t.ipv6, t.l4proto, out);
  if (auto text = read_text_file(net_dir + "/unix", 64 << 20)) parse_proc_net_unix(*text, out);
  if (auto text = read_text_file(net_dir + "/netlink", 16 << 20)) parse_proc_net_netlink(*text, out);
  return out;
}

}  // namespace kestrel
