// The thread table under a MemoryBudget (engine.memory_limit_mb): entries
// are accounted as they come and go, the total stays under the limit, the
// least recently used threads go first, then the oldest fds of the process
// being written, and every eviction is counted per table.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "state/memory_budget.h"
#include "state/thread_table.h"

namespace kestrel {
namespace {

// A process as an exec leaves it: 4 args and 8 env strings of `width` bytes.
ThreadInfo process(int64_t pid, size_t width = 100) {
  ThreadInfo t;
  t.tid = t.pid = pid;
  t.ptid = 1;
  t.comm = "worker";
  t.exepath = "/usr/lib/app/" + std::string(width, 'x');
  for (int i = 0; i < 4; ++i) t.args.push_back(std::string(width, static_cast<char>('a' + i)));
  for (int i = 0; i < 8; ++i) t.env.push_back("VAR" + std::to_string(i) + "=" + std::string(width, 'v'));
  t.cwd = "/home/user/" + std::string(width, 'c');
  return t;
}

FdInfo file_fd(int64_t fd, size_t width = 100) {
  FdInfo f;
  f.fd = fd;
  f.type = FdType::kFile;
  f.name = "/var/data/" + std::to_string(fd) + "/" + std::string(width, 'n');
  return f;
}

uint64_t bytes(const ThreadTable& t, MemoryTable which) { return t.stats().memory.bytes[static_cast<size_t>(which)]; }
uint64_t evicted(const ThreadTable& t, MemoryTable which) {
  return t.stats().memory.evictions[static_cast<size_t>(which)];
}

TEST(MemoryBudget, EntriesAreAccountedAndReturnToZero) {
  ThreadTable table;  // no limit: accounted, never evicted for memory
  table.put(process(100, 1000));
  // 4 args, 8 env strings, exepath and cwd of ~1000 bytes each are on the heap.
  EXPECT_GE(bytes(table, MemoryTable::kThreads), 14u * 1000u);
  EXPECT_LT(bytes(table, MemoryTable::kThreads), 14u * 1000u + 4096u);
  for (int fd = 3; fd < 13; ++fd) table.put_fd(0, 100, file_fd(fd, 500));
  EXPECT_GE(bytes(table, MemoryTable::kFds), 10u * 500u);
  EXPECT_LT(bytes(table, MemoryTable::kFds), 10u * (500u + 512u));

  // Fork: the child's copy of the fds is accounted too.
  ThreadInfo child = process(101, 10);
  table.put(child);
  EXPECT_EQ(table.copy_fds(0, 100, 101), 10u);
  const uint64_t two_processes = bytes(table, MemoryTable::kFds);
  EXPECT_GE(two_processes, 2u * 10u * 500u);

  // A thread's cwd changed in place, then re-measured.
  const uint64_t before = bytes(table, MemoryTable::kThreads);
  table.get(0, 101)->cwd = std::string(4000, 'd');
  table.refresh_bytes(0, 101);
  EXPECT_GE(bytes(table, MemoryTable::kThreads), before + 4000u - 64u) << "4000 bytes in, a short cwd out";

  table.erase_fd(0, 101, 3);
  table.close_cloexec_fds(0, 100);
  table.remember_reaper(0, 100, 1);
  table.remove_thread(0, 100);
  table.remove_thread(0, 101);
  EXPECT_EQ(table.size(), 0u);
  // Only the remembered reaper is left: entries leave exactly what they added.
  EXPECT_EQ(bytes(table, MemoryTable::kFds), 0u);
  EXPECT_LT(bytes(table, MemoryTable::kThreads), 256u);
  EXPECT_EQ(evicted(table, MemoryTable::kThreads), 0u);
}

TEST(MemoryBudget, ChurnStaysUnderTheLimitAndCountsEvictions) {
  constexpr uint64_t kLimit = 256 * 1024;
  ThreadTable table(ThreadTableConfig{131072, 4096, kLimit});
  uint64_t highest = 0;
  for (int64_t pid = 1000; pid < 11000; ++pid) {
    table.put(process(pid));
    for (int fd = 0; fd < 5; ++fd) table.put_fd(0, pid, file_fd(fd));
    highest = std::max(highest, table.stats().memory.total_bytes);
  }
  const ThreadTableStats s = table.stats();
  EXPECT_LE(highest, kLimit);
  EXPECT_EQ(s.memory.limit_bytes, kLimit);
  // Each process holds ~5 KB with its fds: the table keeps some tens of 10,000.
  EXPECT_GT(s.threads, 20u);
  EXPECT_LT(s.threads, 200u);
  EXPECT_GT(s.memory_thread_evictions, 9500u);
  EXPECT_EQ(s.memory_thread_evictions, evicted(table, MemoryTable::kThreads));
  EXPECT_EQ(s.thread_evictions, s.memory_thread_evictions) << "max_threads was never reached";
  // The newest process is whole.
  EXPECT_NE(table.find(0, 10999), nullptr);
  EXPECT_EQ(table.fd_count(0, 10999), 5u);
}

TEST(MemoryBudget, LeastRecentlyUsedThreadGoesFirst) {
  ThreadTable table;
  for (int64_t pid = 1; pid <= 10; ++pid) table.put(process(pid));
  // Size the limit so one more process needs two evictions.
  const uint64_t full = table.stats().memory.total_bytes;
  table.budget().set_limit(full + full / 20);
  table.get(0, 1);  // pid 1 is now the most recently used
  table.put(process(11));
  table.put(process(12));
  EXPECT_NE(table.find(0, 1), nullptr) << "touched, so not the victim";
  EXPECT_EQ(table.find(0, 2), nullptr);
  EXPECT_EQ(table.find(0, 3), nullptr);
  EXPECT_NE(table.find(0, 4), nullptr);
  EXPECT_NE(table.find(0, 12), nullptr);
  EXPECT_LE(table.stats().memory.total_bytes, table.budget().limit());
  EXPECT_EQ(evicted(table, MemoryTable::kThreads), 2u);
}

TEST(MemoryBudget, EvictingAThreadFreesItsProcessFds) {
  ThreadTable table;
  table.put(process(1));
  for (int fd = 0; fd < 100; ++fd) table.put_fd(0, 1, file_fd(fd, 200));
  const uint64_t fds_of_one = bytes(table, MemoryTable::kFds);
  table.put(process(2));
  table.budget().set_limit(table.stats().memory.total_bytes);
  table.put(process(3));  // over by one process: pid 1, the oldest, goes
  EXPECT_EQ(table.find(0, 1), nullptr);
  EXPECT_EQ(table.fd_count(0, 1), 0u);
  EXPECT_EQ(bytes(table, MemoryTable::kFds), 0u);
  EXPECT_GT(fds_of_one, 100u * 200u);
  EXPECT_EQ(evicted(table, MemoryTable::kThreads), 1u);
  EXPECT_EQ(evicted(table, MemoryTable::kFds), 0u) << "the fds went with their thread";
}

TEST(MemoryBudget, OneProcessOverTheLimitLosesItsOldestFds) {
  constexpr uint64_t kLimit = 64 * 1024;
  ThreadTable table(ThreadTableConfig{131072, 100000, kLimit});
  table.put(process(7));
  for (int fd = 0; fd < 2000; ++fd) {
    ASSERT_NE(table.put_fd(0, 7, file_fd(fd)), nullptr) << "the fd being written is never the victim";
    ASSERT_LE(table.stats().memory.total_bytes, kLimit);
  }
  ASSERT_NE(table.find(0, 7), nullptr) << "the process being written keeps its thread";
  // The process's fds keep a quarter of the limit (kProcessFdShareDivisor).
  const size_t kept = table.fd_count(0, 7);
  EXPECT_LE(table.stats().memory.bytes[static_cast<size_t>(MemoryTable::kFds)], kLimit / 4);
  EXPECT_GT(kept, 20u);
  EXPECT_LT(kept, 2000u);
  // Oldest first: exactly the newest `kept` fds remain.
  EXPECT_NE(table.fd(0, 7, 1999), nullptr);
  EXPECT_NE(table.fd(0, 7, static_cast<int64_t>(2000 - kept)), nullptr);
  EXPECT_EQ(table.fd(0, 7, static_cast<int64_t>(2000 - kept - 1)), nullptr);
  EXPECT_EQ(table.fd(0, 7, 0), nullptr);
  const ThreadTableStats s = table.stats();
  EXPECT_EQ(evicted(table, MemoryTable::kFds), 2000u - kept);
  EXPECT_EQ(s.memory_fd_evictions, 2000u - kept);
  EXPECT_EQ(s.fd_evictions, 2000u - kept);
}

TEST(MemoryBudget, ThreadsOfTheWrittenProcessAreKept) {
  ThreadTable table;
  // Process 1 with three threads, the oldest entries in the table.
  ThreadInfo leader = process(1);
  table.put(leader);
  for (int64_t tid = 2; tid <= 3; ++tid) {
    ThreadInfo t = leader;
    t.tid = tid;
    table.put(t);
  }
  table.put(process(50));
  table.budget().set_limit(table.stats().memory.total_bytes);
  // An fd of process 1 over the limit: process 50 goes, not 1's threads.
  table.put_fd(0, 1, file_fd(3, 1000));
  EXPECT_NE(table.find(0, 1), nullptr);
  EXPECT_NE(table.find(0, 2), nullptr);
  EXPECT_NE(table.find(0, 3), nullptr);
  EXPECT_EQ(table.find(0, 50), nullptr);
  EXPECT_NE(table.fd(0, 1, 3), nullptr);
}

TEST(MemoryBudget, SharedBudgetMovesTheTablesEntries) {
  ThreadTable table;
  table.put(process(1));
  table.put_fd(0, 1, file_fd(3));
  const uint64_t own = table.stats().memory.total_bytes;
  MemoryBudget shared;
  table.set_budget(&shared);
  EXPECT_EQ(shared.total(), own);
  shared.add(MemoryTable::kContainers, 1000);
  EXPECT_EQ(table.stats().memory.total_bytes, own + 1000) << "stats() shows the whole shared budget";
  EXPECT_EQ(shared.bytes(MemoryTable::kContainers), 1000u);
  table.set_budget(nullptr);
  EXPECT_EQ(shared.total(), 1000u);
  EXPECT_EQ(table.stats().memory.total_bytes, own);
}

// An engine worker's replica accounts in a share of worker 0's budget: the
// share passes its bytes on in lumps, so the shared total may lag by less
// than a lump, but the share's over() counts what it holds back, and its
// entries leave the shared budget with it.
TEST(MemoryBudget, AShareHoldsBackLessThanALumpAndLeavesWithItsEntries) {
  MemoryBudget shared(1u << 20);
  shared.set_shared(true);
  shared.add(MemoryTable::kContainers, 1000);
  {
    MemoryBudget share;
    share.share_into(&shared);
    EXPECT_EQ(share.limit(), 1u << 20) << "a share's limit is the shared budget's";
    ThreadTable replica;
    replica.set_budget(&share);
    replica.put(process(1));
    const uint64_t small = share.total();
    ASSERT_GT(small, 0u);
    ASSERT_LT(small, static_cast<uint64_t>(MemoryBudget::kShareLumpBytes));
    EXPECT_EQ(shared.total(), 1000u) << "less than a lump is held back";
    for (int64_t fd = 3; fd < 400; ++fd) replica.put_fd(0, 1, file_fd(fd));
    const uint64_t held = share.total();
    ASSERT_GT(held, static_cast<uint64_t>(MemoryBudget::kShareLumpBytes));
    EXPECT_GT(shared.total(), 1000u) << "lumps were passed on";
    EXPECT_LT(held + 1000 - shared.total(), static_cast<uint64_t>(MemoryBudget::kShareLumpBytes) * kMemoryTableCount);
    // Over the limit only with what is held back counted.
    shared.add(MemoryTable::kUsers, (1u << 20) - shared.total() - 10);
    EXPECT_FALSE(shared.over());
    EXPECT_TRUE(share.over()) << "the share's held-back bytes put the total over";
    replica.put(process(2));  // an insert over the limit evicts in the replica
    EXPECT_GT(replica.stats().memory_thread_evictions + replica.stats().memory_fd_evictions, 0u);
    EXPECT_GT(evicted(replica, MemoryTable::kThreads) + evicted(replica, MemoryTable::kFds), 0u);
    EXPECT_GT(shared.stats().evictions[static_cast<size_t>(MemoryTable::kThreads)] +
                  shared.stats().evictions[static_cast<size_t>(MemoryTable::kFds)],
              0u)
        << "evictions are counted in the shared budget too";
    shared.sub(MemoryTable::kUsers, shared.bytes(MemoryTable::kUsers));
  }
  EXPECT_EQ(shared.total(), 1000u) << "the share took back what it passed on";
}

}  // namespace
}  // namespace kestrel
