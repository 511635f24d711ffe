// Live tests of the eBPF source: they load the real probe into this kernel
// and run real workloads. They must run as root on a kernel with BTF; if
// the probe cannot load they FAIL (a silent skip would hide a broken probe).
// This file: the KEF_IO events (read/write, vectors, send/recv).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

std::string data_of(const OwnedEvent& e, uint16_t param) {
  auto raw = e.raw(param);
  return std::string(raw.begin(), raw.end());
}

TEST_F(EbpfLive, WriteAndReadCarryTheirBytes) {
  std::string path = temp_path("io");
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  const std::string payload = "kestrel-io-payload";
  ASSERT_EQ(::write(fd, payload.data(), payload.size()), static_cast<ssize_t>(payload.size()));
  std::string big(1000, 'x');
  struct iovec iov[2] = {{big.data(), big.size()}, {const_cast<char*>(payload.data()), payload.size()}};
  ASSERT_EQ(::writev(fd, iov, 2), static_cast<ssize_t>(big.size() + payload.size()));
  char buf[64] = {};
  ASSERT_EQ(::pread(fd, buf, 10, 0), 10);
  ::close(fd);
  ::unlink(path.c_str());

  auto events = collect(*source_, {static_cast<uint32_t>(getpid())}, [&](const std::vector<OwnedEvent>& ev) {
    for (const auto& e : ev)
      if (e.type() == KE_PREAD64 && e.i(KP_PREAD64_fd) == fd) return true;
    return false;
  });
  const OwnedEvent *w = nullptr, *wv = nullptr, *pr = nullptr;
  for (const auto& e : events) {
    if (e.type() == KE_WRITE && e.i(KP_WRITE_fd) == fd) w = &e;
    if (e.type() == KE_WRITEV && e.i(KP_WRITEV_fd) == fd) wv = &e;
    if (e.type() == KE_PREAD64 && e.i(KP_PREAD64_fd) == fd) pr = &e;
  }
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->i(KP_WRITE_res), static_cast<int64_t>(payload.size()));
  EXPECT_EQ(w->i(KP_WRITE_size), static_cast<int64_t>(payload.size()));
  EXPECT_EQ(data_of(*w, KP_WRITE_data), payload);
  ASSERT_NE(wv, nullptr);
  EXPECT_EQ(wv->i(KP_WRITEV_size), static_cast<int64_t>(big.size() + payload.size()));
  // Data is capped at KESTREL_MAX_DATA_BYTES, from the first iovec.
  EXPECT_EQ(data_of(*wv, KP_WRITEV_data), std::string(KESTREL_MAX_DATA_BYTES, 'x'));
  ASSERT_NE(pr, nullptr);
  EXPECT_EQ(pr->i(KP_PREAD64_res), 10);
  EXPECT_EQ(pr->i(KP_PREAD64_pos), 0);
  EXPECT_EQ(data_of(*pr, KP_PREAD64_data), payload.substr(0, 10));
}

TEST_F(EbpfLive, UdpSendtoAndRecvfromOverLoopback) {
  int rx = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(rx, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(rx, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int tx = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(tx, 0);
  ASSERT_EQ(::connect(tx, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const char msg[] = "dns?";
  ASSERT_EQ(::sendto(tx, msg, 4, 0, nullptr, 0), 4);
  char buf[16];
  ASSERT_EQ(::recvfrom(rx, buf, sizeof(buf), 0, nullptr, nullptr), 4);
  ::close(tx);
  ::close(rx);
  auto events = collect(*source_, {static_cast<uint32_t>(getpid())}, [&](const std::vector<OwnedEvent>& ev) {
    return count_type(ev, KE_RECVFROM) > 0 && count_type(ev, KE_SENDTO) > 0;
  });
  auto sends = of_type(events, KE_SENDTO);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0]->i(KP_SENDTO_res), 4);
  EXPECT_EQ(data_of(*sends[0], KP_SENDTO_data), "dns?");
  std::vector<uint8_t> tuple = sends[0]->raw(KP_SENDTO_tuple);
  ASSERT_EQ(tuple.size(), 13u);
  EXPECT_EQ(tuple[0], KESTREL_AF_INET);
  uint16_t dport = 0;
  std::memcpy(&dport, &tuple[11], 2);
  EXPECT_EQ(dport, ntohs(addr.sin_port));
  auto recvs = of_type(events, KE_RECVFROM);
  ASSERT_EQ(recvs.size(), 1u);
  EXPECT_EQ(recvs[0]->i(KP_RECVFROM_res), 4);
  EXPECT_EQ(recvs[0]->i(KP_RECVFROM_size), 16);
  EXPECT_EQ(data_of(*recvs[0], KP_RECVFROM_data), "dns?");
}

}  // namespace
}  // namespace kestrel::testing
