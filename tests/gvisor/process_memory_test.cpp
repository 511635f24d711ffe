// ProcessMemory: the context of a thread group's points answers for a
// process that no clone/exec point introduced (runsc exec).
#include <gtest/gtest.h>

#include <string>

#include "gvisor/process_memory.h"

namespace kestrel::gvisor {
namespace {

GvisorContext ctx(int32_t tgid, std::string_view name, std::string_view cwd = "/") {
  GvisorContext c;
  c.tid = tgid;
  c.tgid = tgid;
  c.process_name = name;
  c.cwd = cwd;
  c.container_id = "sandbox-a";
  c.group_start_ns = 1'700'000'000'000'000'000;
  c.has_credentials = true;
  c.ruid = 1000;
  c.euid = 0;
  c.rgid = 1001;
  c.egid = 1002;
  return c;
}

TEST(ProcessMemory, DescribesTheLastContextOfAThreadGroup) {
  ProcessMemory m;
  m.remember(7, ctx(42, "sh", "/root"));
  m.remember(7, ctx(42, "a-name-longer-than-fifteen", "/tmp"));  // exec'd since
  auto d = m.describe(7, 42);
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->size(), 1u);
  const ThreadInfo& t = d->front();
  EXPECT_EQ(t.domain, 7u);
  EXPECT_EQ(t.tid, 42);
  EXPECT_EQ(t.pid, 42);
  EXPECT_EQ(t.comm, "a-name-longer-t");  // cut like the kernel's task name
  EXPECT_EQ(t.exe, "a-name-longer-than-fifteen");
  EXPECT_EQ(t.cwd, "/tmp");
  EXPECT_EQ(t.uid, 1000u);
  EXPECT_EQ(t.euid, 0u);
  EXPECT_EQ(t.gid, 1001u);
  EXPECT_EQ(t.egid, 1002u);
  EXPECT_EQ(t.start_ts, 1'700'000'000'000'000'000ull);
}

TEST(ProcessMemory, SandboxesAndUnknownsStayApart) {
  ProcessMemory m;
  m.remember(7, ctx(42, "cat"));
  m.remember(8, ctx(42, "sleep"));
  EXPECT_EQ(m.describe(7, 42)->front().comm, "cat");
  EXPECT_EQ(m.describe(8, 42)->front().comm, "sleep");
  EXPECT_FALSE(m.describe(9, 42).has_value());
  EXPECT_FALSE(m.describe(7, 43).has_value());
  EXPECT_FALSE(m.describe(7, -1).has_value());
  EXPECT_FALSE(m.describe(7, int64_t{1} << 40).has_value());
  m.remember(7, ctx(0, "no-tgid"));      // a point without context
  m.remember(7, ctx(50, ""));            // or without a name
  EXPECT_FALSE(m.describe(7, 0).has_value());
  EXPECT_FALSE(m.describe(7, 50).has_value());
}

TEST(ProcessMemory, StaysWithinItsCapacity) {
  ProcessMemory m(100);
  for (int32_t tgid = 1; tgid <= 1000; ++tgid) m.remember(1, ctx(tgid, "p"));
  EXPECT_LE(m.size(), 100u);
  EXPECT_TRUE(m.describe(1, 1000).has_value()) << "the newest is kept";
  EXPECT_FALSE(m.describe(1, 1).has_value()) << "the oldest is forgotten";
}

}  // namespace
}  // namespace kestrel::gvisor
