// Live tests of the eBPF source: they load the real probe into this kernel
// and run real workloads. They must run as root on a kernel with BTF; if
// the probe cannot load they FAIL (a silent skip would hide a broken probe).
// This file: open/close/unlink and one row per file/security/memory syscall.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

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

// openat records are written in place, into a ring reservation of a fixed
// size, and a path too long for it sends the record through the scratch
// instead (ebpf/bpf/record.bpf.h). Paths on both sides of that edge, and
// near the 4 KiB string cap, must each arrive whole and exactly once.
TEST_F(EbpfLive, OpenatPathsOfEveryLengthArriveWhole) {
  std::vector<std::string> paths;
  for (size_t len : {20, 150, 160, 165, 166, 167, 168, 169, 170, 171, 172, 175, 180, 200, 255, 256, 1000, 4000}) {
    std::string p = "/nonexistent-kestrel-" + std::to_string(len) + "/";
    while (p.size() < len) p += static_cast<char>('a' + p.size() % 26);
    p.resize(std::max(len, p.size()));
    paths.push_back(p);
  }
  for (const auto& p : paths) ASSERT_LT(::openat(AT_FDCWD, p.c_str(), O_RDONLY), 0) << p;
  uint32_t me = static_cast<uint32_t>(getpid());
  const std::string& last = paths.back();
  auto events = collect(*source_, {me}, [&](const std::vector<OwnedEvent>& ev) {
    for (const auto& e : ev)
      if (e.type() == KE_OPENAT && e.s(KP_OPENAT_name) == last) return true;
    return false;
  });
  std::map<std::string, int> seen;
  for (const auto& e : events)
    if (e.type() == KE_OPENAT) {
      ++seen[e.s(KP_OPENAT_name)];
      if (e.s(KP_OPENAT_name).rfind("/nonexistent-kestrel-", 0) == 0) {
        EXPECT_LT(e.i(KP_OPENAT_fd), 0);
      }
    }
  for (const auto& p : paths) EXPECT_EQ(seen[p], 1) << "a path of " << p.size() << " bytes";
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
  // I/O rows (KEF_IO; the fixture attaches everything).
  char iobuf[32] = "kestrel";
  struct iovec iov = {iobuf, 8};
  sys(KE_PWRITE64, syscall(SYS_pwrite64, fd, iobuf, 8, 0));
  sys(KE_READ, syscall(SYS_read, fd, iobuf, sizeof(iobuf)));
  sys(KE_PWRITEV, syscall(SYS_pwritev, fd, &iov, 1, 0, 0));
  sys(KE_READV, syscall(SYS_readv, fd, &iov, 1));
  sys(KE_PREADV, syscall(SYS_preadv, fd, &iov, 1, 0, 0));
  struct msghdr mh {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  sys(KE_SENDMSG, syscall(SYS_sendmsg, sv[0], &mh, 0));
  sys(KE_RECVMSG, syscall(SYS_recvmsg, sv[1], &mh, 0));
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
    // A syscall this kernel lacks (init_module without CONFIG_MODULES)
    // answers ENOSYS and has no tracepoint, so the probe cannot offer its
    // type; any other syscall the probe must still advertise.
    if (!source_->capabilities().event_types.test(row.type)) {
      EXPECT_EQ(row.res, -ENOSYS) << "the probe does not advertise " << info.name
                                  << " though this kernel has the syscall (it returned " << row.res << ")";
      continue;
    }
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

}  // namespace
}  // namespace kestrel::testing
