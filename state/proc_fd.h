// proc_fd.h — what an fd is, from its /proc/PID/fd/N link text.
//
//   "/path"                  file (directory if the caller says so)
//   "/memfd:NAME (deleted)"  memfd, named "memfd:NAME" as memfd_create names it
//   "socket:[INODE]"         socket, completed from the netns socket tables
//   "pipe:[INODE]"           pipe
//   "anon_inode:[eventfd]", "anon_inode:[eventpoll]", "anon_inode:inotify",
//   "anon_inode:[signalfd]", "anon_inode:[timerfd]", "anon_inode:bpf-*",
//   "anon_inode:[userfaultfd]", "anon_inode:[io_uring]"   their fd types
// Anything else is kUnknown and keeps the link text as its name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "state/proc_net.h"
#include "state/thread_info.h"

namespace kestrel {

// The inode in "socket:[123]" / "pipe:[123]" after `prefix`, or nullopt.
std::optional<uint64_t> bracketed_inode(std::string_view link, std::string_view prefix);

// The FdInfo for fd `fd` whose link reads `link`. `sockets` (may be null)
// completes socket fds; an unmatched socket is kUnknown named by its link.
FdInfo classify_fd_link(int64_t fd, std::string_view link, bool is_directory, const ProcSocketMap* sockets);

}  // namespace kestrel
