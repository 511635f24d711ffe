// What the host hands a plugin besides its config (issue 11, item 6): a
// plugin that, like those built with plugin-sdk-cpp at API 3.3, calls
// in->log_fn and reads in->tables in plugin_init must initialise (its log
// lines reach Kestrel's log with its name) or fail cleanly with the host's
// reason — never crash the host. Plus the other plugin-provided text the
// host parses (get_fields) and the metrics it reads (get_metrics).
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "plugins/plugin_library.h"
#include "plugins/plugin_owner.h"
#include "plugins/plugin_source.h"
#include "plugins/state_tables/table_registry.h"

namespace kestrel::plugin {
namespace {

std::mutex g_mu;
std::vector<std::string> g_lines;

void capture(const std::string& line) {
  std::lock_guard lock(g_mu);
  g_lines.push_back(line);
}

std::vector<std::string> captured() {
  std::lock_guard lock(g_mu);
  return g_lines;
}

class PluginInitInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::lock_guard lock(g_mu);
    g_lines.clear();
    set_plugin_log_sink(&capture);
  }
  void TearDown() override { set_plugin_log_sink(nullptr); }
};

bool logged(const std::string& text) {
  for (const auto& l : captured())
    if (l.find(text) != std::string::npos) return true;
  return false;
}

TEST_F(PluginInitInputs, SdkStylePluginInitialisesAndItsLogReachesOurs) {
  auto lib = PluginLibrary::load(SDK_LIKE_PLUGIN);
  ASSERT_TRUE(lib.ok()) << lib.status().to_string();
  Status s = (*lib)->init("");
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(logged("kestrel: plugin 'sdklike': info: hello from plugin_init")) << ::testing::PrintToString(captured());
  EXPECT_FALSE(logged("looking for state tables"));  // debug: not logged
  // The plugin saw a valid table list: the host's "threads" table.
  EXPECT_EQ((*lib)->last_error(), "tables listed: 1");

  PluginSource src(*lib, "");
  ASSERT_TRUE(src.open().ok());
  EXPECT_TRUE(logged("kestrel: plugin 'sdklike'/open: notice: opened"));
  EventBatch batch;
  auto r = src.next(batch, std::chrono::milliseconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, NextOutcome::kEof);
}

TEST_F(PluginInitInputs, PluginThatNeedsTheThreadsTableGetsIt) {
  // Plugin API 3.x: the host offers its thread table as "threads" (int64
  // tid key) to every plugin, even before a thread table is attached.
  auto lib = PluginLibrary::load(SDK_LIKE_PLUGIN);
  ASSERT_TRUE(lib.ok()) << lib.status().to_string();
  Status s = (*lib)->init("needs-threads");
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ((*lib)->last_error(), "tables listed: 1");
}

TEST_F(PluginInitInputs, TablesInputAnswersPerTheContract) {
  TableRegistry registry;
  PluginOwner owner("x", &registry, 3);
  ss_plugin_init_input in = owner.init_input("");
  const ss_plugin_init_tables_input* t = in.tables;
  ASSERT_NE(t, nullptr);
  ASSERT_NE(in.log_fn, nullptr);
  uint32_t n = 7;
  ss_plugin_table_info* list = t->list_tables(&owner, &n);
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(n, 1u);
  EXPECT_STREQ(list[0].name, "threads");
  EXPECT_NE(t->get_table(&owner, "threads", SS_PLUGIN_ST_INT64), nullptr);
  EXPECT_EQ(t->get_table(&owner, "containers", SS_PLUGIN_ST_STRING), nullptr);
  EXPECT_STREQ(in.get_owner_last_error(&owner), "no state table 'containers'");
  EXPECT_EQ(t->add_table(&owner, nullptr), SS_PLUGIN_FAILURE);
  ASSERT_NE(t->fields_ext, nullptr);
  ASSERT_NE(t->reader_ext, nullptr);
  ASSERT_NE(t->writer_ext, nullptr);
  EXPECT_EQ(t->fields_ext->get_table_field(nullptr, "a", SS_PLUGIN_ST_STRING), nullptr);
  EXPECT_EQ(t->reader_ext->get_table_size(nullptr), UINT64_MAX);
  EXPECT_EQ(t->writer_ext->clear_table(nullptr), SS_PLUGIN_FAILURE);
}

TEST(PluginFieldsJson, DeeplyNestedGetFieldsIsRefusedWithItsPosition) {
  auto r = parse_plugin_fields(std::string(20000, '[') + std::string(20000, ']'));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper than 128 levels at line 1, column 129"), std::string::npos)
      << r.status().to_string();
}

TEST(PluginMetrics, K8sauditReportsItsWebhookCounters) {
  auto lib = PluginLibrary::load(K8SAUDIT_PLUGIN);
  ASSERT_TRUE(lib.ok()) << lib.status().to_string();
  ASSERT_TRUE((*lib)->init("{}").ok());
  auto m = (*lib)->metrics();
  for (const char* name : {"webhook_requests_accepted", "webhook_events_accepted", "webhook_refused_not_json",
                           "webhook_refused_too_deep", "webhook_refused_too_large", "webhook_refused_queue_full",
                           "webhook_refused_unauthorized", "webhook_refused_not_found"}) {
    ASSERT_TRUE(m.count(name)) << name;
    EXPECT_EQ(m[name], 0u) << name;
  }
}

TEST(PluginMetrics, BadInitConfigValuesAreRefused) {
  auto lib = PluginLibrary::load(K8SAUDIT_PLUGIN);
  ASSERT_TRUE(lib.ok());
  Status s = (*lib)->init(R"({"maxEventSize": -1})");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("maxEventSize"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace kestrel::plugin
