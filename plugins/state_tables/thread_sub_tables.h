// thread_sub_tables.h — the sub-tables of a "threads" entry, as Falco's
// thread table has them (falcosecurity/libs sinsp_threadinfo's static
// fields of type table): a plugin reads the entry's field
// "file_descriptors", "args", "env" or "cgroups" (SS_PLUGIN_ST_TABLE) and
// gets an ss_plugin_table_t* it uses with the same reader/writer/field
// vtables as any table.
//
//   file_descriptors  key int64 fd; the process's fds (ThreadTable's fd
//                     table of the thread's pid). Every static field of
//                     libs' sinsp_fdinfo, with its name and type
//                     (fd_fields.h); fd is read-only here (it is the key).
//   args, env         key uint64 index; one field "value" (string), as libs'
//                     value_table_entry_adapter.
//   cgroups           key uint64 index; fields "first" (controller) and
//                     "second" (path), strings, as libs' pair adapter.
//
// Every sub-table of one kind has the same fields (one SubTableFields per
// kind, owned by the threads table), so an accessor taken from one (e.g.
// from a detached entry's sub-table in plugin_init) works on all of them.
// Plugins may add fields to file_descriptors (add_table_field), as libs'
// fd tables share one set of dynamic fields: the field then exists in
// every fd table, and each fd keeps its own value (FdInfo::plugin_values,
// so a value goes with its fd through dup and away with close). args, env
// and cgroups refuse added fields, as libs' adapters do.
// Entries are pointers to the row (FdInfo, std::string, pair), valid until
// the table's next modification, as the threads table's own.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "plugins/state_tables/state_table.h"
#include "state/thread_table.h"

namespace kestrel::plugin {

enum class SubTableKind { kFds, kArgs, kEnv, kCgroups };

// The fields of every sub-table of one kind: the static ones and those
// plugins added. Accessors point at Field entries (stable addresses).
class SubTableFields {
 public:
  struct Field {
    std::string name;
    ss_plugin_state_type type;
    bool read_only;
    size_t column;   // static fields: fd_columns() index, or kValue/kFirst/kSecond
    bool dynamic;    // added by a plugin: `column` is its FdInfo::plugin_values slot
    const SubTableFields* owner;
  };
  static constexpr size_t kValue = 0, kFirst = 0, kSecond = 1;

  explicit SubTableFields(SubTableKind kind);
  SubTableFields(const SubTableFields&) = delete;  // accessors point into it
  SubTableFields& operator=(const SubTableFields&) = delete;
  SubTableKind kind() const { return kind_; }
  const std::string& table_name() const { return name_; }

  const ss_plugin_table_fieldinfo* list(uint32_t* n) const;
  Field* get(const char* name, ss_plugin_state_type type);
  Field* add(const char* name, ss_plugin_state_type type);
  // The Field behind an accessor, or nullptr (error set) if it is not one
  // of this kind's.
  const Field* of(const ss_plugin_table_field_t* f) const;

 private:
  void rebuild_infos();
  SubTableKind kind_;
  std::string name_;
  std::deque<Field> fields_;
  size_t dynamic_count_ = 0;
  std::vector<ss_plugin_table_fieldinfo> infos_;
};

class ThreadSubTable final : public StateTable {
 public:
  // Rows of the attached thread `tid` (looked up in *threads at each call:
  // the ThreadTable may move it), or of `detached` (an entry from the
  // threads table's create_entry, not yet added) when that is not null.
  ThreadSubTable(SubTableFields* fields, ThreadTable* const* threads, int64_t tid, ThreadInfo* detached);
  ~ThreadSubTable() override;

  const std::string& name() const override { return name_; }
  ss_plugin_state_type key_type() const override;

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
  struct Created;  // a row from create_entry, until add_entry
  // The thread whose rows these are; nullptr (error set) if it is gone.
  ThreadInfo* thread(const char* op);
  std::vector<std::string>* strings(ThreadInfo& t);
  std::string error_prefix() const;

  SubTableFields* fields_;
  SubTableKind kind_;
  std::string name_;
  ThreadTable* const* threads_;
  int64_t tid_;
  ThreadInfo* detached_;
  std::unordered_map<const void*, std::unique_ptr<Created>> created_;
};

}  // namespace kestrel::plugin
