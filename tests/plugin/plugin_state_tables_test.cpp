// The host side of the state-table API, through the same C vtables
// plugins call: the "threads" table over a real ThreadTable (fields,
// read-only fields, plugin-added fields, entries created/added/erased,
// iteration, a reused tid), the registry (lookup by name and key type
// through the init input), and the init-schema validator.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "plugins/init_schema.h"
#include "plugins/plugin_owner.h"
#include "plugins/state_tables/table_registry.h"
#include "plugins/state_tables/table_vtables.h"
#include "state/thread_table.h"

namespace kestrel::plugin {
namespace {

ThreadInfo thread(int64_t tid, const std::string& comm, uint64_t start_ts = 1) {
  ThreadInfo t;
  t.tid = tid;
  t.pid = tid;
  t.comm = comm;
  t.exepath = "/usr/bin/" + comm;
  t.uid = 1000;
  t.start_ts = start_ts;
  return t;
}

class ThreadsTable : public ::testing::Test {
 protected:
  void SetUp() override {
    threads_.put(thread(10, "init"));
    threads_.put(thread(20, "sshd"));
    registry_.threads().attach(&threads_);
    ss_plugin_init_input in = owner_.init_input("");
    tables_ = in.tables;
    t_ = tables_->get_table(&owner_, "threads", SS_PLUGIN_ST_INT64);
    ASSERT_NE(t_, nullptr);
  }
  ss_plugin_table_entry_t* entry(int64_t tid) {
    ss_plugin_state_data key{};
    key.s64 = tid;
    return tables_->reader_ext->get_table_entry(t_, &key);
  }
  ss_plugin_table_field_t* field(const char* name, ss_plugin_state_type type) {
    return tables_->fields_ext->get_table_field(t_, name, type);
  }

  ThreadTable threads_;
  TableRegistry registry_;
  PluginOwner owner_{"tester", &registry_, 12};
  const ss_plugin_init_tables_input* tables_ = nullptr;
  ss_plugin_table_t* t_ = nullptr;
};

TEST_F(ThreadsTable, ListsItsFieldsWithFalcosNamesAndTypes) {
  uint32_t n = 0;
  const ss_plugin_table_fieldinfo* f = tables_->fields_ext->list_table_fields(t_, &n);
  ASSERT_NE(f, nullptr);
  std::set<std::string> names;
  for (uint32_t i = 0; i < n; ++i) names.insert(f[i].name);
  for (const char* want : {"tid", "pid", "ptid", "comm", "exe", "exepath", "cwd", "uid", "gid", "loginuid", "vtid",
                           "vpid", "sid", "container_id"})
    EXPECT_TRUE(names.count(want)) << want;
  EXPECT_EQ(f[0].field_type, SS_PLUGIN_ST_INT64);
  EXPECT_EQ(f[0].read_only, 1u);
  EXPECT_EQ(tables_->reader_ext->get_table_size(t_), 2u);
  EXPECT_STREQ(tables_->reader_ext->get_table_name(t_), "threads");
}

TEST_F(ThreadsTable, ReadsTheThreadTableAndRefusesWrongTypesAndReadOnlyWrites) {
  ss_plugin_table_entry_t* e = entry(20);
  ASSERT_NE(e, nullptr);
  ss_plugin_state_data v{};
  ASSERT_EQ(tables_->reader_ext->read_entry_field(t_, e, field("comm", SS_PLUGIN_ST_STRING), &v), SS_PLUGIN_SUCCESS);
  EXPECT_STREQ(v.str, "sshd");
  ASSERT_EQ(tables_->reader_ext->read_entry_field(t_, e, field("exepath", SS_PLUGIN_ST_STRING), &v), SS_PLUGIN_SUCCESS);
  EXPECT_STREQ(v.str, "/usr/bin/sshd");
  ASSERT_EQ(tables_->reader_ext->read_entry_field(t_, e, field("uid", SS_PLUGIN_ST_UINT32), &v), SS_PLUGIN_SUCCESS);
  EXPECT_EQ(v.u32, 1000u);

  EXPECT_EQ(field("comm", SS_PLUGIN_ST_INT64), nullptr);
  EXPECT_STREQ(owner_.last_error(), "table 'threads': field 'comm' is of type string, not int64");
  EXPECT_EQ(field("nosuch", SS_PLUGIN_ST_STRING), nullptr);
  EXPECT_STREQ(owner_.last_error(), "table 'threads' has no field 'nosuch'");

  v.s64 = 99;
  EXPECT_EQ(tables_->writer_ext->write_entry_field(t_, e, field("tid", SS_PLUGIN_ST_INT64), &v), SS_PLUGIN_FAILURE);
  EXPECT_STREQ(owner_.last_error(), "table 'threads': field 'tid' is read-only");
  v.str = "sshd-renamed";
  ASSERT_EQ(tables_->writer_ext->write_entry_field(t_, e, field("comm", SS_PLUGIN_ST_STRING), &v), SS_PLUGIN_SUCCESS);
  EXPECT_EQ(threads_.find(kHostDomain, 20)->comm, "sshd-renamed");
  tables_->reader_ext->release_table_entry(t_, e);

  EXPECT_EQ(entry(77), nullptr);
  EXPECT_STREQ(owner_.last_error(), "table 'threads': no thread with tid 77");
}

TEST_F(ThreadsTable, PluginFieldsLiveWithTheThreadAndAReusedTidStartsAfresh) {
  ss_plugin_table_field_t* f = tables_->fields_ext->add_table_field(t_, "mark", SS_PLUGIN_ST_STRING);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(tables_->fields_ext->add_table_field(t_, "mark", SS_PLUGIN_ST_STRING), f);  // same type: same field
  EXPECT_EQ(tables_->fields_ext->add_table_field(t_, "mark", SS_PLUGIN_ST_UINT64), nullptr);
  EXPECT_STREQ(owner_.last_error(), "table 'threads': field 'mark' already exists with type string, cannot add it as uint64");
  EXPECT_EQ(tables_->fields_ext->add_table_field(t_, "sub", SS_PLUGIN_ST_TABLE), nullptr);

  ss_plugin_state_data v{};
  v.str = "seen";
  ASSERT_EQ(tables_->writer_ext->write_entry_field(t_, entry(10), f, &v), SS_PLUGIN_SUCCESS);
  ss_plugin_state_data out{};
  ASSERT_EQ(tables_->reader_ext->read_entry_field(t_, entry(10), f, &out), SS_PLUGIN_SUCCESS);
  EXPECT_STREQ(out.str, "seen");
  ASSERT_EQ(tables_->reader_ext->read_entry_field(t_, entry(20), f, &out), SS_PLUGIN_SUCCESS);
  EXPECT_STREQ(out.str, "");  // never written: the zero value

  // tid 10 exits and a new thread gets tid 10: not the old thread's mark.
  threads_.remove_thread(kHostDomain, 10);
  threads_.put(thread(10, "newproc", 2));
  ASSERT_EQ(tables_->reader_ext->read_entry_field(t_, entry(10), f, &out), SS_PLUGIN_SUCCESS);
  EXPECT_STREQ(out.str, "");
}

TEST_F(ThreadsTable, PluginValuesOfGoneThreadsDoNotPileUp) {
  ss_plugin_table_field_t* f = tables_->fields_ext->add_table_field(t_, "n", SS_PLUGIN_ST_UINT64);
  ASSERT_NE(f, nullptr);
  ss_plugin_state_data v{};
  v.u64 = 1;
  for (int64_t tid = 1000; tid < 11000; ++tid) {  // 10000 short-lived threads
    threads_.put(thread(tid, "short"));
    ASSERT_EQ(tables_->writer_ext->write_entry_field(t_, entry(tid), f, &v), SS_PLUGIN_SUCCESS);
    threads_.remove_thread(kHostDomain, tid);
  }
  EXPECT_LE(registry_.threads().threads_with_plugin_values(), 4096u);
  // A live thread's value survives the pruning.
  ASSERT_EQ(tables_->writer_ext->write_entry_field(t_, entry(20), f, &v), SS_PLUGIN_SUCCESS);
  for (int64_t tid = 20000; tid < 25000; ++tid) {
    threads_.put(thread(tid, "short"));
    ASSERT_EQ(tables_->writer_ext->write_entry_field(t_, entry(tid), f, &v), SS_PLUGIN_SUCCESS);
    threads_.remove_thread(kHostDomain, tid);
  }
  ss_plugin_state_data out{};
  ASSERT_EQ(tables_->reader_ext->read_entry_field(t_, entry(20), f, &out), SS_PLUGIN_SUCCESS);
  EXPECT_EQ(out.u64, 1u);
}

TEST_F(ThreadsTable, EntriesAreCreatedAddedIteratedAndErased) {
  ss_plugin_table_entry_t* fresh = tables_->writer_ext->create_table_entry(t_);
  ASSERT_NE(fresh, nullptr);
  ss_plugin_state_data v{};
  v.str = "fromplugin";
  ASSERT_EQ(tables_->writer_ext->write_entry_field(t_, fresh, field("comm", SS_PLUGIN_ST_STRING), &v), SS_PLUGIN_SUCCESS);
  ss_plugin_state_data key{};
  key.s64 = 30;
  ss_plugin_table_entry_t* added = tables_->writer_ext->add_table_entry(t_, &key, fresh);
  ASSERT_NE(added, nullptr);
  ASSERT_NE(threads_.find(kHostDomain, 30), nullptr);
  EXPECT_EQ(threads_.find(kHostDomain, 30)->comm, "fromplugin");
  EXPECT_EQ(threads_.find(kHostDomain, 30)->pid, 30);

  struct Seen {
    std::set<int64_t> tids;
    ss_plugin_table_t* t;
    const ss_plugin_init_tables_input* in;
    ss_plugin_table_field_t* tid;
  } seen{{}, t_, tables_, field("tid", SS_PLUGIN_ST_INT64)};
  auto it = [](ss_plugin_table_iterator_state_t* s, ss_plugin_table_entry_t* e) -> ss_plugin_bool {
    auto* st = static_cast<Seen*>(s);
    ss_plugin_state_data d{};
    st->in->reader_ext->read_entry_field(st->t, e, st->tid, &d);
    st->tids.insert(d.s64);
    return 1;
  };
  EXPECT_EQ(tables_->reader_ext->iterate_entries(t_, it, &seen), 1u);
  EXPECT_EQ(seen.tids, (std::set<int64_t>{10, 20, 30}));
  // Breaking out: false.
  EXPECT_EQ(tables_->reader_ext->iterate_entries(
                t_, [](ss_plugin_table_iterator_state_t*, ss_plugin_table_entry_t*) -> ss_plugin_bool { return 0; },
                nullptr),
            0u);

  ASSERT_EQ(tables_->writer_ext->erase_table_entry(t_, &key), SS_PLUGIN_SUCCESS);
  EXPECT_EQ(threads_.find(kHostDomain, 30), nullptr);
  EXPECT_EQ(tables_->writer_ext->erase_table_entry(t_, &key), SS_PLUGIN_FAILURE);

  // A detached entry never added is destroyed without touching the table.
  ss_plugin_table_entry_t* other = tables_->writer_ext->create_table_entry(t_);
  tables_->writer_ext->destroy_table_entry(t_, other);
  EXPECT_EQ(tables_->reader_ext->get_table_size(t_), 2u);
}

TEST_F(ThreadsTable, RegistryAnswersByNameAndKeyType) {
  EXPECT_EQ(tables_->get_table(&owner_, "threads", SS_PLUGIN_ST_UINT64), nullptr);
  EXPECT_STREQ(owner_.last_error(), "state table 'threads' has key type int64, not uint64");
  EXPECT_EQ(tables_->get_table(&owner_, "nosuch", SS_PLUGIN_ST_INT64), nullptr);
  EXPECT_STREQ(owner_.last_error(), "no state table 'nosuch'");
  EXPECT_EQ(tables_->add_table(&owner_, nullptr), SS_PLUGIN_FAILURE);
  EXPECT_STREQ(owner_.last_error(), "plugin 'tester': add_table: NULL table input");
  // The by-value 3.0 copies are the same functions as the _ext vtables.
  EXPECT_EQ(tables_->fields.get_table_field, tables_->fields_ext->get_table_field);
  // A NULL table is an error, not a crash.
  EXPECT_EQ(tables_->reader_ext->get_table_size(nullptr), UINT64_MAX);
}

TEST(ThreadsTableDetached, WithoutAThreadTableItIsEmptyAndAddingFails) {
  TableRegistry registry;
  ThreadStateTable& t = registry.threads();
  EXPECT_EQ(t.size(), 0u);
  ss_plugin_state_data key{};
  key.s64 = 1;
  EXPECT_EQ(t.get_entry(&key), nullptr);
  ss_plugin_table_entry_t* e = t.create_entry();
  EXPECT_EQ(t.add_entry(&key, e), nullptr);
  EXPECT_EQ(table_error(), "table 'threads': no thread state yet, cannot add tid 1");
}

TEST(InitSchema, TheKeywordsPluginsUse) {
  const std::string schema = R"({
    "$ref": "#/$defs/Cfg",
    "$defs": {"Cfg": {"type": "object", "required": ["url"], "additionalProperties": false,
      "properties": {
        "url": {"type": "string", "minLength": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "level": {"type": ["integer", "null"], "maximum": 5},
        "nested": {"type": "object", "additionalProperties": {"type": "boolean"}}}}}})";
  EXPECT_TRUE(validate_init_config(schema, R"({"url": "x", "tags": ["a"], "level": null, "nested": {"a": true}})").ok());
  EXPECT_TRUE(validate_init_config(schema, R"({"url": "x", "level": 3.0})").ok());  // a whole number is an integer
  struct Case {
    const char* config;
    const char* error;
  } cases[] = {
      {"{}", "init_config/url: required but missing"},
      {"", "init_config/url: required but missing"},
      {R"({"url": ""})", "init_config/url: shorter than 1 characters"},
      {R"({"url": "x", "tags": ["a", 1]})", "init_config/tags/1: expected string, got integer"},
      {R"({"url": "x", "tags": ["a", "b", "c"]})", "init_config/tags: more than 2 items"},
      {R"({"url": "x", "level": 9})", "init_config/level: 9 is more than the maximum 5"},
      {R"({"url": "x", "level": "high"})", "init_config/level: expected integer or null, got string"},
      {R"({"url": "x", "nested": {"a": 1}})", "init_config/nested/a: expected boolean, got integer"},
      {R"({"url": "x", "other": 1})", "init_config/other: unknown property (not allowed)"},
  };
  for (const Case& c : cases) {
    auto r = validate_init_config(schema, c.config);
    ASSERT_FALSE(r.ok()) << c.config;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos) << r.status().to_string();
  }
  auto r = validate_init_config(R"({"$ref": "#/definitions/Missing"})", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("$ref '#/definitions/Missing' cannot be resolved"), std::string::npos);
  EXPECT_FALSE(validate_init_config("{not json", "{}").ok());
}

}  // namespace
}  // namespace kestrel::plugin
