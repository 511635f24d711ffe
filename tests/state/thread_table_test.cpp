#include "state/thread_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>

namespace kestrel {
namespace {

ThreadInfo thread(int64_t tid, int64_t pid, int64_t ptid, std::string comm, DomainId domain = kHostDomain) {
  ThreadInfo t;
  t.domain = domain;
  t.tid = tid;
  t.pid = pid;
  t.ptid = ptid;
  t.comm = std::move(comm);
  return t;
}

FdInfo file_fd(int64_t fd, std::string name, uint32_t flags = O_RDONLY) {
  FdInfo f;
  f.fd = fd;
  f.type = FdType::kFile;
  f.name = std::move(name);
  f.open_flags = flags;
  return f;
}

TEST(ThreadTable, ThreadsOfAProcessShareItsFds) {
  ThreadTable table;
  table.put(thread(100, 100, 1, "server"));
  table.put(thread(101, 100, 1, "worker"));
  ASSERT_NE(table.put_fd(0, 100, file_fd(3, "/var/log/app.log")), nullptr);

  const ThreadInfo* worker = table.find(0, 101);
  ASSERT_NE(worker, nullptr);
  const FdInfo* f = table.find_fd(*worker, 3);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->name, "/var/log/app.log");
  EXPECT_EQ(table.process_of(*worker), table.find(0, 100));
  EXPECT_EQ(table.find_fd(*worker, 4), nullptr);
  EXPECT_EQ(table.put_fd(0, 555, file_fd(3, "/x")), nullptr) << "no such process";

  auto s = table.stats();
  EXPECT_EQ(s.threads, 2u);
  EXPECT_EQ(s.processes, 1u);
  EXPECT_EQ(s.fds, 1u);
  EXPECT_EQ(s.fd_lookups, 2u);
  EXPECT_EQ(s.fd_lookup_misses, 1u);
}

TEST(ThreadTable, DomainsKeepEqualTidsApart) {
  ThreadTable table;
  table.put(thread(7, 7, 1, "host-proc", 0));
  table.put(thread(7, 7, 1, "sandbox-proc", 3));
  table.put_fd(3, 7, file_fd(0, "/dev/null"));
  ASSERT_NE(table.find(0, 7), nullptr);
  ASSERT_NE(table.find(3, 7), nullptr);
  EXPECT_EQ(table.find(0, 7)->comm, "host-proc");
  EXPECT_EQ(table.find(3, 7)->comm, "sandbox-proc");
  EXPECT_EQ(table.find_fd(*table.find(0, 7), 0), nullptr);
  EXPECT_NE(table.find_fd(*table.find(3, 7), 0), nullptr);
  EXPECT_EQ(table.find(4, 7), nullptr);
  EXPECT_EQ(table.stats().lookup_misses, 1u);
}

TEST(ThreadTable, EvictsTheLeastRecentlyUsedThread) {
  ThreadTable table({.max_threads = 3, .max_fds_per_process = 8});
  table.put(thread(1, 1, 0, "a"));
  table.put(thread(2, 2, 1, "b"));
  table.put(thread(3, 3, 1, "c"));
  ASSERT_NE(table.get(0, 1), nullptr);  // 1 is now the most recently used
  table.put(thread(4, 4, 1, "d"));      // evicts 2, the least recently used
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.find(0, 2), nullptr);
  EXPECT_NE(table.find(0, 1), nullptr);
  table.put(thread(5, 5, 1, "e"));  // evicts 3
  EXPECT_EQ(table.find(0, 3), nullptr);
  auto s = table.stats();
  EXPECT_EQ(s.thread_evictions, 2u);
  EXPECT_EQ(s.threads, 3u);
  EXPECT_EQ(s.processes, 3u) << "an evicted thread's process goes with it";
  // Replacing a known thread is not an eviction.
  table.put(thread(5, 5, 1, "e2"));
  EXPECT_EQ(table.stats().thread_evictions, 2u);
}

TEST(ThreadTable, EvictsTheOldestFdOfAFullProcess) {
  ThreadTable table({.max_threads = 16, .max_fds_per_process = 3});
  table.put(thread(10, 10, 1, "p"));
  for (int fd = 3; fd <= 7; ++fd) table.put_fd(0, 10, file_fd(fd, "/f" + std::to_string(fd)));
  EXPECT_EQ(table.fd_count(0, 10), 3u);
  EXPECT_EQ(table.fd(0, 10, 3), nullptr);
  EXPECT_EQ(table.fd(0, 10, 4), nullptr);
  ASSERT_NE(table.fd(0, 10, 7), nullptr);
  // Reopening fd 5 makes it the newest: the next eviction takes 6.
  table.put_fd(0, 10, file_fd(5, "/again"));
  table.put_fd(0, 10, file_fd(8, "/f8"));
  EXPECT_EQ(table.fd(0, 10, 6), nullptr);
  ASSERT_NE(table.fd(0, 10, 5), nullptr);
  EXPECT_EQ(table.fd(0, 10, 5)->name, "/again");
  auto s = table.stats();
  EXPECT_EQ(s.fd_evictions, 3u);
  EXPECT_EQ(s.fds, 3u);
}

TEST(ThreadTable, LeaderOutlivesItsExitWhileThreadsRemain) {
  ThreadTable table;
  table.put(thread(200, 200, 1, "java"));
  table.put(thread(201, 200, 1, "java"));
  table.put_fd(0, 200, file_fd(5, "/data"));
  EXPECT_TRUE(table.remove_thread(0, 200));
  EXPECT_TRUE(table.has_exited(0, 200));
  ASSERT_NE(table.find(0, 200), nullptr);
  EXPECT_NE(table.find_fd(*table.find(0, 201), 5), nullptr);
  EXPECT_TRUE(table.remove_thread(0, 201));
  EXPECT_EQ(table.find(0, 200), nullptr) << "the exited leader goes with its last thread";
  EXPECT_EQ(table.find(0, 201), nullptr);
  auto s = table.stats();
  EXPECT_EQ(s.threads, 0u);
  EXPECT_EQ(s.processes, 0u);
  EXPECT_EQ(s.fds, 0u);
  EXPECT_FALSE(table.remove_thread(0, 201));
}

TEST(ThreadTable, AncestorsFollowTheParentChain) {
  ThreadTable table;
  table.put(thread(1, 1, 0, "systemd"));
  table.put(thread(10, 10, 1, "sshd"));
  table.put(thread(20, 20, 10, "bash"));
  table.put(thread(30, 30, 20, "python"));
  table.put(thread(31, 30, 20, "python-worker"));
  const ThreadInfo& worker = *table.find(0, 31);
  ASSERT_NE(table.ancestor(worker, 0), nullptr);
  EXPECT_EQ(table.ancestor(worker, 0)->tid, 30);
  EXPECT_EQ(table.ancestor(worker, 1)->comm, "bash");
  EXPECT_EQ(table.ancestor(worker, 2)->comm, "sshd");
  EXPECT_EQ(table.ancestor(worker, 3)->comm, "systemd");
  EXPECT_EQ(table.ancestor(worker, 4), nullptr);
  EXPECT_EQ(table.ancestor(worker, -1), nullptr);
  EXPECT_EQ(table.parent(worker)->tid, 20);
  EXPECT_EQ(table.parent(*table.find(0, 1)), nullptr);
}

TEST(ThreadTable, CorruptParentLoopsTerminate) {
  ThreadTable table;
  table.put(thread(50, 50, 51, "a"));
  table.put(thread(51, 51, 50, "b"));
  table.put(thread(60, 60, 60, "self"));
  const ThreadInfo& a = *table.find(0, 50);
  // A two-process loop alternates but every walk is bounded.
  EXPECT_EQ(table.ancestor(a, 1)->tid, 51);
  EXPECT_EQ(table.ancestor(a, 2)->tid, 50);
  EXPECT_NE(table.ancestor(a, kMaxAncestorDepth), nullptr);
  EXPECT_EQ(table.ancestor(a, kMaxAncestorDepth + 1), nullptr);
  int steps = 0;
  for (const ThreadInfo* p = &a; p != nullptr && steps <= kMaxAncestorDepth; p = table.ancestor(*p, 1)) ++steps;
  EXPECT_EQ(steps, kMaxAncestorDepth + 1);
  // A process is never its own parent.
  EXPECT_EQ(table.parent(*table.find(0, 60)), nullptr);
  EXPECT_EQ(table.ancestor(*table.find(0, 60), 1), nullptr);
}

TEST(ThreadTable, ExitedParentsResolveToTheirReaper) {
  ThreadTable table;
  table.put(thread(1, 1, 0, "init"));
  table.put(thread(40, 40, 1, "daemonizer"));
  table.put(thread(41, 41, 40, "daemon"));
  table.remove_thread(0, 40);
  EXPECT_EQ(table.parent(*table.find(0, 41)), nullptr) << "no reaper known yet";
  table.remember_reaper(0, 40, 1);
  ASSERT_NE(table.parent(*table.find(0, 41)), nullptr);
  EXPECT_EQ(table.parent(*table.find(0, 41))->comm, "init");
  EXPECT_EQ(table.ancestor(*table.find(0, 41), 1)->tid, 1);
}

TEST(ThreadTable, CloexecFdsCloseAndForkCopies) {
  ThreadTable table;
  table.put(thread(70, 70, 1, "parent"));
  table.put_fd(0, 70, file_fd(3, "/keep"));
  table.put_fd(0, 70, file_fd(4, "/drop", O_RDONLY | O_CLOEXEC));
  table.put(thread(71, 71, 70, "child"));
  EXPECT_EQ(table.copy_fds(0, 70, 71), 2u);
  EXPECT_EQ(table.close_cloexec_fds(0, 71), 1u);
  EXPECT_NE(table.fd(0, 71, 3), nullptr);
  EXPECT_EQ(table.fd(0, 71, 4), nullptr);
  EXPECT_NE(table.fd(0, 70, 4), nullptr) << "the parent's table is its own";
}

TEST(ThreadTable, SnapshotRoundTripsThroughLoad) {
  ThreadTable table;
  ThreadInfo leader = thread(80, 80, 1, "nginx");
  leader.fds.push_back(file_fd(3, "/etc/nginx/nginx.conf"));
  leader.fds.push_back(file_fd(6, "/var/log/nginx/access.log"));
  table.load({leader, thread(81, 80, 1, "nginx")});
  EXPECT_EQ(table.fd_count(0, 80), 2u);
  EXPECT_TRUE(table.find(0, 80)->fds.empty()) << "fds live in the process table";

  auto snap = table.snapshot();
  ASSERT_EQ(snap.size(), 2u);
  ThreadTable copy;
  copy.load(snap);
  EXPECT_EQ(copy.fd_count(0, 80), 2u);
  ASSERT_NE(copy.fd(0, 80, 6), nullptr);
  EXPECT_EQ(copy.fd(0, 80, 6)->name, "/var/log/nginx/access.log");
  for (const ThreadInfo& t : snap) EXPECT_EQ(t.fds.size(), t.tid == 80 ? 2u : 0u);
}

TEST(ThreadTable, SnapshotKeepsTheEvictionOrder) {
  ThreadTable table({.max_threads = 3, .max_fds_per_process = 8});
  table.put(thread(1, 1, 0, "a"));
  table.put(thread(2, 2, 0, "b"));
  table.put(thread(3, 3, 0, "c"));
  table.get(0, 1);  // order, least recent first: 2, 3, 1
  ThreadTable copy({.max_threads = 3, .max_fds_per_process = 8});
  copy.load(table.snapshot());
  copy.put(thread(4, 4, 0, "d"));
  EXPECT_EQ(copy.find(0, 2), nullptr) << "the same victim as in the original";
  EXPECT_NE(copy.find(0, 1), nullptr);
  EXPECT_NE(copy.find(0, 3), nullptr);
}

// What an engine worker takes when it is given a process (app/engine_workers.h):
// the process's fds in opening order and its live threads' directories;
// taking them replaces the replica's stale fds and sets the directories,
// keeping the rest of each entry (the replica applied the lifecycle itself).
TEST(ThreadTable, AProcessLocalStateReplacesAReplicasStaleFdsAndDirectories) {
  ThreadTable table0;
  table0.put(thread(300, 300, 1, "sh"));
  ThreadInfo t = thread(301, 300, 1, "sh");
  t.cwd = "/srv/work";
  table0.put(t);
  table0.put(thread(302, 300, 1, "sh"));
  table0.put_fd(0, 300, file_fd(3, "/srv/a"));
  table0.put_fd(0, 300, file_fd(4, "/srv/b"));
  EXPECT_TRUE(table0.remove_thread(0, 302));

  ThreadTable replica;
  replica.put(thread(300, 300, 1, "sh-replica"));
  replica.put_fd(0, 300, file_fd(3, "/stale"));
  replica.put_fd(0, 300, file_fd(9, "/closed-since"));

  auto local = table0.process_local_state(0, 300);
  ASSERT_TRUE(local.has_value());
  ASSERT_EQ(local->dirs.size(), 2u) << "the exited thread is not in it";
  ASSERT_EQ(local->fds.size(), 2u);
  EXPECT_EQ(local->fds[0].name, "/srv/a") << "oldest fd first";
  EXPECT_FALSE(table0.process_local_state(0, 999).has_value());

  replica.set_process_local_state(0, 300, std::move(*local));
  EXPECT_EQ(replica.fd_count(0, 300), 2u);
  EXPECT_EQ(replica.fd(0, 300, 3)->name, "/srv/a");
  EXPECT_EQ(replica.fd(0, 300, 9), nullptr) << "stale fds are gone";
  EXPECT_EQ(replica.find(0, 300)->comm, "sh-replica") << "the rest of a known thread's entry is the replica's";
  ASSERT_NE(replica.find(0, 301), nullptr) << "a thread the replica lacked gets an entry";
  EXPECT_EQ(replica.find(0, 301)->cwd, "/srv/work");
  EXPECT_EQ(replica.find(0, 301)->pid, 300);
  EXPECT_TRUE(replica.has_process(0, 300));
  EXPECT_FALSE(replica.has_process(0, 999));
}
}  // namespace
}  // namespace kestrel
