#include "state/proc_scanner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "sources/event/event_builder.h"
#include "tests/support/fake_proc.h"
#include "state/state_updater.h"
#include "state/thread_table.h"

namespace kestrel {
namespace {

namespace fs = std::filesystem;

const std::string kContainer = "c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc";

const ThreadInfo* by_tid(const std::vector<ThreadInfo>& v, int64_t tid) {
  auto it = std::find_if(v.begin(), v.end(), [&](const ThreadInfo& t) { return t.tid == tid; });
  return it == v.end() ? nullptr : &*it;
}

const FdInfo* by_fd(const ThreadInfo& t, int64_t fd) {
  auto it = std::find_if(t.fds.begin(), t.fds.end(), [&](const FdInfo& f) { return f.fd == fd; });
  return it == t.fds.end() ? nullptr : &*it;
}

void make_fake_tree(FakeProc& p) {
  p.file("stat", "cpu  10 0 5 100 0 0 0 0 0 0\nbtime 1700000000\nprocesses 99\n");
  p.file("net/tcp",
         "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
         "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 48213 1 "
         "0000000000000000 100 0 0 10 0\n");
  p.file("net/unix",
         "Num       RefCount Protocol Flags    Type St Inode Path\n"
         "0000000000000000: 00000002 00000000 00010000 0001 01 20941 /run/app.sock\n");
  // Process 42 with one extra thread, in a docker container.
  p.file("42/stat",
         "42 (my (weird) app) S 1 42 42 34816 42 4194560 100 0 0 0 5 3 0 0 20 0 2 0 12345 1000 10 0 0 0\n");
  p.file("42/status",
         "Name:\tmy (weird) app\nTgid:\t42\nPid:\t42\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\n"
         "Gid:\t1001\t1001\t1001\t1001\nNStgid:\t42\t7\nNSpid:\t42\t7\n"
         "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n");
  p.file("42/comm", "my (weird) app\n");
  static constexpr char kCmdline[] = "/usr/bin/python3\0app.py\0--port\0" "8080";
  p.file("42/cmdline", std::string(kCmdline, sizeof kCmdline));  // the final NUL too
  p.file("42/loginuid", "1000");
  p.file("42/cgroup", "0::/system.slice/docker-" + kContainer + ".scope\n");
  p.link("42/exe", "/usr/bin/python3.11");
  p.link("42/cwd", "/srv/app");
  p.link("42/root", "/");
  p.link("42/fd/0", "/dev/null");
  p.link("42/fd/3", "socket:[48213]");
  p.link("42/fd/4", "pipe:[555]");
  p.link("42/fd/5", "anon_inode:[eventpoll]");
  p.link("42/fd/6", "/memfd:jit (deleted)");
  p.link("42/fd/7", "socket:[20941]");
  p.link("42/fd/8", "socket:[99999]");
  p.file("42/fdinfo/3", "pos:\t0\nflags:\t02000002\nmnt_id:\t9\n");
  p.file("42/task/42/stat", "42 (my (weird) app) S 1 42 42 34816 42 0 0 0 0 0 0 0 0 0 20 0 2 0 12345 0\n");
  p.file("42/task/43/stat", "43 (worker) S 1 42 42 34816 42 0 0 0 0 0 0 0 0 0 20 0 2 0 12400 0\n");
  p.file("42/task/43/status", "Name:\tworker\nTgid:\t42\nPid:\t43\nPPid:\t1\nUid:\t0\t0\t0\t0\nNSpid:\t43\t8\n");
  p.file("42/task/43/comm", "worker\n");
  // A thread that ended mid-scan: listed, but its files are gone.
  fs::create_directories(fs::path(p.root()) / "42/task/44");
  // A fileless process, run from a memfd.
  p.file("66/stat", "66 (x) S 42 42 42 0 42 0 0 0 0 0 0 0 0 0 20 0 1 0 13000 0\n");
  p.file("66/status", "Name:\tx\nTgid:\t66\nPPid:\t42\n");
  p.link("66/exe", "/memfd:payload (deleted)");
  // A process that vanished: its directory is listed but empty.
  fs::create_directories(fs::path(p.root()) / "77");
  // Not processes.
  p.file("self_is_not_numeric", "");
  fs::create_directories(fs::path(p.root()) / "sys");
}

TEST(ProcScanner, ReadsAFakeTree) {
  FakeProc p;
  make_fake_tree(p);
  ProcScanner scanner({.root = p.root()});
  auto result = scanner.scan();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const auto& threads = *result;
  ASSERT_EQ(threads.size(), 3u);
  const ThreadInfo* fileless = by_tid(threads, 66);
  ASSERT_NE(fileless, nullptr);
  EXPECT_EQ(fileless->exepath, "/memfd:payload");
  EXPECT_EQ(fileless->exe_flags, 4u) << "EXE_FROM_MEMFD";
  EXPECT_EQ(fileless->exe, "x") << "no cmdline: the comm";
  EXPECT_EQ(fileless->ptid, 42);
  EXPECT_EQ(by_tid(threads, 42)->exe_flags, 0u);

  const ThreadInfo* t = by_tid(threads, 42);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->pid, 42);
  EXPECT_EQ(t->ptid, 1);
  EXPECT_EQ(t->comm, "my (weird) app");
  EXPECT_EQ(t->exe, "/usr/bin/python3");
  EXPECT_EQ(t->exepath, "/usr/bin/python3.11");
  EXPECT_EQ(t->args, (std::vector<std::string>{"app.py", "--port", "8080"}));
  EXPECT_EQ(t->cwd, "/srv/app");
  EXPECT_EQ(t->root, "/");
  EXPECT_EQ(t->uid, 1000u);
  EXPECT_EQ(t->gid, 1001u);
  EXPECT_EQ(t->loginuid, 1000u);
  EXPECT_EQ(t->tty, 34816u);
  EXPECT_EQ(t->sid, 42);
  EXPECT_EQ(t->cap_permitted, 0xa80425fbu);
  EXPECT_EQ(t->cap_effective, 0xa80425fbu);
  EXPECT_EQ(t->vpid, 7);
  EXPECT_EQ(t->vtid, 7);
  EXPECT_EQ(t->container_id, kContainer.substr(0, 12));
  EXPECT_EQ(t->container_full_id, kContainer);
  EXPECT_EQ(t->container_type, "docker");
  const uint64_t hz = static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  EXPECT_EQ(t->start_ts, 1700000000ull * 1000000000ull + 12345ull * 1000000000ull / hz);

  ASSERT_EQ(t->fds.size(), 7u);
  EXPECT_EQ(by_fd(*t, 0)->name, "/dev/null");
  const FdInfo* sock = by_fd(*t, 3);
  EXPECT_EQ(sock->type, FdType::kIpv4);
  EXPECT_TRUE(sock->listening);
  EXPECT_EQ(sock->name, "127.0.0.1:8080");
  EXPECT_EQ(sock->open_flags, 02000002u);
  EXPECT_EQ(by_fd(*t, 4)->type, FdType::kPipe);
  EXPECT_EQ(by_fd(*t, 4)->ino, 555u);
  EXPECT_EQ(by_fd(*t, 5)->type, FdType::kEventPoll);
  EXPECT_EQ(by_fd(*t, 6)->type, FdType::kMemfd);
  EXPECT_EQ(by_fd(*t, 6)->name, "memfd:jit");
  EXPECT_EQ(by_fd(*t, 7)->type, FdType::kUnix);
  EXPECT_EQ(by_fd(*t, 7)->name, "/run/app.sock");
  EXPECT_EQ(by_fd(*t, 8)->type, FdType::kUnknown);

  const ThreadInfo* worker = by_tid(threads, 43);
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->pid, 42);
  EXPECT_EQ(worker->comm, "worker");
  EXPECT_EQ(worker->uid, 0u);
  EXPECT_EQ(worker->vtid, 8);
  EXPECT_EQ(worker->exepath, "/usr/bin/python3.11");
  EXPECT_EQ(worker->container_id, kContainer.substr(0, 12));
  EXPECT_TRUE(worker->fds.empty()) << "fds live on the leader";

  EXPECT_EQ(scanner.stats().processes, 2u);
  EXPECT_EQ(scanner.stats().threads, 3u);
  EXPECT_EQ(scanner.stats().vanished, 1u);
  EXPECT_EQ(scanner.stats().fds, 7u);
  EXPECT_EQ(scanner.stats().netns_scanned, 1u);

  EXPECT_FALSE(scanner.scan_process(77).has_value());
  EXPECT_FALSE(scanner.scan_process(12345).has_value());
}

TEST(ProcScanner, ScannedStateLoadsIntoTheTable) {
  FakeProc p;
  make_fake_tree(p);
  ProcScanner scanner({.root = p.root()});
  auto result = scanner.scan();
  ASSERT_TRUE(result.ok());
  ThreadTable table;
  table.load(std::move(*result));
  const ThreadInfo* worker = table.find(kHostDomain, 43);
  ASSERT_NE(worker, nullptr);
  const FdInfo* sock = table.find_fd(*worker, 3);
  ASSERT_NE(sock, nullptr) << "a thread finds its process's fds";
  EXPECT_EQ(sock->name, "127.0.0.1:8080");
  // exec closes what fdinfo marked close-on-exec.
  EXPECT_EQ(table.close_cloexec_fds(kHostDomain, 42), 1u);
}

TEST(ProcScanner, ResolvesProcessesTheEventsMissed) {
  FakeProc p;
  make_fake_tree(p);
  ProcScanner scanner({.root = p.root()});
  ThreadTable table;
  StateUpdater updater(table);
  updater.set_resolver([&](DomainId domain, int64_t pid) -> std::optional<std::vector<ThreadInfo>> {
    if (domain != kHostDomain) return std::nullopt;
    return scanner.scan_process(pid);
  });
  auto bytes =
      EventBuilder(KE_CLOSE, 1, 43, 42).put_int(KPARAM(CLOSE, res), 0).put_int(KPARAM(CLOSE, fd), 4).finish_or_throw();
  updater.apply(*EventView::parse(bytes), kHostDomain);
  const ThreadInfo* worker = table.find(kHostDomain, 43);
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->comm, "worker");
  EXPECT_EQ(table.find(kHostDomain, 42)->exepath, "/usr/bin/python3.11");
  EXPECT_EQ(table.find_fd(*worker, 4), nullptr) << "the close applied after the lookup";
  ASSERT_NE(table.find_fd(*worker, 3), nullptr);
  EXPECT_EQ(table.find_fd(*worker, 3)->name, "127.0.0.1:8080");
  EXPECT_EQ(updater.stats().resolved, 1u);
  EXPECT_EQ(updater.stats().unknown_threads, 0u);
}

TEST(ProcScanner, MissingRootIsAnError) {
  ProcScanner scanner({.root = "/nonexistent/kestrel/proc"});
  auto result = scanner.scan();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.status().message().find("/nonexistent/kestrel/proc"), std::string::npos);
}

TEST(ProcScanner, LiveScanFindsThisProcess) {
  // A temp file and a listening socket this test owns.
  char path[] = "/tmp/kestrel_scan_XXXXXX";
  int file_fd = ::mkstemp(path);
  ASSERT_GE(file_fd, 0);
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(sock, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t port = ntohs(addr.sin_port);
  // A second thread.
  std::promise<void> release;
  std::thread worker([f = release.get_future()]() mutable { f.wait(); });

  ProcScanner scanner;
  auto result = scanner.scan();
  release.set_value();
  worker.join();
  ASSERT_TRUE(result.ok()) << result.status().to_string();

  const int64_t pid = ::getpid();
  const ThreadInfo* self = by_tid(*result, pid);
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->pid, pid);
  EXPECT_EQ(self->ptid, ::getppid());
  EXPECT_EQ(self->uid, ::getuid());
  char exe[4096] = {};
  ASSERT_GT(::readlink("/proc/self/exe", exe, sizeof exe - 1), 0);
  EXPECT_EQ(self->exepath, exe);
  // The image's inode, as stat(2) of the test binary says.
  struct stat exe_st {};
  ASSERT_EQ(::stat(exe, &exe_st), 0);
  EXPECT_EQ(self->exe_ino, static_cast<uint64_t>(exe_st.st_ino));
  EXPECT_EQ(self->exe_ino_mtime,
            static_cast<uint64_t>(exe_st.st_mtim.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(exe_st.st_mtim.tv_nsec));
  EXPECT_EQ(self->exe_ino_ctime,
            static_cast<uint64_t>(exe_st.st_ctim.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(exe_st.st_ctim.tv_nsec));
  char cwd[4096] = {};
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(self->cwd, cwd);
  const auto now_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  EXPECT_LE(self->start_ts, now_ns + 2'000'000'000ull);
  EXPECT_GE(self->start_ts, now_ns - 3600'000'000'000ull) << "started within the last hour";

  const size_t threads = std::count_if(result->begin(), result->end(), [&](const ThreadInfo& t) { return t.pid == pid; });
  EXPECT_GE(threads, 2u);

  const FdInfo* f = by_fd(*self, file_fd);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->type, FdType::kFile);
  EXPECT_EQ(f->name, path);
  EXPECT_NE(f->ino, 0u);

  const FdInfo* s = by_fd(*self, sock);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->type, FdType::kIpv4);
  EXPECT_TRUE(s->listening);
  EXPECT_EQ(s->l4proto, IPPROTO_TCP);
  EXPECT_EQ(s->name, "127.0.0.1:" + std::to_string(port));

  EXPECT_GT(scanner.stats().processes, 1u);
  ::close(sock);
  ::close(file_fd);
  ::unlink(path);
}

}  // namespace
}  // namespace kestrel
