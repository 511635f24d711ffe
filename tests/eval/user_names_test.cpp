// UserNames (user.name, group.name on the host) under a MemoryBudget: the
// remembered users and groups are accounted, the least recently used are
// forgotten beyond the cache's share, and a forgotten id is asked again.
#include <gtest/gtest.h>

#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

TEST(UserNames, KeepsItsShareOfTheMemoryBudget) {
  // A share of 16 KiB: a few hundred remembered ids.
  MemoryBudget budget(16 * 1024 * MemoryBudget::kCacheShareDivisor);
  UserNames names;
  names.set_budget(&budget);
  ASSERT_NE(names.user_name(0), nullptr);
  EXPECT_EQ(*names.user_name(0), "root");
  // Ids no passwd file here has: each miss is remembered (and accounted).
  for (uint32_t uid = 4000000; uid < 4005000; ++uid) {
    EXPECT_EQ(names.user_name(uid), nullptr);
    names.user_name(0);  // root stays recently used
    ASSERT_LE(budget.bytes(MemoryTable::kUsers), 16u * 1024u);
  }
  for (uint32_t gid = 4000000; gid < 4001000; ++gid) EXPECT_EQ(names.group_name(gid), nullptr);
  EXPECT_LE(budget.bytes(MemoryTable::kUsers), 16u * 1024u);
  const uint64_t evicted = budget.stats().evictions[static_cast<size_t>(MemoryTable::kUsers)];
  EXPECT_GT(evicted, 4000u);
  ASSERT_NE(names.user_name(0), nullptr);
  EXPECT_EQ(*names.user_name(0), "root");
  ASSERT_NE(names.group_name(0), nullptr);
  EXPECT_EQ(*names.group_name(0), "root");
  names.set_budget(nullptr);
  EXPECT_EQ(budget.total(), 0u);
}

TEST(UserNames, LeavesTheBudgetWhenDestroyed) {
  MemoryBudget budget;
  {
    UserNames names;
    names.set_budget(&budget);
    names.user_name(0);
    names.group_name(0);
    EXPECT_GT(budget.bytes(MemoryTable::kUsers), 0u);
  }
  EXPECT_EQ(budget.total(), 0u);
}

}  // namespace
}  // namespace kestrel::engine::eval
