#include "gvisor/seccomp_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace kestrel::gvisor {
namespace {

TEST(SeccompConfine, ConfinedThreadCanReadSocketsButNotOpenFiles) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  ASSERT_EQ(send(sv[1], "hi", 2, 0), 2);
  struct Outcome {
    bool confined = false;
    ssize_t recv_n = -1;
    int open_rc = 0, open_errno = 0, socket_rc = 0, socket_errno = 0;
    bool allocated = false;
  } o;
  std::thread t([&] {
    o.confined = confine_parser_thread().ok();
    char buf[8];
    o.recv_n = recv(sv[0], buf, sizeof buf, 0);
    std::vector<std::string> lots(10000, std::string(100, 'x'));  // malloc still works
    o.allocated = lots.back().size() == 100;
    o.open_rc = open("/etc/hostname", O_RDONLY);
    o.open_errno = errno;
    o.socket_rc = socket(AF_INET, SOCK_STREAM, 0);
    o.socket_errno = errno;
  });
  t.join();
  EXPECT_TRUE(o.confined);
  EXPECT_EQ(o.recv_n, 2);
  EXPECT_TRUE(o.allocated);
  EXPECT_EQ(o.open_rc, -1);
  EXPECT_EQ(o.open_errno, EPERM);
  EXPECT_EQ(o.socket_rc, -1);
  EXPECT_EQ(o.socket_errno, EPERM);
  // Only that thread was confined.
  int fd = open("/etc/hostname", O_RDONLY);
  EXPECT_GE(fd, 0);
  if (fd >= 0) close(fd);
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace kestrel::gvisor
