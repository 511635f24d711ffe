#include "state/state_updater.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "tests/state/updater_fixture.h"

namespace kestrel {
namespace {

using test::child_proc;
using test::Proc;
using test::StateUpdaterTest;

TEST_F(StateUpdaterTest, ForkExecOpenCloseExit) {
  add_shell(100, 1);
  FdInfo history;
  history.fd = 5;
  history.type = FdType::kFile;
  history.name = "/home/alice/.bash_history";
  history.open_flags = O_RDONLY | O_CLOEXEC;
  table.put_fd(0, 100, history);

  // The parent's side of fork() arrives first and creates the child.
  feed(test::clone_event(KE_FORK, 100, 100, 101, child_proc(100, 100, 1), 0));
  const ThreadInfo* child = table.find(0, 101);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->pid, 101);
  EXPECT_EQ(child->ptid, 100);
  EXPECT_EQ(child->comm, "bash");
  EXPECT_EQ(child->cwd, "/home/alice");
  ASSERT_NE(fd(101, 5), nullptr) << "fork copies the fd table";

  // The child's own side refreshes it from its params.
  feed(test::clone_event(KE_FORK, 101, 101, 0, child_proc(101, 101, 100), 0));
  EXPECT_EQ(table.find(0, 101)->start_ts, 1111u);
  EXPECT_EQ(table.fd_count(0, 101), 4u) << "not copied twice";

  Proc cat = child_proc(101, 101, 100);
  cat.exe = "/usr/bin/cat";
  cat.args = {"-n", "notes.txt"};
  cat.comm = "cat";
  cat.env = {"HOME=/home/alice", "LANG=C"};
  cat.cap_eff = 0;
  cat.loginuid = 1000;
  cat.tty = 34816;
  feed(test::execve_event(101, 101, 0, cat));
  child = table.find(0, 101);
  EXPECT_EQ(child->comm, "cat");
  EXPECT_EQ(child->exe, "/usr/bin/cat");
  EXPECT_EQ(child->exepath, "/usr/bin/cat");
  EXPECT_EQ(child->args, (std::vector<std::string>{"-n", "notes.txt"}));
  EXPECT_EQ(child->env.size(), 2u);
  EXPECT_EQ(child->loginuid, 1000u);
  EXPECT_EQ(child->tty, 34816u);
  EXPECT_EQ(fd(101, 5), nullptr) << "O_CLOEXEC fd closed by execve";
  EXPECT_NE(fd(101, 1), nullptr);
  EXPECT_NE(fd(100, 5), nullptr) << "the parent keeps its own";

  feed(test::open_event(101, 101, 3, "notes.txt", O_RDONLY));
  ASSERT_NE(fd(101, 3), nullptr);
  EXPECT_EQ(fd(101, 3)->name, "/home/alice/notes.txt");
  EXPECT_EQ(fd(101, 3)->type, FdType::kFile);
  EXPECT_EQ(fd(101, 3)->ino, 4242u);
  feed(test::close_event(101, 101, 3));
  EXPECT_EQ(fd(101, 3), nullptr);

  feed(test::procexit_event(101, 101, 1));
  EXPECT_EQ(table.find(0, 101), nullptr);
  EXPECT_EQ(table.stats().processes, 1u);
  EXPECT_EQ(updater.stats().unknown_threads, 0u);
}

TEST_F(StateUpdaterTest, FailedExecChangesNothing) {
  add_shell(100, 1);
  Proc p = child_proc(100, 100, 1);
  p.exe = "/nonexistent";
  p.comm = "nonexistent";
  feed(test::execve_event(100, 100, -ENOENT, p));
  EXPECT_EQ(table.find(0, 100)->comm, "bash");
}

TEST_F(StateUpdaterTest, ExecResolvesExepathAndContainer) {
  add_shell(100, 1, "/opt/app");
  Proc p = child_proc(100, 100, 1);
  p.exe = "./run.sh";
  p.cwd = "/opt/app";
  p.comm = "run.sh";
  p.cgroups = {"0::/system.slice/docker-" + std::string(64, 'b') + ".scope"};
  feed(test::execve_event(100, 100, 0, p));
  const ThreadInfo* t = table.find(0, 100);
  EXPECT_EQ(t->exepath, "/opt/app/run.sh");
  EXPECT_EQ(t->container_id, std::string(12, 'b'));
  EXPECT_EQ(t->container_full_id, std::string(64, 'b'));
  EXPECT_EQ(t->container_type, "docker");

  // fexecve(): execveat(memfd, "", AT_EMPTY_PATH).
  feed(EventBuilder(KE_MEMFD_CREATE, 10, 100, 100)
           .put_int(KPARAM(MEMFD_CREATE, fd), 7)
           .put_str(KPARAM(MEMFD_CREATE, name), "payload")
           .put_int(KPARAM(MEMFD_CREATE, flags), 1 /*MFD_CLOEXEC*/)
           .finish_or_throw());
  ASSERT_NE(fd(100, 7), nullptr);
  EXPECT_EQ(fd(100, 7)->type, FdType::kMemfd);
  EXPECT_EQ(fd(100, 7)->name, "memfd:payload");
  Proc q = child_proc(100, 100, 1);
  q.exe = "payload";
  q.comm = "payload";
  q.cgroups = {"0::/user.slice/user-1000.slice/session-2.scope"};
  feed(test::execveat_event(100, 100, q, 7, "", 0x1000 /*AT_EMPTY_PATH*/));
  EXPECT_EQ(table.find(0, 100)->exepath, "memfd:payload");
  EXPECT_EQ(fd(100, 7), nullptr) << "MFD_CLOEXEC";
  EXPECT_EQ(table.find(0, 100)->container_id, "") << "no cgroups naming a container";
}

// Each clone and exec carries the cgroups; the entry's pairs follow them
// whether they changed or not (they are compared in place first), and the
// container follows them too.
TEST_F(StateUpdaterTest, CgroupsFollowEveryExecChangedOrNot) {
  add_shell(100, 1);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  const std::string docker = "/docker/" + std::string(64, 'c');
  Proc p = child_proc(100, 100, 1);
  p.cgroups = {"cpu=/", "memory=" + docker, "pids"};
  feed(test::execve_event(100, 100, 0, p));
  EXPECT_EQ(table.find(0, 100)->cgroups, (Pairs{{"cpu", "/"}, {"memory", docker}, {"", "pids"}}));
  EXPECT_EQ(table.find(0, 100)->container_id, std::string(12, 'c'));
  feed(test::execve_event(100, 100, 0, p));  // the same again
  EXPECT_EQ(table.find(0, 100)->cgroups, (Pairs{{"cpu", "/"}, {"memory", docker}, {"", "pids"}}));
  EXPECT_EQ(table.find(0, 100)->container_id, std::string(12, 'c'));
  p.cgroups = {"cpu=/", "memory=/user.slice"};  // one fewer, one changed
  feed(test::execve_event(100, 100, 0, p));
  EXPECT_EQ(table.find(0, 100)->cgroups, (Pairs{{"cpu", "/"}, {"memory", "/user.slice"}}));
  EXPECT_EQ(table.find(0, 100)->container_id, "");
  p.cgroups = {"cpu=/", "memory=/user.slice", "io=/"};  // one more
  feed(test::execve_event(100, 100, 0, p));
  EXPECT_EQ(table.find(0, 100)->cgroups, (Pairs{{"cpu", "/"}, {"memory", "/user.slice"}, {"io", "/"}}));
}

TEST_F(StateUpdaterTest, Dup2OverAnExistingFd) {
  add_shell(100, 1);
  feed(test::socket_event(100, 100, 3, AF_INET, SOCK_STREAM | SOCK_CLOEXEC));
  ASSERT_NE(fd(100, 3), nullptr);
  EXPECT_TRUE(fd(100, 3)->open_flags & O_CLOEXEC);

  feed(EventBuilder(KE_DUP2, 10, 100, 100)
           .put_int(KPARAM(DUP2, res), 1)
           .put_int(KPARAM(DUP2, oldfd), 3)
           .put_int(KPARAM(DUP2, newfd), 1)
           .finish_or_throw());
  ASSERT_NE(fd(100, 1), nullptr);
  EXPECT_EQ(fd(100, 1)->type, FdType::kIpv4) << "fd 1 now is the socket";
  EXPECT_EQ(fd(100, 1)->l4proto, IPPROTO_TCP);
  EXPECT_FALSE(fd(100, 1)->open_flags & O_CLOEXEC) << "dup2 clears close-on-exec";
  EXPECT_EQ(table.fd_count(0, 100), 4u);

  feed(EventBuilder(KE_DUP3, 10, 100, 100)
           .put_int(KPARAM(DUP3, res), 9)
           .put_int(KPARAM(DUP3, oldfd), 0)
           .put_int(KPARAM(DUP3, newfd), 9)
           .put_int(KPARAM(DUP3, flags), O_CLOEXEC)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 9)->name, "/dev/pts/0");
  EXPECT_TRUE(fd(100, 9)->open_flags & O_CLOEXEC);

  feed(EventBuilder(KE_FCNTL, 10, 100, 100)
           .put_int(KPARAM(FCNTL, res), 10)
           .put_int(KPARAM(FCNTL, fd), 2)
           .put_int(KPARAM(FCNTL, cmd), F_DUPFD_CLOEXEC)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 10)->name, "/dev/pts/0");
  EXPECT_TRUE(fd(100, 10)->open_flags & O_CLOEXEC);
  feed(EventBuilder(KE_FCNTL, 10, 100, 100)
           .put_int(KPARAM(FCNTL, res), 0)
           .put_int(KPARAM(FCNTL, fd), 2)
           .put_int(KPARAM(FCNTL, cmd), F_GETFL)
           .finish_or_throw());
  EXPECT_EQ(table.fd_count(0, 100), 6u) << "F_GETFL creates nothing";

  feed(EventBuilder(KE_DUP, 10, 100, 100)
           .put_int(KPARAM(DUP, res), 11)
           .put_int(KPARAM(DUP, oldfd), 42)
           .finish_or_throw());
  ASSERT_NE(fd(100, 11), nullptr);
  EXPECT_EQ(fd(100, 11)->type, FdType::kUnknown);
  EXPECT_EQ(updater.stats().unknown_fds, 1u);
}

TEST_F(StateUpdaterTest, RelativeOpenAfterChdir) {
  add_shell(100, 1, "/home/alice");
  ThreadInfo worker = *table.find(0, 100);
  worker.tid = 102;
  table.put(worker);
  feed(test::chdir_event(100, 100, "/tmp"));
  feed(test::chdir_event(100, 100, "../var/./log//"));
  EXPECT_EQ(table.find(0, 100)->cwd, "/var/log");
  EXPECT_EQ(table.find(0, 102)->cwd, "/var/log") << "threads share the cwd";
  feed(test::chdir_event(100, 100, "/nope", -ENOENT));
  EXPECT_EQ(table.find(0, 100)->cwd, "/var/log");
  feed(test::open_event(102, 100, 4, "nginx/../syslog", O_WRONLY | O_APPEND));
  ASSERT_NE(fd(100, 4), nullptr);
  EXPECT_EQ(fd(100, 4)->name, "/var/log/syslog");

  feed(test::openat_event(100, 100, 5, AT_FDCWD, "/etc", O_RDONLY | O_DIRECTORY));
  feed(EventBuilder(KE_FCHDIR, 10, 100, 100)
           .put_int(KPARAM(FCHDIR, res), 0)
           .put_int(KPARAM(FCHDIR, fd), 5)
           .finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->cwd, "/etc");
}

TEST_F(StateUpdaterTest, OpenatWithADirfd) {
  add_shell(100, 1, "/root");
  feed(test::openat_event(100, 100, 3, AT_FDCWD, "/etc", O_RDONLY | O_DIRECTORY));
  ASSERT_NE(fd(100, 3), nullptr);
  EXPECT_EQ(fd(100, 3)->type, FdType::kDirectory);
  feed(test::openat_event(100, 100, 4, 3, "ssl/../hosts", O_RDONLY));
  EXPECT_EQ(fd(100, 4)->name, "/etc/hosts");
  feed(test::openat_event(100, 100, 5, AT_FDCWD, "x", O_RDONLY));
  EXPECT_EQ(fd(100, 5)->name, "/root/x");
  // An absolute path ignores the dirfd, even an unknown one.
  feed(test::openat_event(100, 100, 6, 77, "/etc//shadow", O_RDONLY));
  EXPECT_EQ(fd(100, 6)->name, "/etc/shadow");
  EXPECT_EQ(updater.stats().unknown_fds, 0u);
  // A relative path against an unknown dirfd stays relative, and is counted.
  feed(test::openat_event(100, 100, 7, 77, "y", O_RDONLY));
  EXPECT_EQ(fd(100, 7)->name, "y");
  EXPECT_EQ(updater.stats().unknown_fds, 1u);
  // A failed open adds nothing.
  feed(test::openat_event(100, 100, -EACCES, AT_FDCWD, "/etc/sudoers", O_RDONLY));
  EXPECT_EQ(table.fd_count(0, 100), 8u);
}

TEST_F(StateUpdaterTest, ConnectStoresTheTuple) {
  add_shell(100, 1);
  feed(test::socket_event(100, 100, 3, AF_INET, SOCK_STREAM));
  EXPECT_EQ(fd(100, 3)->type, FdType::kIpv4);
  EXPECT_EQ(fd(100, 3)->l4proto, IPPROTO_TCP);
  const uint8_t local[4] = {10, 0, 0, 1}, remote[4] = {93, 184, 216, 34};
  auto tuple = encode_tuple_in(local, 40000, remote, 443);
  feed(EventBuilder(KE_CONNECT, 10, 100, 100)
           .put_int(KPARAM(CONNECT, res), 0)
           .put_int(KPARAM(CONNECT, fd), 3)
           .put_bytes(KPARAM(CONNECT, tuple), tuple)
           .put_bytes(KPARAM(CONNECT, addr), encode_sockaddr_in(remote, 443))
           .finish_or_throw());
  EXPECT_EQ(fd(100, 3)->name, "10.0.0.1:40000->93.184.216.34:443");
  EXPECT_EQ(fd(100, 3)->tuple, tuple);

  // Non-blocking connect in progress counts; a refused one does not.
  feed(test::socket_event(100, 100, 4, AF_INET6, SOCK_DGRAM));
  EXPECT_EQ(fd(100, 4)->type, FdType::kIpv6);
  EXPECT_EQ(fd(100, 4)->l4proto, IPPROTO_UDP);
  uint8_t l6[16] = {}, r6[16] = {};
  l6[15] = 1;
  r6[0] = 0x20, r6[1] = 0x01, r6[2] = 0x0d, r6[3] = 0xb8, r6[15] = 5;
  feed(EventBuilder(KE_CONNECT, 10, 100, 100)
           .put_int(KPARAM(CONNECT, res), -EINPROGRESS)
           .put_int(KPARAM(CONNECT, fd), 4)
           .put_bytes(KPARAM(CONNECT, tuple), encode_tuple_in6(l6, 5000, r6, 53))
           .put_empty(KPARAM(CONNECT, addr))
           .finish_or_throw());
  EXPECT_EQ(fd(100, 4)->name, "[::1]:5000->[2001:db8::5]:53");
  feed(test::socket_event(100, 100, 5, AF_INET, SOCK_STREAM));
  feed(EventBuilder(KE_CONNECT, 10, 100, 100)
           .put_int(KPARAM(CONNECT, res), -ECONNREFUSED)
           .put_int(KPARAM(CONNECT, fd), 5)
           .put_bytes(KPARAM(CONNECT, tuple), tuple)
           .put_empty(KPARAM(CONNECT, addr))
           .finish_or_throw());
  EXPECT_EQ(fd(100, 5)->name, "");

  // Other families.
  feed(test::socket_event(100, 100, 6, AF_UNIX, SOCK_STREAM));
  feed(EventBuilder(KE_CONNECT, 10, 100, 100)
           .put_int(KPARAM(CONNECT, res), 0)
           .put_int(KPARAM(CONNECT, fd), 6)
           .put_bytes(KPARAM(CONNECT, tuple), encode_tuple_un(0x1234, 0x5678, "/run/docker.sock"))
           .put_empty(KPARAM(CONNECT, addr))
           .finish_or_throw());
  EXPECT_EQ(fd(100, 6)->type, FdType::kUnix);
  EXPECT_EQ(fd(100, 6)->name, "/run/docker.sock");
  feed(test::socket_event(100, 100, 7, AF_NETLINK, SOCK_RAW));
  EXPECT_EQ(fd(100, 7)->type, FdType::kNetlink);
}

TEST_F(StateUpdaterTest, BindListenAccept) {
  add_shell(300, 1);
  feed(test::socket_event(300, 300, 3, AF_INET, SOCK_STREAM));
  const uint8_t any[4] = {0, 0, 0, 0};
  feed(EventBuilder(KE_BIND, 10, 300, 300)
           .put_int(KPARAM(BIND, res), 0)
           .put_int(KPARAM(BIND, fd), 3)
           .put_bytes(KPARAM(BIND, addr), encode_sockaddr_in(any, 8080))
           .finish_or_throw());
  EXPECT_EQ(fd(300, 3)->name, "0.0.0.0:8080");
  EXPECT_FALSE(fd(300, 3)->listening);
  feed(EventBuilder(KE_LISTEN, 10, 300, 300)
           .put_int(KPARAM(LISTEN, res), 0)
           .put_int(KPARAM(LISTEN, fd), 3)
           .put_int(KPARAM(LISTEN, backlog), 128)
           .put_empty(KPARAM(LISTEN, addr))
           .finish_or_throw());
  EXPECT_TRUE(fd(300, 3)->listening);
  EXPECT_EQ(fd(300, 3)->name, "0.0.0.0:8080");  // an empty addr keeps bind's name

  const uint8_t client[4] = {192, 168, 1, 7}, server[4] = {192, 168, 1, 2};
  auto tuple = encode_tuple_in(client, 51000, server, 8080);
  feed(EventBuilder(KE_ACCEPT4, 10, 300, 300)
           .put_int(KPARAM(ACCEPT4, fd), 4)
           .put_bytes(KPARAM(ACCEPT4, tuple), tuple)
           .put_int(KPARAM(ACCEPT4, listen_fd), 3)
           .put_int(KPARAM(ACCEPT4, flags), SOCK_CLOEXEC)
           .finish_or_throw());
  ASSERT_NE(fd(300, 4), nullptr);
  EXPECT_EQ(fd(300, 4)->type, FdType::kIpv4);
  EXPECT_EQ(fd(300, 4)->l4proto, IPPROTO_TCP);
  EXPECT_EQ(fd(300, 4)->name, "192.168.1.7:51000->192.168.1.2:8080");
  EXPECT_FALSE(fd(300, 4)->listening);
  EXPECT_TRUE(fd(300, 4)->open_flags & O_CLOEXEC);
}

TEST_F(StateUpdaterTest, PipesSocketpairsMemfds) {
  add_shell(100, 1);
  feed(EventBuilder(KE_PIPE2, 10, 100, 100)
           .put_int(KPARAM(PIPE2, res), 0)
           .put_int(KPARAM(PIPE2, fd1), 3)
           .put_int(KPARAM(PIPE2, fd2), 4)
           .put_int(KPARAM(PIPE2, ino), 777)
           .put_int(KPARAM(PIPE2, flags), O_CLOEXEC)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 3)->type, FdType::kPipe);
  EXPECT_EQ(fd(100, 4)->type, FdType::kPipe);
  EXPECT_EQ(fd(100, 4)->ino, 777u);
  EXPECT_EQ(fd(100, 4)->name, "pipe:[777]");
  EXPECT_TRUE(fd(100, 3)->open_flags & O_CLOEXEC);
  feed(EventBuilder(KE_SOCKETPAIR, 10, 100, 100)
           .put_int(KPARAM(SOCKETPAIR, res), 0)
           .put_int(KPARAM(SOCKETPAIR, fd1), 5)
           .put_int(KPARAM(SOCKETPAIR, fd2), 6)
           .put_int(KPARAM(SOCKETPAIR, domain), AF_UNIX)
           .put_int(KPARAM(SOCKETPAIR, type), SOCK_STREAM)
           .put_int(KPARAM(SOCKETPAIR, proto), 0)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 5)->type, FdType::kUnix);
  EXPECT_EQ(fd(100, 6)->type, FdType::kUnix);
}

TEST_F(StateUpdaterTest, AnonInodeFds) {
  add_shell(100, 1);
  feed(EventBuilder(KE_USERFAULTFD, 10, 100, 100)
           .put_int(KPARAM(USERFAULTFD, res), 3)
           .put_int(KPARAM(USERFAULTFD, flags), O_CLOEXEC)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 3)->type, FdType::kUserfaultfd);
  EXPECT_TRUE(fd(100, 3)->open_flags & O_CLOEXEC);
  feed(EventBuilder(KE_IO_URING_SETUP, 10, 100, 100)
           .put_int(KPARAM(IO_URING_SETUP, res), 4)
           .put_int(KPARAM(IO_URING_SETUP, entries), 8)
           .put_int(KPARAM(IO_URING_SETUP, sq_entries), 8)
           .put_int(KPARAM(IO_URING_SETUP, cq_entries), 16)
           .put_int(KPARAM(IO_URING_SETUP, flags), 0)
           .put_int(KPARAM(IO_URING_SETUP, sq_thread_cpu), 0)
           .put_int(KPARAM(IO_URING_SETUP, sq_thread_idle), 0)
           .put_int(KPARAM(IO_URING_SETUP, features), 0)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 4)->type, FdType::kIoUring);
  feed(EventBuilder(KE_BPF, 10, 100, 100)
           .put_int(KPARAM(BPF, fd), 5)
           .put_int(KPARAM(BPF, cmd), 5 /*BPF_PROG_LOAD*/)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 5)->type, FdType::kBpf);
  EXPECT_EQ(fd(100, 5)->name, "anon_inode:bpf-prog");
  // BPF_MAP_UPDATE_ELEM returns 0, which is not a new fd 0.
  feed(EventBuilder(KE_BPF, 10, 100, 100).put_int(KPARAM(BPF, fd), 0).put_int(KPARAM(BPF, cmd), 2).finish_or_throw());
  EXPECT_EQ(fd(100, 0)->name, "/dev/pts/0");

  feed(EventBuilder(KE_EVENTFD2, 10, 100, 100)
           .put_int(KPARAM(EVENTFD2, res), 6)
           .put_int(KPARAM(EVENTFD2, initval), 0)
           .put_int(KPARAM(EVENTFD2, flags), EFD_CLOEXEC | EFD_NONBLOCK)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 6)->type, FdType::kEvent);
  EXPECT_EQ(fd(100, 6)->open_flags, uint32_t{O_CLOEXEC});
  feed(EventBuilder(KE_TIMERFD_CREATE, 10, 100, 100)
           .put_int(KPARAM(TIMERFD_CREATE, res), 7)
           .put_int(KPARAM(TIMERFD_CREATE, clockid), CLOCK_MONOTONIC)
           .put_int(KPARAM(TIMERFD_CREATE, flags), 0)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 7)->type, FdType::kTimerFd);
  EXPECT_EQ(fd(100, 7)->open_flags, 0u);
  feed(EventBuilder(KE_INOTIFY_INIT1, 10, 100, 100)
           .put_int(KPARAM(INOTIFY_INIT1, res), 8)
           .put_int(KPARAM(INOTIFY_INIT1, flags), IN_CLOEXEC)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 8)->type, FdType::kInotify);
  feed(EventBuilder(KE_SIGNALFD4, 10, 100, 100)
           .put_int(KPARAM(SIGNALFD4, res), 9)
           .put_int(KPARAM(SIGNALFD4, fd), -1)
           .put_int(KPARAM(SIGNALFD4, mask), 1 << 16)
           .put_int(KPARAM(SIGNALFD4, flags), SFD_CLOEXEC)
           .finish_or_throw());
  EXPECT_EQ(fd(100, 9)->type, FdType::kSignalFd);
  EXPECT_TRUE(fd(100, 9)->open_flags & O_CLOEXEC);
  // Re-arming the same signalfd keeps the entry as it was.
  feed(EventBuilder(KE_SIGNALFD4, 10, 100, 100)
           .put_int(KPARAM(SIGNALFD4, res), 9)
           .put_int(KPARAM(SIGNALFD4, fd), 9)
           .put_int(KPARAM(SIGNALFD4, mask), 1 << 17)
           .put_int(KPARAM(SIGNALFD4, flags), 0)
           .finish_or_throw());
  EXPECT_TRUE(fd(100, 9)->open_flags & O_CLOEXEC);
  feed(EventBuilder(KE_EVENTFD, 10, 100, 100)
           .put_int(KPARAM(EVENTFD, res), -EMFILE)
           .put_int(KPARAM(EVENTFD, initval), 0)
           .finish_or_throw());
  EXPECT_EQ(table.fd_count(0, 100), 10u) << "a failed call adds nothing";
}

TEST_F(StateUpdaterTest, SetsidStartsASession) {
  add_shell(100, 1);
  table.get(0, 100)->sid = 7;
  feed(EventBuilder(KE_SETSID, 10, 100, 100).put_int(KPARAM(SETSID, res), -EPERM).finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->sid, 7);
  feed(EventBuilder(KE_SETSID, 10, 100, 100).put_int(KPARAM(SETSID, res), 100).finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->sid, 100);
  EXPECT_EQ(table.find(0, 100)->pgid, 100);
}

TEST_F(StateUpdaterTest, ThreadCloneSharesFds) {
  add_shell(200, 1);
  const uint32_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
  feed(test::clone_event(KE_CLONE, 200, 200, 201, child_proc(200, 200, 1), thread_flags));
  const ThreadInfo* th = table.find(0, 201);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->pid, 200);
  EXPECT_EQ(th->ptid, 1) << "a thread's parent is its process's parent";
  EXPECT_EQ(table.stats().processes, 1u);

  feed(test::open_event(201, 200, 7, "/srv/data.db", O_RDWR));
  EXPECT_NE(fd(200, 7), nullptr) << "the leader sees the thread's fd";
  EXPECT_NE(fd(201, 7), nullptr);

  // The child's side of a thread clone (clone3) joins the same process.
  Proc p = child_proc(202, 200, 1);
  feed(test::clone_event(KE_CLONE3, 202, 200, 0, p, thread_flags));
  EXPECT_NE(fd(202, 7), nullptr);
  EXPECT_EQ(table.stats().processes, 1u);

  // The leader exits first; the process lives on with its threads.
  feed(test::procexit_event(200, 200));
  EXPECT_TRUE(table.has_exited(0, 200));
  EXPECT_NE(fd(201, 7), nullptr);
  feed(test::procexit_event(201, 200));
  feed(test::procexit_event(202, 200));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.stats().processes, 0u);
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

// The eBPF probe reports a fork from the child's side only; until the child
// execs it runs the parent's image, so proc.exepath is the parent's.
using test::StateUpdaterTest;

// An engine worker's replica (app/engine_workers.h) copies no fds at a
// fork, from either side of it; the child is still made, and the parent
// keeps its own.
TEST_F(StateUpdaterTest, AForkCopiesNoFdsWhenTurnedOff) {
  add_shell(100, 1);
  updater.set_fork_copies_fds(false);
  feed(test::clone_event(KE_FORK, 100, 100, 101, child_proc(100, 100, 1), 0));
  ASSERT_NE(table.find(0, 101), nullptr);
  EXPECT_EQ(table.fd_count(0, 101), 0u);
  // The child's side first, for another child.
  feed(test::clone_event(KE_FORK, 102, 102, 0, child_proc(102, 102, 100), 0));
  ASSERT_NE(table.find(0, 102), nullptr);
  EXPECT_EQ(table.fd_count(0, 102), 0u);
  EXPECT_GT(table.fd_count(0, 100), 0u);
  updater.set_fork_copies_fds(true);
  feed(test::clone_event(KE_FORK, 100, 100, 103, child_proc(100, 100, 1), 0));
  EXPECT_EQ(table.fd_count(0, 103), table.fd_count(0, 100));
}

TEST_F(StateUpdaterTest, ForkedChildInheritsTheParentsExepath) {
  add_shell(100, 1);
  feed(test::clone_event(KE_FORK, 101, 101, 0, test::child_proc(101, 101, 100), 0));
  const ThreadInfo* child = table.find(0, 101);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->exepath, "/usr/bin/bash");
  // After exec the child's own image wins.
  test::Proc cat = test::child_proc(101, 101, 100);
  cat.exe = "/usr/bin/cat";
  cat.comm = "cat";
  feed(test::execve_event(101, 101, 0, cat));
  EXPECT_EQ(table.find(0, 101)->exepath, "/usr/bin/cat");
}

// A source that reports the resolved executable (the eBPF probe reads the
// kernel's mm->exe_file) is believed over argv[0]: a process started from
// $PATH, from a symlink, or with a forged argv[0] gets its real file.
TEST_F(StateUpdaterTest, ReportedExepathWinsOverArgv0) {
  add_shell(100, 1, "/tmp");
  test::Proc p = test::child_proc(100, 100, 1);
  p.exe = "ls";  // found via $PATH: deriving from cwd would say /tmp/ls
  p.cwd = "/tmp";
  p.comm = "ls";
  p.exepath = "/usr/bin/ls";
  feed(test::execve_event(100, 100, 0, p));
  EXPECT_EQ(table.find(0, 100)->exepath, "/usr/bin/ls");

  // A fork reporting its image keeps it; one that does not inherits it.
  test::Proc child = test::child_proc(101, 101, 100);
  child.exepath = "/usr/bin/ls";
  feed(test::clone_event(KE_FORK, 101, 101, 0, child, 0));
  EXPECT_EQ(table.find(0, 101)->exepath, "/usr/bin/ls");

  test::Proc forged = test::child_proc(101, 101, 100);
  forged.exe = "/usr/sbin/sshd";  // argv[0] says sshd
  forged.cwd = "/tmp";
  forged.comm = "sshd";
  forged.exepath = "/tmp/.x/miner";
  feed(test::execve_event(101, 101, 0, forged));
  EXPECT_EQ(table.find(0, 101)->exepath, "/tmp/.x/miner");
  EXPECT_EQ(table.find(0, 101)->exe, "/usr/sbin/sshd");
}

// The image's inode comes with the exec; a forked child runs the same image
// and inherits it; an exec whose source cannot see the file forgets the old
// image's values rather than keeping them.
TEST_F(StateUpdaterTest, ExecSetsTheImageInodeAndForksInheritIt) {
  add_shell(100, 1);
  test::Proc p = test::child_proc(100, 100, 1);
  p.exe = "/tmp/dropped";
  p.exe_ino = 4711;
  p.exe_ino_ctime = 1'700'000'000'000'000'001u;
  p.exe_ino_mtime = 1'690'000'000'000'000'002u;
  feed(test::execve_event(100, 100, 0, p));
  const ThreadInfo* t = table.find(0, 100);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->exe_ino, 4711u);
  EXPECT_EQ(t->exe_ino_ctime, 1'700'000'000'000'000'001u);
  EXPECT_EQ(t->exe_ino_mtime, 1'690'000'000'000'000'002u);

  feed(test::clone_event(KE_FORK, 101, 101, 0, test::child_proc(101, 101, 100), 0));
  const ThreadInfo* child = table.find(0, 101);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->exe_ino, 4711u);
  EXPECT_EQ(child->exe_ino_ctime, 1'700'000'000'000'000'001u);
  EXPECT_EQ(child->exe_ino_mtime, 1'690'000'000'000'000'002u);

  test::Proc unknown = test::child_proc(101, 101, 100);
  unknown.exe = "/usr/bin/cat";
  feed(test::execve_event(101, 101, 0, unknown));
  EXPECT_EQ(table.find(0, 101)->exe_ino, 0u);
  EXPECT_EQ(table.find(0, 101)->exe_ino_ctime, 0u);
  EXPECT_EQ(table.find(0, 101)->exe_ino_mtime, 0u);
  // execveat carries them after its own params.
  test::Proc at = test::child_proc(101, 101, 100);
  at.exe_ino = 99;
  at.exe_ino_ctime = 5;
  feed(test::execveat_event(101, 101, at, -100, "/usr/bin/id", 0));
  EXPECT_EQ(table.find(0, 101)->exe_ino, 99u);
  EXPECT_EQ(table.find(0, 101)->exe_ino_ctime, 5u);
}

}  // namespace
}  // namespace kestrel
