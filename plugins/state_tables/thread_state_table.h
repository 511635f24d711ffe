// thread_state_table.h — Kestrel's thread table as the plugin API's
// "threads" state table (key: int64 tid, host threads only).
//
// Fields, with Falco's names where Falco's threads table has the same
// datum (tid, pid, ptid, sid, vtid, vpid, comm, exe, exe_path, cwd, root,
// uid, gid, loginuid, tty, container_id) plus what our ThreadInfo also
// holds (pgid, euid, egid, start_ts; "exepath" is the same datum as
// exe_path, kept for plugins written against our earlier name). tid and
// pid are read-only (a thread's pid is its table position); the others can
// be written by parsing plugins, as in Falco.
//
// Sub-tables (type SS_PLUGIN_ST_TABLE, read-only fields as in libs:
// reading one gives the table, whose rows are then read and written
// through it): file_descriptors, args, env, cgroups — see
// thread_sub_tables.h. Reading them on a detached entry (create_entry)
// gives that entry's own rows, so a plugin can take the sub-tables' field
// accessors in plugin_init, before any thread exists.
//
// Plugins may add fields of any non-table type (add_table_field): their
// values are kept here per tid, next to the ThreadInfo, and belong to one
// thread life — a tid reused by a new thread (another start_ts) reads the
// new field's zero value. forget(tid) drops them at once; values of threads
// the ThreadTable no longer holds are pruned once they outnumber its
// threads twice over (at least kMinPrune of them).
//
// The table is usable before a ThreadTable exists (plugins take their
// field accessors in plugin_init, before the collector builds its state):
// until attach(), it has no entries and adding one fails with a message.
//
// Entries are ThreadInfo* of the attached table (valid until the table's
// next modification, as ThreadTable's own pointers) or detached entries
// from create_entry(), until add_entry() moves them in.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugins/state_tables/field_value.h"
#include "plugins/state_tables/state_table.h"
#include "plugins/state_tables/thread_sub_tables.h"
#include "state/thread_table.h"

namespace kestrel::plugin {

class ThreadStateTable final : public StateTable {
 public:
  ThreadStateTable();
  ~ThreadStateTable() override;

  // The ThreadTable whose host threads this table shows; nullptr detaches.
  void attach(ThreadTable* threads);
  ThreadTable* attached() const { return threads_; }
  // Drops the plugin-defined field values of `tid` (its thread is gone).
  void forget(int64_t tid) { dynamic_.erase(tid); }
  // How many threads have plugin-defined values held (for tests, metrics).
  size_t threads_with_plugin_values() const { return dynamic_.size(); }

  const std::string& name() const override { return name_; }
  ss_plugin_state_type key_type() const override { return SS_PLUGIN_ST_INT64; }

  const ss_plugin_table_fieldinfo* list_fields(uint32_t* nfields) override;
  ss_plugin_table_field_t* get_field(const char* name, ss_plugin_state_type type) override;
  ss_plugin_table_field_t* add_field(const char* name, ss_plugin_state_type type) override;

  uint64_t size() override;
  ss_plugin_table_entry_t* get_entry(const ss_plugin_state_data* key) override;
  ss_plugin_rc read(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f, ss_plugin_state_data* out) override;
  void release(ss_plugin_table_entry_t*) override {}
  bool iterate(ss_plugin_table_iterator_func_t it, ss_plugin_table_iterator_state_t* s) override;

  ss_plugin_rc clear() override;
  ss_plugin_rc erase(const ss_plugin_state_data* key) override;
  ss_plugin_table_entry_t* create_entry() override;
  void destroy_entry(ss_plugin_table_entry_t* e) override;
  ss_plugin_table_entry_t* add_entry(const ss_plugin_state_data* key, ss_plugin_table_entry_t* e) override;
  ss_plugin_rc write(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                     const ss_plugin_state_data* in) override;

 private:
  enum class Static {
    kTid, kPid, kPtid, kSid, kPgid, kVtid, kVpid,
    kComm, kExe, kExepath, kCwd, kRoot, kContainerId,
    kUid, kEuid, kGid, kEgid, kLoginuid, kTty, kStartTs,
    kFdTable, kArgs, kEnv, kCgroups,
    kDynamic,
  };
  struct Field {
    std::string name;
    ss_plugin_state_type type;
    bool read_only = false;
    Static which = Static::kDynamic;
    size_t slot = 0;  // dynamic fields: index in the value vector
  };
  struct Detached {
    ThreadInfo info;
    std::vector<FieldValue> values;
  };
  struct Dynamic {
    uint64_t start_ts = 0;
    std::vector<FieldValue> values;
  };

  const Field* field_of(const ss_plugin_table_field_t* f) const;
  Detached* detached_of(ss_plugin_table_entry_t* e);
  // The plugin-defined values of an entry; nullptr if it has none yet and
  // `create` is false.
  std::vector<FieldValue>* values_of(ss_plugin_table_entry_t* e, bool create);
  void rebuild_infos();
  void prune();
  // The sub-table `kind` of entry e (created on first use, kept while its
  // thread or detached entry lives).
  ThreadSubTable* sub_table(SubTableKind kind, ss_plugin_table_entry_t* e);
  static constexpr size_t kMinPrune = 4096;

  std::string name_ = "threads";
  ThreadTable* threads_ = nullptr;
  std::deque<Field> fields_;  // stable addresses: accessors point here
  size_t dynamic_count_ = 0;
  std::vector<ss_plugin_table_fieldinfo> infos_;
  std::unordered_map<const void*, std::unique_ptr<Detached>> detached_;
  std::unordered_map<int64_t, Dynamic> dynamic_;
  // Sub-tables by (kind, tid) of attached threads and by (kind, entry) of
  // detached entries.
  // The fields of each kind of sub-table, by SubTableKind (shared by all
  // the sub-tables of that kind).
  SubTableFields sub_fields_[4] = {SubTableFields(SubTableKind::kFds), SubTableFields(SubTableKind::kArgs),
                                   SubTableFields(SubTableKind::kEnv), SubTableFields(SubTableKind::kCgroups)};
  std::map<std::pair<int, int64_t>, std::unique_ptr<ThreadSubTable>> subs_;
  std::map<std::pair<int, const void*>, std::unique_ptr<ThreadSubTable>> detached_subs_;
};

}  // namespace kestrel::plugin
