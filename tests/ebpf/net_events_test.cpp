// Live tests of the eBPF source: they load the real probe into this kernel
// and run real workloads. They must run as root on a kernel with BTF; if
// the probe cannot load they FAIL (a silent skip would hide a broken probe).
// This file: sockets, TCP over loopback, unix sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

TEST_F(EbpfLive, LoopbackTcpConnectAndAccept) {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  uint16_t server_port = ntohs(addr.sin_port);

  int cfd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(cfd, 0);
  ASSERT_EQ(::connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  sockaddr_in local{};
  len = sizeof(local);
  ASSERT_EQ(getsockname(cfd, reinterpret_cast<sockaddr*>(&local), &len), 0);
  uint16_t client_port = ntohs(local.sin_port);
  int afd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(afd, 0);
  ::close(afd);
  ::close(cfd);
  ::close(lfd);

  auto events = collect(*source_, {static_cast<uint32_t>(getpid())}, [&](const std::vector<OwnedEvent>& ev) {
    return count_type(ev, KE_ACCEPT4) > 0 && count_type(ev, KE_CONNECT) > 0;
  });
  // tuple = family, sip[4], sport, dip[4], dport (client -> server).
  auto tuple = [](uint16_t sport, uint16_t dport) {
    std::vector<uint8_t> t = {KESTREL_AF_INET, 127, 0, 0, 1, 0, 0, 127, 0, 0, 1, 0, 0};
    std::memcpy(&t[5], &sport, 2);
    std::memcpy(&t[11], &dport, 2);
    return t;
  };
  auto connects = of_type(events, KE_CONNECT);
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0]->i(KP_CONNECT_res), 0);
  EXPECT_EQ(connects[0]->i(KP_CONNECT_fd), cfd);
  EXPECT_EQ(connects[0]->raw(KP_CONNECT_tuple), tuple(client_port, server_port));
  std::vector<uint8_t> want_addr = {KESTREL_AF_INET, 127, 0, 0, 1, 0, 0};
  std::memcpy(&want_addr[5], &server_port, 2);
  EXPECT_EQ(connects[0]->raw(KP_CONNECT_addr), want_addr);

  auto accepts = of_type(events, KE_ACCEPT4);
  ASSERT_EQ(accepts.size(), 1u);
  EXPECT_EQ(accepts[0]->i(KP_ACCEPT4_fd), afd);
  EXPECT_EQ(accepts[0]->i(KP_ACCEPT4_listen_fd), lfd);
  EXPECT_EQ(accepts[0]->raw(KP_ACCEPT4_tuple), tuple(client_port, server_port));
  EXPECT_EQ(accepts[0]->i(KP_ACCEPT4_flags), SOCK_CLOEXEC);

  bool bound = false, listened = false;
  for (const auto& e : events) {
    if (e.type() == KE_BIND && e.i(KP_BIND_fd) == lfd) {
      bound = true;
      EXPECT_EQ(e.i(KP_BIND_res), 0);
      std::vector<uint8_t> any_port = {KESTREL_AF_INET, 127, 0, 0, 1, 0, 0};
      EXPECT_EQ(e.raw(KP_BIND_addr), any_port);
    }
    if (e.type() == KE_LISTEN && e.i(KP_LISTEN_fd) == lfd) {
      listened = true;
      EXPECT_EQ(e.i(KP_LISTEN_backlog), 4);
    }
  }
  EXPECT_TRUE(bound);
  EXPECT_TRUE(listened);
  EXPECT_GE(count_type(events, KE_SOCKET), 2u);
}

TEST_F(EbpfLive, UnixSocketConnectCarriesTheServerPath) {
  std::string path = temp_path("sock");
  ::unlink(path.c_str());
  int lfd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 1), 0);
  int cfd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(cfd);
  ::close(lfd);
  ::unlink(path.c_str());
  auto events = collect(*source_, {static_cast<uint32_t>(getpid())},
                        [&](const std::vector<OwnedEvent>& ev) { return count_type(ev, KE_CONNECT) > 0; });
  auto connects = of_type(events, KE_CONNECT);
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0]->i(KP_CONNECT_res), 0);
  // tuple: family, u64 source, u64 dest, path.
  std::vector<uint8_t> tuple = connects[0]->raw(KP_CONNECT_tuple);
  ASSERT_GT(tuple.size(), 17u);
  EXPECT_EQ(tuple[0], KESTREL_AF_UNIX);
  uint64_t src = 0, dst = 0;
  std::memcpy(&src, &tuple[1], 8);
  std::memcpy(&dst, &tuple[9], 8);
  EXPECT_NE(src, 0u);
  EXPECT_NE(dst, 0u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&tuple[17])), path);
  std::vector<uint8_t> sa = connects[0]->raw(KP_CONNECT_addr);
  ASSERT_FALSE(sa.empty());
  EXPECT_EQ(sa[0], KESTREL_AF_UNIX);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&sa[1])), path);
}

TEST_F(EbpfLive, Ipv6LoopbackConnectTuple) {
  int lfd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (lfd < 0) GTEST_SKIP() << "no IPv6 on this host";
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(lfd);
    GTEST_SKIP() << "no IPv6 loopback on this host";
  }
  ASSERT_EQ(::listen(lfd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int cfd = ::socket(AF_INET6, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  sockaddr_in6 local{};
  len = sizeof(local);
  ASSERT_EQ(getsockname(cfd, reinterpret_cast<sockaddr*>(&local), &len), 0);
  ::close(cfd);
  ::close(lfd);
  auto events = collect(*source_, {static_cast<uint32_t>(getpid())},
                        [&](const std::vector<OwnedEvent>& ev) { return count_type(ev, KE_CONNECT) > 0; });
  auto connects = of_type(events, KE_CONNECT);
  ASSERT_EQ(connects.size(), 1u);
  // family, sip[16], sport, dip[16], dport
  std::vector<uint8_t> want(37, 0);
  want[0] = KESTREL_AF_INET6;
  std::memcpy(&want[1], &in6addr_loopback, 16);
  uint16_t sport = ntohs(local.sin6_port), dport = ntohs(addr.sin6_port);
  std::memcpy(&want[17], &sport, 2);
  std::memcpy(&want[19], &in6addr_loopback, 16);
  std::memcpy(&want[35], &dport, 2);
  EXPECT_EQ(connects[0]->raw(KP_CONNECT_tuple), want);
  std::vector<uint8_t> sa = connects[0]->raw(KP_CONNECT_addr);
  ASSERT_EQ(sa.size(), 19u);
  EXPECT_EQ(sa[0], KESTREL_AF_INET6);
}

}  // namespace
}  // namespace kestrel::testing
