// Event-driven tests of thread identity: unknown threads, ordering of the
// two sides of a fork, ancestry, credentials, domains and bounds.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <random>

#include "tests/state/updater_fixture.h"

namespace kestrel {
namespace {

using test::child_proc;
using test::Proc;
using test::StateUpdaterTest;

TEST_F(StateUpdaterTest, UnknownThreadsGetAMinimalEntry) {
  feed(test::read_event(500, 500, 0));
  const ThreadInfo* t = table.find(0, 500);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->pid, 500);
  EXPECT_EQ(updater.stats().unknown_threads, 1u);
  feed(test::read_event(500, 500, 0));
  EXPECT_EQ(updater.stats().unknown_threads, 1u) << "counted once";

  // A new thread of a known process takes the process's identity.
  add_shell(400, 1, "/srv");
  feed(test::open_event(401, 400, 9, "cache.bin", O_RDONLY));
  const ThreadInfo* th = table.find(0, 401);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(th->pid, 400);
  EXPECT_EQ(th->comm, "bash");
  EXPECT_EQ(th->uid, 1000u);
  EXPECT_EQ(fd(400, 9)->name, "/srv/cache.bin");
  EXPECT_EQ(updater.stats().unknown_threads, 2u);

  // An exit of a thread never seen leaves nothing behind.
  feed(test::procexit_event(600, 600));
  EXPECT_EQ(table.find(0, 600), nullptr);
  EXPECT_EQ(updater.stats().unknown_threads, 2u);
}

TEST_F(StateUpdaterTest, UnknownCallerOfForkIsFilledFromItsParams) {
  Proc caller = child_proc(700, 700, 1);
  caller.comm = "cron";
  caller.exe = "/usr/sbin/cron";
  feed(test::clone_event(KE_CLONE, 700, 700, 701, caller, 0 /* SIGCHLD only */));
  ASSERT_NE(table.find(0, 700), nullptr);
  EXPECT_EQ(table.find(0, 700)->comm, "cron");
  ASSERT_NE(table.find(0, 701), nullptr);
  EXPECT_EQ(table.find(0, 701)->comm, "cron");
  EXPECT_EQ(table.find(0, 701)->ptid, 700);
  EXPECT_EQ(updater.stats().unknown_threads, 1u) << "the caller; the child is not unknown";
}

TEST_F(StateUpdaterTest, ChildSideFirstThenParentSide) {
  add_shell(100, 1);
  Proc p = child_proc(101, 101, 100);
  p.comm = "from-params";
  feed(test::clone_event(KE_CLONE, 101, 101, 0, p, 0));
  ASSERT_NE(table.find(0, 101), nullptr);
  EXPECT_EQ(table.find(0, 101)->comm, "from-params");
  EXPECT_EQ(table.fd_count(0, 101), 3u) << "fds copied from the parent";
  feed(test::clone_event(KE_CLONE, 100, 100, 101, child_proc(100, 100, 1), 0));
  EXPECT_EQ(table.find(0, 101)->comm, "from-params") << "the parent's side does not overwrite";
  EXPECT_EQ(table.stats().threads, 2u);
}

TEST_F(StateUpdaterTest, AReusedTidReplacesAStaleEntry) {
  add_shell(100, 1);  // fds 0-2 on /dev/pts/0
  // Process 101 exited long ago but its exit was dropped.
  ThreadInfo old;
  old.tid = old.pid = 101;
  old.ptid = 1;
  old.comm = "old-daemon";
  old.start_ts = 5'000'000'000;
  FdInfo secret;
  secret.fd = 9;
  secret.name = "/old/secret";
  old.fds.push_back(secret);
  table.put(old);
  // The parent's side of a fork now hands out tid 101 again.
  feed(test::clone_event(KE_FORK, 100, 100, 101, child_proc(100, 100, 1), 0, 100'000'000'000));
  EXPECT_EQ(table.find(0, 101)->comm, "bash");
  EXPECT_EQ(table.find(0, 101)->start_ts, 100'000'000'000u);
  EXPECT_EQ(fd(101, 9), nullptr) << "the stale holder's fds are gone";
  EXPECT_NE(fd(101, 0), nullptr) << "the parent's are copied";

  // The same through the child's side first.
  old.tid = old.pid = 102;
  table.put(old);
  table.put_fd(0, 102, secret);
  Proc p = child_proc(102, 102, 100);
  p.start_ts = 100'000'000'000;
  feed(test::clone_event(KE_FORK, 102, 102, 0, p, 0, 100'000'000'100));
  EXPECT_EQ(table.find(0, 102)->comm, "bash");
  EXPECT_EQ(fd(102, 9), nullptr);
  EXPECT_NE(fd(102, 0), nullptr);
}

TEST_F(StateUpdaterTest, CloneParentMakesASibling) {
  add_shell(10, 1);
  add_shell(100, 10);
  feed(test::clone_event(KE_CLONE, 100, 100, 150, child_proc(100, 100, 10), CLONE_PARENT));
  EXPECT_EQ(table.find(0, 150)->ptid, 10);
}

TEST_F(StateUpdaterTest, AncestorChainFromEvents) {
  add_shell(1, 0);
  feed(test::clone_event(KE_FORK, 1, 1, 10, child_proc(1, 1, 0), 0));
  feed(test::clone_event(KE_FORK, 10, 10, 20, child_proc(10, 10, 1), 0));
  Proc sshd = child_proc(10, 10, 1);
  sshd.comm = "sshd";
  sshd.exe = "/usr/sbin/sshd";
  feed(test::execve_event(10, 10, 0, sshd));
  feed(test::clone_event(KE_VFORK, 20, 20, 30, child_proc(20, 20, 10), 0));
  Proc curl = child_proc(30, 30, 20);
  curl.comm = "curl";
  curl.exe = "/usr/bin/curl";
  feed(test::execve_event(30, 30, 0, curl));

  const ThreadInfo& leaf = *table.find(0, 30);
  EXPECT_EQ(table.ancestor(leaf, 0)->comm, "curl");
  EXPECT_EQ(table.ancestor(leaf, 1)->comm, "bash");
  EXPECT_EQ(table.ancestor(leaf, 2)->comm, "sshd");
  EXPECT_EQ(table.ancestor(leaf, 3)->tid, 1);
  EXPECT_EQ(table.ancestor(leaf, 4), nullptr);

  // The middle process exits; its child is reparented (lazily) to 1.
  feed(test::procexit_event(20, 20, 1));
  EXPECT_EQ(table.find(0, 20), nullptr);
  ASSERT_NE(table.ancestor(leaf, 1), nullptr);
  EXPECT_EQ(table.ancestor(leaf, 1)->tid, 1);
  EXPECT_EQ(table.find(0, 30)->ptid, 20) << "the child itself is not rewritten";
}

TEST_F(StateUpdaterTest, Credentials) {
  add_shell(100, 1);  // uid/euid 1000
  feed(EventBuilder(KE_SETRESUID, 10, 100, 100)
           .put_int(KPARAM(SETRESUID, res), 0)
           .put_int(KPARAM(SETRESUID, ruid), -1)
           .put_int(KPARAM(SETRESUID, euid), 0)
           .put_int(KPARAM(SETRESUID, suid), -1)
           .finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->uid, 1000u);
  EXPECT_EQ(table.find(0, 100)->euid, 0u);
  // Now privileged: setuid sets both.
  feed(EventBuilder(KE_SETUID, 10, 100, 100)
           .put_int(KPARAM(SETUID, res), 0)
           .put_int(KPARAM(SETUID, uid), 33)
           .finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->uid, 33u);
  EXPECT_EQ(table.find(0, 100)->euid, 33u);
  // Unprivileged: setuid only changes the effective uid.
  feed(EventBuilder(KE_SETUID, 10, 100, 100)
           .put_int(KPARAM(SETUID, res), 0)
           .put_int(KPARAM(SETUID, uid), 1000)
           .finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->uid, 33u);
  EXPECT_EQ(table.find(0, 100)->euid, 1000u);
  // A failed call changes nothing.
  feed(EventBuilder(KE_SETREGID, 10, 100, 100)
           .put_int(KPARAM(SETREGID, res), -EPERM)
           .put_int(KPARAM(SETREGID, rgid), 0)
           .put_int(KPARAM(SETREGID, egid), 0)
           .finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->gid, 1000u);
  feed(EventBuilder(KE_SETREGID, 10, 100, 100)
           .put_int(KPARAM(SETREGID, res), 0)
           .put_int(KPARAM(SETREGID, rgid), -1)
           .put_int(KPARAM(SETREGID, egid), 50)
           .finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->gid, 1000u);
  EXPECT_EQ(table.find(0, 100)->egid, 50u);
  feed(EventBuilder(KE_SETRESGID, 10, 100, 100)
           .put_int(KPARAM(SETRESGID, res), 0)
           .put_int(KPARAM(SETRESGID, rgid), 7)
           .put_int(KPARAM(SETRESGID, egid), 8)
           .put_int(KPARAM(SETRESGID, sgid), 9)
           .finish_or_throw());
  EXPECT_EQ(table.find(0, 100)->gid, 7u);
  EXPECT_EQ(table.find(0, 100)->egid, 8u);
}

TEST_F(StateUpdaterTest, DomainsAreSeparate) {
  feed(test::open_event(42, 42, 3, "/host-file", O_RDONLY), kHostDomain);
  feed(test::open_event(42, 42, 3, "/sandbox-file", O_RDONLY), 5);
  ASSERT_NE(table.find(0, 42), nullptr);
  ASSERT_NE(table.find(5, 42), nullptr);
  EXPECT_EQ(table.find(0, 42)->domain, 0u);
  EXPECT_EQ(table.find(5, 42)->domain, 5u);
  EXPECT_EQ(table.find_fd(*table.find(0, 42), 3)->name, "/host-file");
  EXPECT_EQ(table.find_fd(*table.find(5, 42), 3)->name, "/sandbox-file");
  feed(test::procexit_event(42, 42), 5);
  EXPECT_EQ(table.find(5, 42), nullptr);
  EXPECT_NE(table.find(0, 42), nullptr);
}

TEST_F(StateUpdaterTest, SandboxThreadsTakeTheirDomainsContainer) {
  const DomainId sandbox = 2;
  feed(test::open_event(10, 10, 3, "/before", O_RDONLY), sandbox);
  EXPECT_EQ(table.find(sandbox, 10)->container_id, "");
  const std::string id = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
  feed(EventBuilder(KE_CONTAINER, 10, 0, 0)
           .put_str(KPARAM(CONTAINER, id), id)
           .put_int(KPARAM(CONTAINER, type), 5)
           .put_empty(KPARAM(CONTAINER, name))
           .put_empty(KPARAM(CONTAINER, image))
           .put_empty(KPARAM(CONTAINER, privileged))
           .put_empty(KPARAM(CONTAINER, args))
           .put_empty(KPARAM(CONTAINER, env))
           .put_empty(KPARAM(CONTAINER, cwd))
           .finish_or_throw(),
       sandbox);
  EXPECT_EQ(table.find(sandbox, 0), nullptr) << "a container event without a task makes no thread";
  feed(test::open_event(11, 11, 3, "/after", O_RDONLY), sandbox);
  const ThreadInfo* t = table.find(sandbox, 11);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->container_id, id.substr(0, 12));
  EXPECT_EQ(t->container_full_id, id);
  EXPECT_EQ(t->container_type, "gvisor");
  feed(test::clone_event(KE_CLONE, 12, 12, 0, child_proc(12, 12, 11), 0), sandbox);
  EXPECT_EQ(table.find(sandbox, 12)->container_type, "gvisor");
  // The host and other sandboxes are untouched.
  feed(test::open_event(11, 11, 3, "/host", O_RDONLY), kHostDomain);
  EXPECT_EQ(table.find(kHostDomain, 11)->container_id, "");
  feed(test::open_event(11, 11, 3, "/other", O_RDONLY), 3);
  EXPECT_EQ(table.find(3, 11)->container_id, "");
}

TEST_F(StateUpdaterTest, UnknownProcessesAreResolvedWithinABudget) {
  int calls = 0;
  updater.set_resolver(
      [&](DomainId domain, int64_t pid) -> std::optional<std::vector<ThreadInfo>> {
        ++calls;
        EXPECT_EQ(domain, kHostDomain);
        if (pid != 900) return std::nullopt;
        ThreadInfo leader;
        leader.tid = leader.pid = 900;
        leader.ptid = 1;
        leader.comm = "postgres";
        FdInfo f;
        f.fd = 3;
        f.type = FdType::kFile;
        f.name = "/var/lib/postgresql/data/base/1/1259";
        leader.fds.push_back(f);
        ThreadInfo worker = leader;
        worker.tid = 901;
        worker.fds.clear();
        return std::vector<ThreadInfo>{leader, worker};
      },
      2);
  feed(test::read_event(901, 900, 3));
  ASSERT_NE(table.find(0, 901), nullptr);
  EXPECT_EQ(table.find(0, 901)->comm, "postgres");
  EXPECT_EQ(fd(901, 3)->name, "/var/lib/postgresql/data/base/1/1259");
  EXPECT_EQ(updater.stats().resolved, 1u);
  EXPECT_EQ(updater.stats().unknown_threads, 0u);

  // A new thread of a now-known process is not looked up again.
  feed(test::read_event(902, 900, 3));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(table.find(0, 902)->comm, "postgres");

  // Not found: a minimal entry. Then the budget (2 per second) runs out.
  feed(test::read_event(950, 950, 0));  // same second: second call
  EXPECT_EQ(updater.stats().resolve_failed, 1u);
  EXPECT_NE(table.find(0, 950), nullptr);
  feed(test::read_event(951, 951, 0));
  feed(test::read_event(952, 952, 0));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(updater.stats().resolve_skipped, 2u);
  // A later second has a fresh budget.
  feed(EventBuilder(KE_READ, 7'000'000'000, 953, 953)
           .put_int(KPARAM(READ, res), 1)
           .put_int(KPARAM(READ, fd), 0)
           .put_int(KPARAM(READ, size), 1)
           .put_bytes(KPARAM(READ, data), std::vector<uint8_t>{'x', 0})  // the bytes add_str wrote
           .finish_or_throw());
  EXPECT_EQ(calls, 3);
  updater.set_resolver(nullptr);
  feed(test::read_event(954, 954, 0));
  EXPECT_EQ(calls, 3) << "switched off";
}

TEST(StateUpdaterBounds, EvictionsAreCountedWhenBounded) {
  ThreadTable table({.max_threads = 4, .max_fds_per_process = 2});
  StateUpdater updater(table);
  auto feed = [&](const std::vector<uint8_t>& bytes) {
    auto view = EventView::parse(bytes);
    ASSERT_TRUE(view.ok());
    updater.apply(*view, kHostDomain);
  };
  for (uint32_t tid = 1; tid <= 4; ++tid) feed(test::read_event(tid, tid, 0));
  feed(test::read_event(1, 1, 0));  // 1 is busy: 2 is now the least recently used
  feed(test::read_event(5, 5, 0));
  feed(test::read_event(6, 6, 0));
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.stats().thread_evictions, 2u);
  EXPECT_NE(table.find(0, 1), nullptr);
  EXPECT_EQ(table.find(0, 2), nullptr);
  EXPECT_EQ(table.find(0, 3), nullptr);
  EXPECT_NE(table.find(0, 6), nullptr);

  feed(test::open_event(6, 6, 3, "/a", O_RDONLY));
  feed(test::open_event(6, 6, 4, "/b", O_RDONLY));
  feed(test::open_event(6, 6, 5, "/c", O_RDONLY));
  EXPECT_EQ(table.fd_count(0, 6), 2u);
  EXPECT_EQ(table.fd(0, 6, 3), nullptr) << "the oldest fd went";
  EXPECT_EQ(table.stats().fd_evictions, 1u);
  EXPECT_EQ(updater.stats().unknown_threads, 6u) << "six distinct threads were first seen mid-stream";
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

// Producers may send fewer params than the table lists (older producers,
// unreadable values). Every state event with any prefix of its params
// must be applied without crashing and leave a consistent table.
TEST(StateUpdaterRobustness, TruncatedEventsOfEveryTypeAreHarmless) {
  ThreadTable table({.max_threads = 64, .max_fds_per_process = 16});
  StateUpdater updater(table);
  for (const EventInfo& info : all_events()) {
    for (size_t n = 0; n <= info.params.size(); ++n) {
      EventBuilder b(info.type, 1, 900 + static_cast<uint32_t>(n), 900);
      for (size_t i = 0; i < n; ++i) {
        if (param_fixed_size(info.params[i].type) != 0) {
          b.put_int(info.params[i].name, i % 2 ? 0 : 3);  // 0 = success for res, 3 = a plausible fd
        } else {
          b.put_empty(info.params[i].name);
        }
      }
      auto truncated = b.finish_truncated();
      ASSERT_TRUE(truncated.ok()) << truncated.status().message();
      std::vector<uint8_t> bytes(truncated->begin(), truncated->end());
      auto view = EventView::parse(bytes);
      ASSERT_TRUE(view.ok());
      updater.apply(*view, kHostDomain);
    }
  }
  EXPECT_LE(table.size(), 64u);
  for (const ThreadInfo& t : table.snapshot()) EXPECT_LE(t.fds.size(), 16u);
}

// Params of random length and content (seeded, so failures reproduce).
TEST(StateUpdaterRobustness, RandomParamBytesAreHarmless) {
  ThreadTable table({.max_threads = 32, .max_fds_per_process = 8});
  StateUpdater updater(table);
  std::mt19937 rng(20261129);
  for (int round = 0; round < 20; ++round) {
    for (const EventInfo& info : all_events()) {
      EventBuilder b(info.type, 1, 1 + rng() % 40, 1 + rng() % 10);
      for (size_t i = 0; i < info.params.size(); ++i) {
        std::vector<uint8_t> bytes(rng() % 48);
        for (auto& x : bytes) x = static_cast<uint8_t>(rng());
        b.put_unchecked_bytes(info.params[i].name, bytes);
      }
      auto record = b.finish_or_throw();
      auto view = EventView::parse(record);
      ASSERT_TRUE(view.ok());
      updater.apply(*view, rng() % 2);
    }
  }
  EXPECT_LE(table.size(), 32u);
  EXPECT_EQ(updater.stats().events, 20u * all_events().size());
}

}  // namespace
}  // namespace kestrel
