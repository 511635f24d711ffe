// The plugin API as published, through the real host (PluginLibrary,
// PluginSource, TableRegistry over a real ThreadTable, AsyncEventSource):
// test plugins built against ../shared/reference/plugin-api only.
//   api312  every capability at 3.12 (test_plugins/api312_plugin.cpp)
//   api30   a 3.0 plugin: by-value vtables, a 3.0 add_table input
//   3.13 / 4.0: refused, naming the version wanted and ours
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugins/plugin_async_events.h"
#include "plugins/plugin_library.h"
#include "plugins/plugin_owner.h"
#include "plugins/plugin_parsers.h"
#include "plugins/plugin_source.h"
#include "plugins/state_tables/table_registry.h"
#include "plugins/state_tables/table_vtables.h"
#include "sources/event/event_view.h"
#include "state/thread_table.h"

namespace kestrel::plugin {
namespace {

std::mutex g_mu;
std::vector<std::string> g_lines;

void capture(const std::string& line) {
  std::lock_guard lock(g_mu);
  g_lines.push_back(line);
}

bool logged(const std::string& text) {
  std::lock_guard lock(g_mu);
  for (const auto& l : g_lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

ThreadInfo thread(int64_t tid, const std::string& comm, uint64_t start_ts = 1) {
  ThreadInfo t;
  t.tid = tid;
  t.pid = tid;
  t.comm = comm;
  t.start_ts = start_ts;
  return t;
}

// One plugin event as the plugin ABI has it, from our record.
std::vector<uint8_t> abi_event(const Event& e) { return record_to_plugin_event(e.view); }

struct Extracted {
  bool present = false;
  std::string str;
  uint64_t u64 = 0;
};

Extracted extract(PluginLibrary& lib, const std::vector<uint8_t>& evt, uint64_t evtnum, uint32_t id) {
  const PluginField& pf = lib.info().fields.at(id);
  ss_plugin_extract_field f{};
  f.field_id = id;
  f.field = pf.name.c_str();
  f.ftype = pf.ftype;
  Extracted out;
  Status s = lib.extract(reinterpret_cast<const ss_plugin_event*>(evt.data()), evtnum, {&f, 1}, [&] {
    if (f.res_len == 0) return;
    out.present = true;
    if (pf.ftype == FTYPE_STRING) out.str = f.res.str[0];
    else out.u64 = f.res.u64[0];
  });
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

std::vector<Event> drain(PluginSource& src) {
  std::vector<Event> all;
  std::vector<std::vector<uint8_t>> keep;
  for (int i = 0; i < 10; ++i) {
    EventBatch batch;
    auto r = src.next(batch, std::chrono::milliseconds(10));
    EXPECT_TRUE(r.ok());
    for (auto& e : batch.events) all.push_back(e);
    if (!r.ok() || *r == NextOutcome::kEof) break;
  }
  return all;
}

class PluginApi312 : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      std::lock_guard lock(g_mu);
      g_lines.clear();
    }
    set_plugin_log_sink(&capture);
    threads_.put(thread(100, "bash"));
    threads_.put(thread(200, "nginx"));
    registry_.threads().attach(&threads_);
  }
  void TearDown() override {
    registry_.threads().attach(nullptr);
    set_plugin_log_sink(nullptr);
  }

  std::shared_ptr<PluginLibrary> load_312(const std::string& config = R"({"ticks": 3})") {
    auto lib = PluginLibrary::load(API312_PLUGIN);
    EXPECT_TRUE(lib.ok()) << lib.status().to_string();
    if (!lib.ok()) return nullptr;
    Status s = (*lib)->init(config, &registry_);
    EXPECT_TRUE(s.ok()) << s.to_string();
    return *lib;
  }

  ThreadTable threads_;
  TableRegistry registry_;
};

TEST(PluginApiVersion, AcceptsEveryMinorOfMajor3UpTo12) {
  for (const char* v : {"3.0.0", "3.1.0", "3.3.0", "3.10.2", "3.11.9", "3.12.0", "3.12.0-rc1"})
    EXPECT_TRUE(check_api_version(v).ok()) << v;
  EXPECT_EQ(host_api_version(), "3.12.0");
}

TEST(PluginApiVersion, NewerMinorOrOtherMajorIsRefusedNamingBothVersions) {
  for (const char* v : {"3.13.0", "3.12.1", "4.0.0", "2.0.0"}) {
    Status s = check_api_version(v);
    ASSERT_FALSE(s.ok()) << v;
    EXPECT_NE(s.message().find(std::string("requires plugin API version ") + v), std::string::npos) << s.to_string();
    EXPECT_NE(s.message().find("(plugin API 3.12.0)"), std::string::npos) << s.to_string();
  }
}

TEST(PluginApiVersion, Plugins313And40AreRefusedAtLoadWithoutCrashing) {
  for (const auto& [path, version] : {std::pair{API313_PLUGIN, "3.13.0"}, std::pair{API4_PLUGIN, "4.0.0"}}) {
    auto lib = PluginLibrary::load(path);
    ASSERT_FALSE(lib.ok()) << path;
    EXPECT_NE(lib.status().message().find(std::string("plugin requires plugin API version ") + version +
                                          ", which this Kestrel (plugin API 3.12.0) does not support"),
              std::string::npos)
        << lib.status().to_string();
  }
}

TEST_F(PluginApi312, LoadsWithEveryCapability) {
  auto lib = load_312();
  ASSERT_TRUE(lib);
  const PluginInfo& i = lib->info();
  EXPECT_EQ(i.api_minor, 12u);
  EXPECT_TRUE(i.can_source && i.can_extract && i.can_parse && i.can_async && i.can_listen && i.can_set_config);
  EXPECT_EQ(i.async_events, std::vector<std::string>{"api312_tick"});
  EXPECT_TRUE(logged("kestrel: plugin 'api312': info: init, mode normal"));
  // Its own table joined the host's.
  uint32_t n = 0;
  ss_plugin_table_info* tables = registry_.list(&n);
  ASSERT_EQ(n, 2u);
  EXPECT_STREQ(tables[0].name, "threads");
  EXPECT_EQ(tables[0].key_type, SS_PLUGIN_ST_INT64);
  EXPECT_STREQ(tables[1].name, "api312_seen");
  EXPECT_EQ(tables[1].key_type, SS_PLUGIN_ST_UINT64);
}

TEST_F(PluginApi312, InitConfigIsCheckedAgainstThePluginSchemaNamingTheKey) {
  struct Case {
    const char* config;
    const char* error;
  } cases[] = {
      {R"({"mode": "loud"})", R"(init_config/mode: "loud" is not one of ["normal","strict"])"},
      {R"({"ticks": "three"})", "init_config/ticks: expected integer, got string"},
      {R"({"ticks": -1})", "init_config/ticks: -1 is less than the minimum 0"},
      {R"({"extra": true})", "init_config/extra: unknown property (not allowed)"},
      {R"([1])", "init_config: expected object, got array"},
      {"not json", "not JSON"},
  };
  for (const Case& c : cases) {
    auto lib = PluginLibrary::load(API312_PLUGIN);
    ASSERT_TRUE(lib.ok());
    Status s = (*lib)->init(c.config, &registry_);
    ASSERT_FALSE(s.ok()) << c.config;
    EXPECT_NE(s.message().find("plugin 'api312': init_config does not follow the plugin's JSON schema"),
              std::string::npos)
        << s.to_string();
    EXPECT_NE(s.message().find(c.error), std::string::npos) << s.to_string();
    EXPECT_FALSE((*lib)->initialized());
  }
  // An empty config is "{}": valid.
  auto lib = PluginLibrary::load(API312_PLUGIN);
  ASSERT_TRUE(lib.ok());
  EXPECT_TRUE((*lib)->init("", &registry_).ok());
}

TEST_F(PluginApi312, SourcesParsesAndExtractsThroughTheHostThreadTable) {
  auto lib = load_312();
  ASSERT_TRUE(lib);
  EXPECT_TRUE(lib->wants_parse("api312", KESTREL_PLUGIN_EVENT_CODE));
  EXPECT_FALSE(lib->wants_parse("syscall", 5));  // its own source only, by default
  EXPECT_FALSE(lib->wants_parse("k8s_audit", KESTREL_PLUGIN_EVENT_CODE));

  PluginSource src(lib, "100,200,100");
  ASSERT_TRUE(src.open().ok());
  std::vector<Event> events = drain(src);
  ASSERT_EQ(events.size(), 3u);
  const uint64_t expected_parsed[] = {1, 1, 2};
  const char* expected_comm[] = {"bash", "nginx", "bash"};
  for (size_t i = 0; i < events.size(); ++i) {
    std::vector<uint8_t> evt = abi_event(events[i]);
    ASSERT_FALSE(evt.empty());
    // Parsing comes first, then extraction sees what it wrote.
    Status s = lib->parse(reinterpret_cast<const ss_plugin_event*>(evt.data()), i + 1, "api312");
    ASSERT_TRUE(s.ok()) << s.to_string();
    EXPECT_EQ(extract(*lib, evt, i + 1, 0).u64, i == 1 ? 200u : 100u);
    EXPECT_EQ(extract(*lib, evt, i + 1, 1).str, expected_comm[i]);
    EXPECT_EQ(extract(*lib, evt, i + 1, 2).u64, expected_parsed[i]) << i;
    EXPECT_EQ(extract(*lib, evt, i + 1, 3).u64, expected_parsed[i]) << i;
  }
  // The field it added to the host's threads table, as the host sees it.
  ThreadStateTable& t = registry_.threads();
  ss_plugin_table_field_t* f = t.get_field("api312_parsed", SS_PLUGIN_ST_UINT64);
  ASSERT_NE(f, nullptr);
  ss_plugin_state_data key{}, v{};
  key.s64 = 100;
  ss_plugin_table_entry_t* e = t.get_entry(&key);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(t.read(e, f, &v), SS_PLUGIN_SUCCESS);
  EXPECT_EQ(v.u64, 2u);
  EXPECT_EQ(lib->metrics()["events_parsed"], 3u);
}

TEST_F(PluginApi312, ParsingAnUnknownThreadFailsWithTheHostReason) {
  auto lib = load_312();
  ASSERT_TRUE(lib);
  PluginSource src(lib, "999");
  ASSERT_TRUE(src.open().ok());
  std::vector<Event> events = drain(src);
  ASSERT_EQ(events.size(), 1u);
  std::vector<uint8_t> evt = abi_event(events[0]);
  Status s = lib->parse(reinterpret_cast<const ss_plugin_event*>(evt.data()), 1, "api312");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("plugin 'api312': parse_event failed (rc 1): parse: table 'threads': no thread with tid 999"),
            std::string::npos)
      << s.to_string();
  // Extraction of the comm of an unknown thread: no value, no failure.
  EXPECT_FALSE(extract(*lib, evt, 1, 1).present);
}

TEST_F(PluginApi312, PluginParsersFeedEachEventToThePluginsThatParseItsSource) {
  auto lib = load_312();
  ASSERT_TRUE(lib);
  auto old = PluginLibrary::load(API30_PLUGIN);  // no parse_event: not a parser
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE((*old)->init("", &registry_).ok());
  PluginParsers parsers({lib, *old});
  ASSERT_FALSE(parsers.empty());
  PluginSource src(lib, "100,999,999,200");
  ASSERT_TRUE(src.open().ok());
  std::vector<Event> events = drain(src);
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 0; i < events.size(); ++i) parsers.parse_record(events[i], i + 1, "api312");
  // Events of another source are not this plugin's to parse.
  parsers.parse_record(events[0], 5, "k8s_audit");
  EXPECT_EQ(lib->metrics()["events_parsed"], 2u);
  EXPECT_EQ(parsers.failures()["api312"], 2u);
  EXPECT_EQ(parsers.failures().count("api30"), 0u);
  // The failure reached the log once, with the plugin's reason.
  std::lock_guard lock(g_mu);
  int n = 0;
  for (const auto& l : g_lines) n += l.find("kestrel: plugin 'api312'/parse: warning:") != std::string::npos &&
                                       l.find("no thread with tid 999") != std::string::npos;
  EXPECT_EQ(n, 1);
}

TEST_F(PluginApi312, AsyncEventsReachTheStreamWithTheirNameAndUndeclaredOnesAreRefused) {
  auto lib = load_312(R"({"ticks": 3})");
  ASSERT_TRUE(lib);
  auto queue = std::make_shared<AsyncEventQueue>();
  AsyncEventSource source(queue);
  ASSERT_TRUE(source.open().ok());
  ASSERT_TRUE(lib->start_async(queue, 0).ok());
  std::vector<std::pair<std::string, std::string>> got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (got.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    EventBatch batch;
    auto r = source.next(batch, std::chrono::milliseconds(50));
    ASSERT_TRUE(r.ok());
    for (const Event& e : batch.events) {
      ASSERT_EQ(e.view.type(), KE_ASYNCEVENT);
      auto name = e.view.param(KP_ASYNCEVENT_name);
      auto data = e.view.param(KP_ASYNCEVENT_data);
      auto id = e.view.param(KP_ASYNCEVENT_plugin_id);
      ASSERT_EQ(id.size(), 4u);
      uint32_t plugin_id;
      std::memcpy(&plugin_id, id.data(), 4);
      EXPECT_EQ(plugin_id, 0u);  // injected into the syscall stream
      std::string n(reinterpret_cast<const char*>(name.data()), name.size());
      while (!n.empty() && n.back() == '\0') n.pop_back();
      got.emplace_back(n, std::string(reinterpret_cast<const char*>(data.data()), data.size()));
    }
  }
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].first, "api312_tick");
    EXPECT_EQ(got[i].second, "tick " + std::to_string(i));
  }
  // The one named "undeclared" was refused, and the plugin got the reason.
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!logged("async event refused") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(logged("kestrel: plugin 'api312'/async: warning: async event refused: async event name 'undeclared' "
                     "is not among those plugin 'api312' declared (get_async_events)"));
  EXPECT_TRUE(lib->stop_async().ok());
  EXPECT_EQ(source.stats().events, 3u);
}

TEST_F(PluginApi312, CaptureListeningRunsRoutinesUntilCaptureClose) {
  auto lib = load_312();
  ASSERT_TRUE(lib);
  EXPECT_EQ(lib->metrics()["routine_runs"], 0u);
  ASSERT_TRUE(lib->capture_open().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (lib->metrics()["routine_runs"] < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(lib->metrics()["routine_runs"], 5u);
  ASSERT_TRUE(lib->capture_close().ok());
  EXPECT_EQ(lib->owner().routine_count(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a pass in flight ends
  uint64_t after = lib->metrics()["routine_runs"];
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(lib->metrics()["routine_runs"], after);
}

TEST_F(PluginApi312, SetConfigAppliesANewConfigAndChecksItAgainstTheSchema) {
  auto lib = load_312(R"({"mode": "normal"})");
  ASSERT_TRUE(lib);
  PluginSource src(lib, "100");
  ASSERT_TRUE(src.open().ok());
  std::vector<Event> events = drain(src);
  ASSERT_EQ(events.size(), 1u);
  std::vector<uint8_t> evt = abi_event(events[0]);
  EXPECT_EQ(extract(*lib, evt, 1, 4).str, "normal");
  ASSERT_TRUE(lib->set_config(R"({"mode": "strict"})").ok());
  EXPECT_EQ(extract(*lib, evt, 2, 4).str, "strict");
  EXPECT_TRUE(logged("kestrel: plugin 'api312'/config: info: mode now strict"));
  Status bad = lib->set_config(R"({"mode": "loud"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("init_config/mode"), std::string::npos) << bad.to_string();
  EXPECT_EQ(extract(*lib, evt, 3, 4).str, "strict");
}

TEST_F(PluginApi312, DumpStateProgressAndEventToString) {
  auto lib = load_312(R"({"ticks": 0})");
  ASSERT_TRUE(lib);
  auto queue = std::make_shared<AsyncEventQueue>();
  ASSERT_TRUE(lib->dump_state(queue, 0).ok());
  std::vector<AsyncEvent> dumped = queue->pop_all(std::chrono::milliseconds(100));
  ASSERT_EQ(dumped.size(), 1u);
  EXPECT_EQ(dumped[0].plugin, "api312");
  EXPECT_EQ(dumped[0].name, "api312_tick");
  EXPECT_EQ(std::string(dumped[0].data.begin(), dumped[0].data.end()), "dump");

  EXPECT_FALSE(lib->progress().has_value());  // nothing open
  PluginSource src(lib, "100,200");
  ASSERT_TRUE(src.open().ok());
  auto before = lib->progress();
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->first, 0u);
  EXPECT_EQ(before->second, "0/2");
  std::vector<Event> events = drain(src);
  ASSERT_EQ(events.size(), 2u);
  auto after = lib->progress();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->first, 10000u);
  std::vector<uint8_t> evt = abi_event(events[1]);
  EXPECT_EQ(lib->event_to_string(reinterpret_cast<const ss_plugin_event*>(evt.data()), 2), "api312 tid=200");
}

TEST_F(PluginApi312, Api30PluginLoadsUsesTheByValueVtablesAndItsTableIsReadAs30) {
  auto lib = PluginLibrary::load(API30_PLUGIN);
  ASSERT_TRUE(lib.ok()) << lib.status().to_string();
  EXPECT_EQ((*lib)->info().api_minor, 0u);
  // Its add_table input carries invalid _ext pointers: a host reading them
  // would crash here.
  Status s = (*lib)->init("", &registry_);
  ASSERT_TRUE(s.ok()) << s.to_string();
  PluginSource src(*lib, "200");
  ASSERT_TRUE(src.open().ok());
  std::vector<Event> events = drain(src);
  ASSERT_EQ(events.size(), 1u);
  std::vector<uint8_t> evt = abi_event(events[0]);
  EXPECT_EQ(extract(**lib, evt, 1, 0).str, "nginx");
  EXPECT_EQ(extract(**lib, evt, 1, 1).u64, 1u);  // only "threads" existed at its init

  // Its table, through the host's vtables as another plugin would use it.
  StateTable* t = registry_.find("api30_table");
  ASSERT_NE(t, nullptr);
  ss_plugin_table_reader_vtable_ext* reader = table_reader_vtable();
  EXPECT_STREQ(reader->get_table_name(t), "api30_table");
  EXPECT_EQ(reader->get_table_size(t), 1u);
  ss_plugin_table_field_t* f = table_fields_vtable()->get_table_field(t, "value", SS_PLUGIN_ST_UINT32);
  ASSERT_NE(f, nullptr);
  ss_plugin_state_data key{}, v{};
  key.u32 = 7;
  ss_plugin_table_entry_t* e = reader->get_table_entry(t, &key);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(reader->read_entry_field(t, e, f, &v), SS_PLUGIN_SUCCESS);
  EXPECT_EQ(v.u32, 30u);
  reader->release_table_entry(t, e);  // no 3.0 release: a no-op
  EXPECT_EQ(reader->iterate_entries(t, [](ss_plugin_table_iterator_state_t*, ss_plugin_table_entry_t*) -> ss_plugin_bool { return 1; }, nullptr),
            0u);
  EXPECT_EQ(table_error(), "table 'api30_table' (plugin 'api30', API 3.0) cannot be iterated");
}

}  // namespace
}  // namespace kestrel::plugin
