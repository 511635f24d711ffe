#include "state/lru_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kestrel {
namespace {

TEST(LruMap, ABoundedInsertEvictsTheLeastRecentlyUsedAndSaysWhatWent) {
  LruMap<int, std::string> m;
  std::vector<std::pair<int, std::string>> evicted;
  auto on_evict = [&](const int& k, const std::string& v) { evicted.emplace_back(k, v); };
  for (int k : {1, 2, 3}) *m.try_emplace_bounded(k, 3, on_evict).first = "v" + std::to_string(k);
  EXPECT_TRUE(evicted.empty());
  m.touch(1);  // 2 is now the least recently used

  auto [v4, inserted4] = m.try_emplace_bounded(4, 3, on_evict);
  EXPECT_TRUE(inserted4);
  *v4 = "v4";
  ASSERT_EQ(evicted.size(), 1u);
  EXPECT_EQ(evicted[0], (std::pair<int, std::string>{2, "v2"}));  // seen before it went
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.find(2), nullptr);
  EXPECT_NE(m.find(1), nullptr);
}

TEST(LruMap, ABoundedInsertOfAKeyItHoldsEvictsNothing) {
  LruMap<int, std::string> m;
  int evictions = 0;
  auto on_evict = [&](const int&, const std::string&) { ++evictions; };
  for (int k : {1, 2}) *m.try_emplace_bounded(k, 2, on_evict).first = "v" + std::to_string(k);
  auto [v1, inserted] = m.try_emplace_bounded(1, 2, on_evict);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(*v1, "v1");
  EXPECT_EQ(evictions, 0);
  EXPECT_EQ(m.size(), 2u);
}

TEST(LruMap, ABoundedInsertIntoAnOverfullMapEvictsDownToTheCapacity) {
  LruMap<int, int> m;
  for (int k = 0; k < 5; ++k) *m.try_emplace(k).first = k;  // unbounded inserts: 5 entries
  std::vector<int> evicted;
  m.try_emplace_bounded(9, 3, [&](const int& k, int) { evicted.push_back(k); });
  EXPECT_EQ(evicted, (std::vector<int>{0, 1, 2}));  // oldest first, until there is room
  EXPECT_EQ(m.size(), 3u);
  EXPECT_NE(m.find(9), nullptr);
}

}  // namespace
}  // namespace kestrel
