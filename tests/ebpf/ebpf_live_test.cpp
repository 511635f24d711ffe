// Live tests of the eBPF source: they load the real probe into this kernel
// and run real workloads. They must run as root on a kernel with BTF; if
// the probe cannot load they FAIL (a silent skip would hide a broken probe).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <sched.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "tests/ebpf/live_capture.h"

namespace kestrel {
namespace {

using testing::collect;
using testing::count_type;
using testing::of_type;
using testing::OwnedEvent;

uint64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string temp_path(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("kestrel-ebpf-" + std::string(tag) + "-" + std::to_string(::getpid())))
      .string();
}

class EbpfLive : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EbpfOptions opt;
    opt.drop_own_events = false;  // the workloads run in this process
    opt.buffer_bytes = 4u << 20;
    source_ = new EbpfSource(opt);
    open_status_ = source_->open();
  }
  static void TearDownTestSuite() {
    delete source_;
    source_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(open_status_.ok()) << open_status_.to_string();
    EventTypeSet all;
    all.set();
    ASSERT_TRUE(source_->set_event_filter(all).ok());
    // Drop whatever earlier tests left behind.
    collect(*source_, {}, [](const auto&) { return false; }, std::chrono::milliseconds(30));
  }

  static EbpfSource* source_;
  static Status open_status_;
};

EbpfSource* EbpfLive::source_ = nullptr;
Status EbpfLive::open_status_;

TEST_F(EbpfLive, ReportsWhatItCanEmit) {
  const auto& caps = source_->capabilities();
  EXPECT_EQ(caps.name, "ebpf");
  EXPECT_TRUE(caps.live);
  for (uint16_t t : {KE_EXECVE, KE_CLONE, KE_PROCEXIT, KE_OPENAT, KE_CLOSE, KE_CONNECT, KE_ACCEPT4, KE_UNLINK,
                     KE_UNLINKAT, KE_MKDIR, KE_UMOUNT2, KE_SETUID, KE_PTRACE, KE_MMAP, KE_BPF, KE_SETNS})
    EXPECT_TRUE(caps.event_types.test(t)) << event_info(t).name;
  EXPECT_FALSE(caps.event_types.test(KE_READ));  // I/O events are not implemented
  EXPECT_EQ(source_->attached_event_types(), caps.event_types);
}

TEST_F(EbpfLive, InitialStateListsThisProcess) {
  std::vector<ThreadInfo> threads = source_->initial_state();
  const ThreadInfo* me = nullptr;
  for (const auto& t : threads)
    if (t.tid == getpid()) me = &t;
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(me->pid, getpid());
  EXPECT_EQ(me->ptid, getppid());
  EXPECT_EQ(me->comm, "ebpf_test");
}

TEST_F(EbpfLive, ForkExecExitOfAChild) {
  uint64_t t0 = realtime_ns();
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char* const argv[] = {const_cast<char*>("/bin/true"), const_cast<char*>("alpha"),
                          const_cast<char*>("beta gamma"), nullptr};
    execv("/bin/true", argv);
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  uint32_t c = static_cast<uint32_t>(child);
  auto events = collect(*source_, {c}, [&](const std::vector<OwnedEvent>& ev) {
    return count_type(ev, KE_PROCEXIT) > 0 && count_type(ev, KE_EXECVE) > 0;
  });
  uint64_t t1 = realtime_ns();

  // The child's side of the clone glibc's fork() makes.
  std::vector<const OwnedEvent*> clones = of_type(events, KE_CLONE);
  auto clone3 = of_type(events, KE_CLONE3);
  clones.insert(clones.end(), clone3.begin(), clone3.end());
  ASSERT_EQ(clones.size(), 1u);
  const OwnedEvent& cl = *clones[0];
  EXPECT_EQ(cl.tid(), c);
  EXPECT_EQ(cl.i(KP_CLONE_res), 0);
  EXPECT_EQ(cl.i(KP_CLONE_tid), child);
  EXPECT_EQ(cl.i(KP_CLONE_pid), child);
  EXPECT_EQ(cl.i(KP_CLONE_ptid), getpid());
  EXPECT_EQ(cl.i(KP_CLONE_flags) & 0xff, SIGCHLD);

  auto execs = of_type(events, KE_EXECVE);
  ASSERT_EQ(execs.size(), 1u);
  const OwnedEvent& ex = *execs[0];
  EXPECT_EQ(ex.tid(), c);
  EXPECT_EQ(ex.i(KP_EXECVE_res), 0);
  EXPECT_EQ(ex.s(KP_EXECVE_exe), "/bin/true");
  std::vector<uint8_t> want_args;
  for (const char* a : {"alpha", "beta gamma"}) want_args.insert(want_args.end(), a, a + strlen(a) + 1);
  EXPECT_EQ(ex.raw(KP_EXECVE_args), want_args);
  EXPECT_EQ(ex.i(KP_EXECVE_tid), child);
  EXPECT_EQ(ex.i(KP_EXECVE_pid), child);
  EXPECT_EQ(ex.i(KP_EXECVE_ptid), getpid());
  EXPECT_EQ(ex.s(KP_EXECVE_cwd), cwd);
  EXPECT_EQ(ex.s(KP_EXECVE_comm), "true");
  EXPECT_EQ(ex.i(KP_EXECVE_uid), static_cast<int64_t>(getuid()));
  EXPECT_EQ(ex.i(KP_EXECVE_euid), static_cast<int64_t>(geteuid()));
  EXPECT_EQ(ex.i(KP_EXECVE_gid), static_cast<int64_t>(getgid()));
  EXPECT_EQ(ex.i(KP_EXECVE_pgid), getpgrp());
  EXPECT_EQ(ex.i(KP_EXECVE_sid), getsid(0));
  EXPECT_EQ(ex.i(KP_EXECVE_vpid), child);  // this test runs in the host pid namespace
  EXPECT_NE(ex.i(KP_EXECVE_cap_effective), 0);  // root
  EXPECT_NE(ex.s(KP_EXECVE_env).find('='), std::string::npos);
  // cgroups: "controller=/path" entries, as /proc/PID/cgroup lists them.
  std::vector<uint8_t> cg = ex.raw(KP_EXECVE_cgroups);
  std::string cgroups(cg.begin(), cg.end());
  EXPECT_NE(cgroups.find("=/"), std::string::npos) << cgroups;
  uint64_t start = static_cast<uint64_t>(ex.i(KP_EXECVE_start_ts));
  EXPECT_GE(start + 1'000'000, t0);  // the boot clock -> epoch offset is within 1 ms
  EXPECT_LE(start, t1);
  EXPECT_GE(ex.view().ts() + 1'000'000, t0);
  EXPECT_LE(ex.view().ts(), t1);

  auto exits = of_type(events, KE_PROCEXIT);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]->tid(), c);
  EXPECT_EQ(exits[0]->i(KP_PROCEXIT_status), 0);
  EXPECT_EQ(exits[0]->i(KP_PROCEXIT_sig), 0);
  // Order: clone, then execve, then exit.
  EXPECT_LE(cl.view().ts(), ex.view().ts());
  EXPECT_LE(ex.view().ts(), exits[0]->view().ts());
}

TEST_F(EbpfLive, ThreadCreationAndExitAreSeenFromTheThread) {
  std::atomic<pid_t> thread_tid{0};
  std::thread t([&] { thread_tid = gettid(); });
  t.join();
  uint32_t tid = static_cast<uint32_t>(thread_tid.load());
  auto events = collect(*source_, {static_cast<uint32_t>(getpid())}, [&](const std::vector<OwnedEvent>& ev) {
    for (const auto& e : ev)
      if (e.type() == KE_PROCEXIT && e.tid() == tid) return true;
    return false;
  });
  const OwnedEvent* created = nullptr;
  for (const auto& e : events)
    if ((e.type() == KE_CLONE || e.type() == KE_CLONE3) && e.tid() == tid) created = &e;
  ASSERT_NE(created, nullptr) << "no clone event from the new thread";
  // KP_CLONE_* and KP_CLONE3_* agree on the block (sources/state/process_params.cpp).
  EXPECT_EQ(created->i(KP_CLONE_res), 0);
  EXPECT_EQ(created->i(KP_CLONE_tid), thread_tid.load());
  EXPECT_EQ(created->i(KP_CLONE_pid), getpid());
  EXPECT_EQ(created->tgid(), static_cast<uint32_t>(getpid()));
  uint16_t flags_idx = created->type() == KE_CLONE ? static_cast<uint16_t>(KP_CLONE_flags)
                                                  : static_cast<uint16_t>(KP_CLONE3_flags);
  EXPECT_TRUE(created->i(flags_idx) & CLONE_THREAD);
  EXPECT_EQ(created->s(KP_CLONE_comm), "ebpf_test");
  // A thread of a live group is reaped by its leader.
  for (const auto& e : events) {
    if (e.type() == KE_PROCEXIT && e.tid() == tid) {
      EXPECT_EQ(e.i(KP_PROCEXIT_reaper_tid), getpid());
    }
  }
}

TEST_F(EbpfLive, FailedExecveIsReportedWithItsError) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char* const argv[] = {const_cast<char*>("missing"), const_cast<char*>("--flag"), nullptr};
    execv("/nonexistent/kestrel-missing", argv);
    _exit(3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  auto events = collect(*source_, {static_cast<uint32_t>(child)}, [&](const std::vector<OwnedEvent>& ev) {
    return count_type(ev, KE_PROCEXIT) > 0;
  });
  auto execs = of_type(events, KE_EXECVE);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0]->i(KP_EXECVE_res), -ENOENT);
  EXPECT_EQ(execs[0]->s(KP_EXECVE_exe), "/nonexistent/kestrel-missing");
  EXPECT_EQ(execs[0]->s(KP_EXECVE_args), "--flag");
  auto exits = of_type(events, KE_PROCEXIT);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0]->i(KP_PROCEXIT_ret), 3);
  EXPECT_EQ(exits[0]->i(KP_PROCEXIT_status), 3 << 8);
}

TEST_F(EbpfLive, OpenatCloseAndUnlinkOfATempFile) {
  std::string path = temp_path("open");
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  ASSERT_EQ(::close(fd), 0);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  uint32_t me = static_cast<uint32_t>(getpid());
  auto unlinked = [&](const OwnedEvent& e) {
    return (e.type() == KE_UNLINK && e.s(KP_UNLINK_path) == path) ||
           (e.type() == KE_UNLINKAT && e.s(KP_UNLINKAT_name) == path);
  };
  auto events = collect(*source_, {me}, [&](const std::vector<OwnedEvent>& ev) {
    for (const auto& e : ev)
      if (unlinked(e)) return true;
    return false;
  });
  const OwnedEvent* open_ev = nullptr;
  const OwnedEvent* close_ev = nullptr;
  const OwnedEvent* unlink_ev = nullptr;
  for (const auto& e : events) {
    if (e.type() == KE_OPENAT && e.s(KP_OPENAT_name) == path) open_ev = &e;
    if (e.type() == KE_CLOSE && e.i(KP_CLOSE_fd) == fd && open_ev && !close_ev) close_ev = &e;
    if (unlinked(e)) unlink_ev = &e;
  }
  ASSERT_NE(open_ev, nullptr);
  EXPECT_EQ(open_ev->i(KP_OPENAT_fd), fd);
  EXPECT_EQ(open_ev->i(KP_OPENAT_dirfd), AT_FDCWD);
  EXPECT_EQ(open_ev->i(KP_OPENAT_flags), O_CREAT | O_WRONLY | O_CLOEXEC);
  EXPECT_EQ(open_ev->i(KP_OPENAT_mode), 0640);
  EXPECT_EQ(static_cast<uint64_t>(open_ev->i(KP_OPENAT_ino)), st.st_ino);
  EXPECT_EQ(static_cast<uint64_t>(open_ev->i(KP_OPENAT_dev)), st.st_dev);
  EXPECT_EQ(open_ev->tid(), static_cast<uint32_t>(gettid()));
  ASSERT_NE(close_ev, nullptr);
  EXPECT_EQ(close_ev->i(KP_CLOSE_res), 0);
  ASSERT_NE(unlink_ev, nullptr);
  EXPECT_EQ(unlink_ev->i(0), 0);  // res comes first in both unlink and unlinkat
}

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

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

using testing::collect;
using testing::count_type;
using testing::OwnedEvent;

TEST_F(EbpfLive, FilterAttachesOnlyTheSelectedTypes) {
  EventTypeSet only_openat;
  only_openat.set(KE_OPENAT);
  ASSERT_TRUE(source_->set_event_filter(only_openat).ok());
  EXPECT_EQ(source_->attached_event_types(), only_openat);
  // Detaching closes link fds, and close was still attached for some of
  // them: drain what the reconfiguration itself produced.
  collect(*source_, {}, [](const auto&) { return false; }, std::chrono::milliseconds(30));

  std::string dir = temp_path("filter-dir");
  ::rmdir(dir.c_str());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_EQ(::rmdir(dir.c_str()), 0);
  auto events = collect(*source_, {static_cast<uint32_t>(getpid())}, [&](const std::vector<OwnedEvent>& ev) {
    for (const auto& e : ev)
      if (e.type() == KE_OPENAT && e.s(KP_OPENAT_name) == dir) return true;
    return false;
  });
  EXPECT_EQ(count_type(events, KE_MKDIR) + count_type(events, KE_MKDIRAT), 0u);
  EXPECT_EQ(count_type(events, KE_RMDIR), 0u);
  EXPECT_EQ(count_type(events, KE_CLOSE), 0u);
  for (const auto& e : events) EXPECT_EQ(e.type(), KE_OPENAT) << e.view().info().name;
  EXPECT_GE(count_type(events, KE_OPENAT), 1u);

  // Widening the filter again attaches the programs back.
  only_openat.set(KE_MKDIR);
  ASSERT_TRUE(source_->set_event_filter(only_openat).ok());
  EXPECT_TRUE(source_->attached_event_types().test(KE_MKDIR));
}

// One real syscall per row; each must produce its event with the result
// the syscall returned and every param well-formed for its table type.
TEST_F(EbpfLive, EverySyscallRowIsWellFormed) {
  std::string base = temp_path("rows");
  std::string a = base + "-a", b = base + "-b", d = base + "-d", l = base + "-l";
  for (const auto& p : {a, b, l}) ::unlink(p.c_str());
  ::rmdir(d.c_str());

  struct Row {
    uint16_t type;
    int64_t res;
  };
  std::vector<Row> rows;
  // syscall() returns -1 and sets errno; events carry -errno.
  auto sys = [&](uint16_t type, long res) { rows.push_back({type, res == -1 ? -errno : res}); };
  int fd = static_cast<int>(syscall(SYS_open, a.c_str(), O_CREAT | O_RDWR, 0600));
  sys(KE_OPEN, fd);
  sys(KE_CREAT, syscall(SYS_creat, b.c_str(), 0600));
  int fd2 = static_cast<int>(rows.back().res);
  sys(KE_CLOSE, syscall(SYS_close, fd2));
  sys(KE_RENAME, syscall(SYS_rename, b.c_str(), l.c_str()));
  sys(KE_UNLINK, syscall(SYS_unlink, l.c_str()));
  sys(KE_LINK, syscall(SYS_link, a.c_str(), b.c_str()));
  sys(KE_UNLINKAT, syscall(SYS_unlinkat, AT_FDCWD, b.c_str(), 0));
  sys(KE_SYMLINK, syscall(SYS_symlink, a.c_str(), l.c_str()));
  sys(KE_SYMLINKAT, syscall(SYS_symlinkat, a.c_str(), AT_FDCWD, b.c_str()));
  sys(KE_RENAMEAT, syscall(SYS_renameat, AT_FDCWD, b.c_str(), AT_FDCWD, l.c_str()));
  sys(KE_RENAMEAT2, syscall(SYS_renameat2, AT_FDCWD, l.c_str(), AT_FDCWD, b.c_str(), 0));
  sys(KE_LINKAT, syscall(SYS_linkat, AT_FDCWD, a.c_str(), AT_FDCWD, l.c_str(), 0));
  sys(KE_CHMOD, syscall(SYS_chmod, a.c_str(), 0640));
  sys(KE_FCHMOD, syscall(SYS_fchmod, fd, 0600));
  sys(KE_FCHMODAT, syscall(SYS_fchmodat, AT_FDCWD, a.c_str(), 0644));
  sys(KE_MKDIR, syscall(SYS_mkdir, d.c_str(), 0700));
  sys(KE_CHDIR, syscall(SYS_chdir, d.c_str()));
  sys(KE_CHDIR, syscall(SYS_chdir, "/"));
  sys(KE_RMDIR, syscall(SYS_rmdir, d.c_str()));
  sys(KE_MKDIRAT, syscall(SYS_mkdirat, AT_FDCWD, d.c_str(), 0700));
  sys(KE_RMDIR, syscall(SYS_rmdir, d.c_str()));
  sys(KE_DUP, syscall(SYS_dup, fd));
  int dfd = static_cast<int>(rows.back().res);
  sys(KE_DUP2, syscall(SYS_dup2, fd, dfd));
  sys(KE_DUP3, syscall(SYS_dup3, fd, dfd, O_CLOEXEC));
  sys(KE_FCNTL, syscall(SYS_fcntl, dfd, F_GETFD));
  sys(KE_FCHDIR, syscall(SYS_fchdir, fd));  // not a directory: -ENOTDIR
  int pfds[2];
  sys(KE_PIPE, syscall(SYS_pipe, pfds));
  sys(KE_PIPE2, syscall(SYS_pipe2, pfds, O_CLOEXEC));
  sys(KE_MEMFD_CREATE, syscall(SYS_memfd_create, "kestrel-test", 0));
  sys(KE_SOCKET, syscall(SYS_socket, AF_INET6, SOCK_DGRAM, 0));
  int sv[2];
  sys(KE_SOCKETPAIR, syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv));
  sys(KE_SETUID, syscall(SYS_setuid, getuid()));
  sys(KE_SETGID, syscall(SYS_setgid, getgid()));
  sys(KE_SETREUID, syscall(SYS_setreuid, -1, -1));
  sys(KE_SETREGID, syscall(SYS_setregid, -1, -1));
  sys(KE_SETRESUID, syscall(SYS_setresuid, -1, -1, -1));
  sys(KE_SETRESGID, syscall(SYS_setresgid, -1, -1, -1));
  sys(KE_PRCTL, syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0));
  sys(KE_PTRACE, syscall(SYS_ptrace, PTRACE_PEEKDATA, 1, 0, 0));
  sys(KE_KILL, syscall(SYS_kill, getpid(), 0));
  sys(KE_TGKILL, syscall(SYS_tgkill, getpid(), gettid(), 0));
  sys(KE_TKILL, syscall(SYS_tkill, gettid(), 0));
  long map = syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  sys(KE_MMAP, map);
  sys(KE_MPROTECT, syscall(SYS_mprotect, map, 4096, PROT_READ | PROT_WRITE));
  sys(KE_UNSHARE, syscall(SYS_unshare, 0));
  sys(KE_SETNS, syscall(SYS_setns, -1, 0));  // -EBADF
  sys(KE_CHROOT, syscall(SYS_chroot, "/nonexistent-kestrel"));
  sys(KE_UMOUNT2, syscall(SYS_umount2, "/nonexistent-kestrel", 0));
  sys(KE_MOUNT, syscall(SYS_mount, "none", "/nonexistent-kestrel", "tmpfs", 0, nullptr));
  sys(KE_FINIT_MODULE, syscall(SYS_finit_module, -1, "", 0));
  sys(KE_INIT_MODULE, syscall(SYS_init_module, nullptr, 0, ""));
  sys(KE_BPF, syscall(SYS_bpf, 0xffff, nullptr, 0));  // -EINVAL
  sys(KE_USERFAULTFD, syscall(SYS_userfaultfd, O_CLOEXEC));
  sys(KE_IO_URING_SETUP, syscall(SYS_io_uring_setup, 0, nullptr));  // -EINVAL/-EFAULT
  sys(KE_OPENAT2, syscall(SYS_openat2, AT_FDCWD, "/nonexistent-kestrel", nullptr, 0));
  ::chdir(KESTREL_SOURCE_DIR);
  ::unlink(a.c_str());
  ::unlink(b.c_str());
  ::unlink(l.c_str());

  uint32_t me = static_cast<uint32_t>(getpid());
  auto events = collect(*source_, {me}, [&](const std::vector<OwnedEvent>& ev) {
    return count_type(ev, KE_OPENAT2) > 0;
  });
  // Match rows to events in order: each row's event is the next of its type.
  std::map<uint16_t, size_t> next_index;
  for (const Row& row : rows) {
    const EventInfo& info = event_info(row.type);
    SCOPED_TRACE(std::string(info.name));
    // e.g. init_module without CONFIG_MODULES: no tracepoint, so not offered.
    if (!source_->capabilities().event_types.test(row.type)) continue;
    auto evs = testing::of_type(events, row.type);
    size_t& i = next_index[row.type];
    // Skip same-type events the test runner made between rows (e.g. its own mmap).
    while (i < evs.size() && evs[i]->i(0) != row.res) ++i;
    ASSERT_LT(i, evs.size()) << "no " << info.name << " event with res " << row.res;
    const OwnedEvent& e = *evs[i++];
    EventView v = e.view();
    EXPECT_EQ(v.nparams(), info.params.size());
    for (uint16_t p = 0; p < v.nparams() && p < info.params.size(); ++p) {
      size_t want = param_fixed_size(info.params[p].type);
      size_t got = v.param(p).size();
      if (want != 0) {
        EXPECT_TRUE(got == want || got == 0) << info.params[p].name << " is " << got << " bytes";
      }
      if (got > 0 && (info.params[p].type == KPT_PATH || info.params[p].type == KPT_CHARBUF)) {
        EXPECT_EQ(v.param(p).back(), 0) << info.params[p].name << " not NUL-terminated";
      }
    }
  }
}

// A buffer too small for a burst of events overflows; the loss is counted
// per reason and per CPU, never silent.
TEST_F(EbpfLive, DropsAreCountedWhenTheBufferIsFull) {
  EbpfOptions opt;
  opt.drop_own_events = false;
  opt.buffer_bytes = 4096;  // one page per CPU
  EbpfSource small(opt);
  EventTypeSet types;
  types.set(KE_OPENAT);
  ASSERT_TRUE(small.set_event_filter(types).ok());  // before open(): only openat is ever attached
  ASSERT_TRUE(small.open().ok());
  EXPECT_EQ(small.attached_event_types(), types);
  for (int i = 0; i < 2000; ++i) {
    int fd = ::open("/etc/hostname", O_RDONLY);
    if (fd >= 0) ::close(fd);
  }
  SourceStats st = small.stats();
  ASSERT_TRUE(st.drops.count("buffer_full")) << "no buffer_full drops after 2000 events into 4 KiB";
  uint64_t per_cpu_total = 0;
  for (const auto& [reason, cpus] : small.drops_per_cpu()) {
    if (reason != "buffer_full") continue;
    for (uint64_t n : cpus) per_cpu_total += n;
  }
  EXPECT_EQ(per_cpu_total, st.drops["buffer_full"]);
  // What did fit is still delivered, intact.
  auto events = collect(small, {static_cast<uint32_t>(getpid())},
                        [](const std::vector<OwnedEvent>& ev) { return ev.size() >= 10; });
  EXPECT_GE(events.size(), 10u);
  for (const auto& e : events) EXPECT_EQ(e.s(KP_OPENAT_name), "/etc/hostname");
  EXPECT_EQ(small.stats().drops.count("malformed"), 0u);
}

// Without privileges open() fails with a message that says what to do.
TEST(EbpfOpenErrors, UnprivilegedOpenSaysWhatIsMissing) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipefd[0]);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    EbpfSource s{EbpfOptions{}};
    Status st = s.open();
    std::string msg = std::to_string(static_cast<int>(st.code())) + "|" + st.message();
    (void)!write(pipefd[1], msg.data(), msg.size());
    _exit(st.ok() ? 1 : 0);
  }
  ::close(pipefd[1]);
  std::string msg;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) msg.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "open() succeeded without privileges?";
  EXPECT_EQ(msg.substr(0, msg.find('|')), std::to_string(static_cast<int>(StatusCode::kPermissionDenied))) << msg;
  EXPECT_NE(msg.find("root"), std::string::npos) << msg;
  EXPECT_NE(msg.find("driverkit"), std::string::npos) << msg;
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

using testing::collect;
using testing::count_type;
using testing::of_type;
using testing::OwnedEvent;

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

// Turning the optional process fields off sends them empty.
TEST(EbpfOptionsTest, OptionalProcessFieldsCanBeTurnedOff) {
  EbpfOptions opt;
  opt.drop_own_events = false;
  opt.process_env = false;
  opt.process_cgroups = false;
  EbpfSource source(opt);
  EventTypeSet types;
  types.set(KE_EXECVE);
  ASSERT_TRUE(source.set_event_filter(types).ok());
  Status st = source.open();
  ASSERT_TRUE(st.ok()) << st.to_string();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/true", "/bin/true", nullptr);
    _exit(127);
  }
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  auto events = collect(source, {static_cast<uint32_t>(child)},
                        [](const std::vector<OwnedEvent>& ev) { return count_type(ev, KE_EXECVE) > 0; });
  auto execs = of_type(events, KE_EXECVE);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_FALSE(execs[0]->view().has_param(KP_EXECVE_env));
  EXPECT_FALSE(execs[0]->view().has_param(KP_EXECVE_cgroups));
  EXPECT_TRUE(execs[0]->view().has_param(KP_EXECVE_cwd));
  EXPECT_EQ(execs[0]->s(KP_EXECVE_exe), "/bin/true");
}

}  // namespace
}  // namespace kestrel
