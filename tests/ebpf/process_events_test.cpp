// Live tests of the eBPF source: they load the real probe into this kernel
// and run real workloads. They must run as root on a kernel with BTF; if
// the probe cannot load they FAIL (a silent skip would hide a broken probe).
// This file: exec, clone, exit and the initial /proc state.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <sched.h>
#include <string>
#include <thread>

#include "state/proc_scanner.h"
#include "state/process_params.h"
#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

// The probe's cgroups param of a child of this process (which inherits
// its cgroups) against the /proc scan of this process, two independent
// readings of the same memberships (kernel css walk vs. /proc/PID/cgroup
// plus the cgroup.controllers walk, as falcosecurity/libs does both):
// every subsystem named once, with the path of the cgroup that holds its
// css. Named v1 hierarchies (name=systemd) have no subsystem; /proc
// shows v1 "io" by its legacy name "blkio".
void expect_cgroups_as_the_proc_scan_resolves(const std::vector<uint8_t>& param) {
  std::vector<std::pair<std::string, std::string>> probe;
  for (const std::string& e : split_string_array(param)) {
    const size_t eq = e.find('=');
    ASSERT_NE(eq, std::string::npos) << e;
    probe.emplace_back(e.substr(0, eq), e.substr(eq + 1));
    EXPECT_FALSE(probe.back().first.empty()) << e;
  }
  std::set<std::string> names;
  for (const auto& [name, path] : probe) EXPECT_TRUE(names.insert(name).second) << name << " listed twice";
  ProcScanner scanner({.threads = false, .fds = false});
  auto self = scanner.scan_process(getpid());
  ASSERT_TRUE(self);
  ASSERT_FALSE(self->front().cgroups.empty());
  for (auto [controller, path] : self->front().cgroups) {
    if (controller.starts_with("name=")) continue;
    if (controller == "blkio") controller = "io";
    EXPECT_NE(std::find(probe.begin(), probe.end(), std::pair{controller, path}), probe.end())
        << controller << "=" << path << " from /proc, not in the probe's cgroups";
  }
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
  // Before it execs, the child runs this test's image.
  EXPECT_EQ(cl.s(KP_CLONE_exepath), std::filesystem::read_symlink("/proc/self/exe").string());

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
  // The file the kernel runs, symlinks resolved (/bin may be a link to usr/bin).
  EXPECT_EQ(ex.s(KP_EXECVE_exepath), std::filesystem::canonical("/bin/true").string());
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
  expect_cgroups_as_the_proc_scan_resolves(ex.raw(KP_EXECVE_cgroups));
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
  // No children: nothing to reparent, no reaper (as Falco's driver).
  EXPECT_EQ(exits[0]->i(KP_PROCEXIT_reaper_tid), 0);
  // Order: clone, then execve, then exit.
  EXPECT_LE(cl.view().ts(), ex.view().ts());
  EXPECT_LE(ex.view().ts(), exits[0]->view().ts());
}

TEST_F(EbpfLive, ThreadCreationAndExitAreSeenFromTheThread) {
  // The thread leaves a child behind, so its exit names who adopts it.
  std::atomic<pid_t> thread_tid{0}, orphan{-1};
  std::thread t([&] {
    thread_tid = gettid();
    pid_t c = fork();
    if (c == 0) {
      syscall(SYS_close_range, 3, ~0U, 0);
      pause();
      _exit(0);
    }
    orphan = c;
  });
  t.join();
  ASSERT_GT(orphan.load(), 0);
  kill(orphan.load(), SIGKILL);
  ASSERT_EQ(waitpid(orphan.load(), nullptr, 0), orphan.load());
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
  // KP_CLONE_* and KP_CLONE3_* agree on the block (state/process_params.cpp).
  EXPECT_EQ(created->i(KP_CLONE_res), 0);
  EXPECT_EQ(created->i(KP_CLONE_tid), thread_tid.load());
  EXPECT_EQ(created->i(KP_CLONE_pid), getpid());
  EXPECT_EQ(created->tgid(), static_cast<uint32_t>(getpid()));
  uint16_t flags_idx = created->type() == KE_CLONE ? static_cast<uint16_t>(KP_CLONE_flags)
                                                  : static_cast<uint16_t>(KP_CLONE3_flags);
  EXPECT_TRUE(created->i(flags_idx) & CLONE_THREAD);
  EXPECT_EQ(created->s(KP_CLONE_comm), "ebpf_test");
  // A thread of a live group with a child: the leader adopts it.
  for (const auto& e : events) {
    if (e.type() == KE_PROCEXIT && e.tid() == tid) {
      EXPECT_EQ(e.i(KP_PROCEXIT_reaper_tid), getpid());
    }
  }
}

TEST_F(EbpfLive, ExecveatSuccessAndFailure) {
  pid_t ok_child = fork();
  ASSERT_GE(ok_child, 0);
  if (ok_child == 0) {
    char* const argv[] = {const_cast<char*>("true"), const_cast<char*>("x"), nullptr};
    syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, environ, 0);
    _exit(127);
  }
  pid_t bad_child = fork();
  ASSERT_GE(bad_child, 0);
  if (bad_child == 0) {
    char* const argv[] = {const_cast<char*>("nope"), nullptr};
    syscall(SYS_execveat, AT_FDCWD, "/nonexistent/kestrel-at", argv, environ, AT_SYMLINK_NOFOLLOW);
    _exit(4);
  }
  ASSERT_EQ(waitpid(ok_child, nullptr, 0), ok_child);
  ASSERT_EQ(waitpid(bad_child, nullptr, 0), bad_child);
  std::set<uint32_t> kids = {static_cast<uint32_t>(ok_child), static_cast<uint32_t>(bad_child)};
  auto events = collect(*source_, kids, [&](const std::vector<OwnedEvent>& ev) {
    return count_type(ev, KE_EXECVEAT) + count_type(ev, KE_EXECVE) >= 2;
  });
  // This kernel reports a *successful* execveat at its exit as execve (the
  // new image's syscall number), so that is where it arrives; on kernels
  // that keep execveat, the probe's execveat filler reports it instead.
  const OwnedEvent* ok = nullptr;
  const OwnedEvent* bad = nullptr;
  for (const auto& e : events) {
    if ((e.type() == KE_EXECVE || e.type() == KE_EXECVEAT) && e.tid() == static_cast<uint32_t>(ok_child)) ok = &e;
    if (e.type() == KE_EXECVEAT && e.tid() == static_cast<uint32_t>(bad_child)) bad = &e;
  }
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->i(0), 0);  // res first in both
  EXPECT_EQ(ok->s(KP_EXECVE_exe), "true");
  EXPECT_EQ(ok->s(KP_EXECVE_args), "x");
  // argv[0] says "true"; the resolved executable is the file execveat ran.
  EXPECT_EQ(ok->s(ok->type() == KE_EXECVE ? uint16_t{KP_EXECVE_exepath} : uint16_t{KP_EXECVEAT_exepath}),
            std::filesystem::canonical("/bin/true").string());
  if (ok->type() == KE_EXECVEAT) {
    EXPECT_EQ(ok->s(KP_EXECVEAT_pathname), std::filesystem::canonical("/bin/true").string());
  }
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->i(KP_EXECVEAT_res), -ENOENT);
  EXPECT_EQ(bad->i(KP_EXECVEAT_dirfd), AT_FDCWD);
  EXPECT_EQ(bad->s(KP_EXECVEAT_pathname), "/nonexistent/kestrel-at");
  EXPECT_EQ(bad->i(KP_EXECVEAT_flags), AT_SYMLINK_NOFOLLOW);
  EXPECT_EQ(bad->s(KP_EXECVEAT_exe), "/nonexistent/kestrel-at");
  EXPECT_FALSE(bad->view().has_param(KP_EXECVEAT_exepath)) << "a failed exec still runs its old image: not reported";
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

// Turning the optional process fields off sends them empty.
TEST(EbpfOptionsTest, OptionalProcessFieldsCanBeTurnedOff) {
  EbpfOptions opt;
  opt.drop_own_events = false;
  opt.process_env = false;
  opt.process_cgroups = false;
  opt.cpus_per_buffer = 64;  // one buffer shared by every CPU
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
}  // namespace kestrel::testing
