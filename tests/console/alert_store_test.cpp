// The alert store on real SQLite files: retention by age and by size, the
// text search's escaping of LIKE's wildcards, keyset paging while alerts
// arrive, the live feed's per-reader bound, and the nodes table keeping
// each node's newest status.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "outputs/store/alert_query.h"
#include "outputs/store/alert_store.h"
#include "outputs/store/live_feed.h"
#include "outputs/store/node_table.h"

namespace kestrel::store {
namespace {

constexpr uint64_t kDay = 86400ull * 1000000000ull;

std::string fresh_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("kestrel-store-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + s);
  return p.string();
}

// The path fresh_path() gave, without removing the file.
std::string fresh_path_kept(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("kestrel-store-test-" + std::to_string(getpid())) / name).string();
}

engine::Alert alert_at(uint64_t t, std::string rule, std::string output = "x") {
  engine::Alert a;
  a.time_ns = t;
  a.rule = std::move(rule);
  a.priority = engine::Priority::kWarning;
  a.hostname = "node-a";
  a.output = std::move(output);
  a.tags = {"t1"};
  return a;
}

uint64_t count_all(AlertStore& s) {
  auto c = count_alerts(s, {}, "none", 1000 * kDay);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return (*c)["total"].get<uint64_t>();
}

TEST(NodeTable, KeepsTheNewestStatusPerNodeAndAgesOut) {
  auto s = AlertStore::open_writer({fresh_path("nodes.db"), 7, 0});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const uint64_t now = 100 * kDay;
  auto put = [&](std::string node, uint64_t t, uint64_t received, std::string json) {
    auto r = put_node_status(**s, {std::move(node), t, received, std::move(json)});
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() && *r;
  };
  EXPECT_TRUE(put("a", 20, now, R"({"node":"a","time":20})"));
  // Older than what is stored (read back from the stream after a live one): kept out.
  EXPECT_FALSE(put("a", 10, now, R"({"node":"a","time":10})"));
  EXPECT_TRUE(put("a", 30, now, R"({"node":"a","time":30})"));
  EXPECT_TRUE(put("b", 5, now - 8 * kDay, R"({"node":"b","time":5})"));
  auto rows = list_node_statuses(**s);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].node, "a");
  EXPECT_EQ((*rows)[0].time_ns, 30u);
  EXPECT_EQ((*rows)[0].status, R"({"node":"a","time":30})");
  // A reader sees it; b, not heard from for 8 days, goes with retention_days=7.
  (*s)->enforce_retention(now);
  auto reader = AlertStore::open_reader(fresh_path_kept("nodes.db"));
  ASSERT_TRUE(reader.ok()) << reader.status().to_string();
  rows = list_node_statuses(**reader);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].node, "a");
}

TEST(AlertStore, RetentionByAgeDeletesOnlyOlderAlerts) {
  auto s = AlertStore::open_writer({fresh_path("age.db"), 7, 0});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const uint64_t now = 100 * kDay;
  ASSERT_TRUE((*s)->insert(alert_at(now - 8 * kDay, "old")).ok());
  ASSERT_TRUE((*s)->insert(alert_at(now - 6 * kDay, "recent")).ok());
  ASSERT_TRUE((*s)->insert(alert_at(now, "new")).ok());
  RetentionResult r = (*s)->enforce_retention(now);
  EXPECT_EQ(r.deleted_by_age, 1u);
  EXPECT_EQ(count_all(**s), 2u);
  auto page = list_alerts(**s, {.rule = std::string("old")}, 10, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->alerts.empty());
}

TEST(AlertStore, RetentionBySizeKeepsTheFileUnderItsCapDroppingTheOldest) {
  auto s = AlertStore::open_writer({fresh_path("size.db"), 0, 1});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  std::vector<engine::Alert> batch;
  for (int i = 0; i < 30000; ++i) batch.push_back(alert_at(kDay + static_cast<uint64_t>(i), "r", std::string(200, 'o')));
  ASSERT_TRUE((*s)->insert_all(batch).ok());
  ASSERT_GT((*s)->size_bytes(), 1024u * 1024u);
  RetentionResult r = (*s)->enforce_retention(2 * kDay);
  EXPECT_GT(r.deleted_by_size, 0u);
  EXPECT_LE((*s)->size_bytes(), 1024u * 1024u);
  // Only the excess goes (a 1 MB cap holds a few thousand of these), and
  // the newest survive.
  EXPECT_GT(count_all(**s), 1000u);
  EXPECT_GT((*s)->size_bytes(), 512u * 1024u);
  auto page = list_alerts(**s, {}, 1, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->alerts.size(), 1u);
  EXPECT_EQ(page->alerts[0]["time_ns"].get<uint64_t>(), kDay + 29999);
}

TEST(AlertQuery, TextSearchTakesPercentAndUnderscoreLiterally) {
  auto s = AlertStore::open_writer({fresh_path("text.db"), 0, 0});
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->insert(alert_at(1, "r", "cpu 100% used")).ok());
  ASSERT_TRUE((*s)->insert(alert_at(2, "r", "cpu 1000 used")).ok());
  ASSERT_TRUE((*s)->insert(alert_at(3, "r", "a_b")).ok());
  ASSERT_TRUE((*s)->insert(alert_at(4, "r", "axb")).ok());
  auto pct = list_alerts(**s, {.text = std::string("100%")}, 10, std::nullopt);
  ASSERT_TRUE(pct.ok());
  ASSERT_EQ(pct->alerts.size(), 1u);
  EXPECT_EQ(pct->alerts[0]["output"], "cpu 100% used");
  auto us = list_alerts(**s, {.text = std::string("A_B")}, 10, std::nullopt);
  ASSERT_TRUE(us.ok());
  ASSERT_EQ(us->alerts.size(), 1u);
  EXPECT_EQ(us->alerts[0]["output"], "a_b");
}

TEST(AlertQuery, PagesStayStableWhileNewAlertsArrive) {
  auto s = AlertStore::open_writer({fresh_path("pages.db"), 0, 0});
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*s)->insert(alert_at(static_cast<uint64_t>(i), "r")).ok());
  auto first = list_alerts(**s, {}, 2, std::nullopt);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->next_before_id);
  ASSERT_TRUE((*s)->insert(alert_at(99, "r")).ok());  // arrives between pages
  std::vector<int64_t> ids;
  for (auto& a : first->alerts) ids.push_back(a["id"]);
  std::optional<int64_t> before = first->next_before_id;
  while (before) {
    auto page = list_alerts(**s, {}, 2, before);
    ASSERT_TRUE(page.ok());
    for (auto& a : page->alerts) ids.push_back(a["id"]);
    before = page->next_before_id;
  }
  EXPECT_EQ(ids, (std::vector<int64_t>{5, 4, 3, 2, 1}));
}

TEST(AlertStore, ReaderSeesCommittedAlertsWhileTheWriterHoldsTheFile) {
  const std::string path = fresh_path("wal.db");
  auto w = AlertStore::open_writer({path, 0, 0});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->insert(alert_at(1, "r")).ok());
  auto r = AlertStore::open_reader(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(count_all(**r), 1u);
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

TEST(AlertStore, AnUnusablePathIsAnErrorNamingIt) {
  auto s = AlertStore::open_writer({"/proc/kestrel-no/alerts.db", 0, 0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/proc/kestrel-no"), std::string::npos) << s.status().message();
}

TEST(LiveFeed, ASlowReaderLosesItsOldestLinesAndCountsThem) {
  auto feed = std::make_shared<LiveFeed>();
  auto sub = LiveFeed::subscribe(feed);
  for (size_t i = 0; i < LiveFeed::kBacklog + 5; ++i) feed->publish(std::to_string(i));
  EXPECT_EQ(sub->missed(), 5u);
  EXPECT_EQ(sub->next(std::chrono::milliseconds(0)), "5");
  feed->close();
  EXPECT_EQ(sub->next(std::chrono::milliseconds(1000)), std::nullopt);
  EXPECT_TRUE(sub->closed());
}

TEST(LiveFeed, AWaitingReaderWakesForANewLine) {
  auto feed = std::make_shared<LiveFeed>();
  auto sub = LiveFeed::subscribe(feed);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    feed->publish("hello");
  });
  EXPECT_EQ(sub->next(std::chrono::seconds(5)), "hello");
  later.join();
  sub.reset();
  EXPECT_EQ(feed->subscribers(), 0u);
}

}  // namespace
}  // namespace kestrel::store
