// seqpacket_client.h — a plain client of the gVisor monitoring socket, as
// a (possibly hostile) peer would open one.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace kestrel::testing {

// A connected SOCK_SEQPACKET socket, or -1. connect() completes as soon as
// the server's backlog takes it (before accept).
inline int connect_to(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace kestrel::testing
