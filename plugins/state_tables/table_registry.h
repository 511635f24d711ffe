// table_registry.h — the state tables the plugin host offers plugins: the
// "threads" table (always there, attach Kestrel's ThreadTable to fill it)
// and every table a plugin registered with add_table.
//
// One registry is shared by all plugins of a process, so one plugin's
// table is visible to the others (plugin A adds "sessions", plugin B gets
// it by name). PluginLibrary::init uses default_table_registry() unless
// given another (tests give their own).
//
// Integration: after the collector has built its ThreadTable, call
//   plugin::default_table_registry().threads().attach(&thread_table);
// and attach(nullptr) before that table is destroyed. Table calls come
// from the engine thread (parse/extract/capture listening) and from
// plugin_init; the registry itself is guarded for add/list/find.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "plugins/state_tables/state_table.h"
#include "plugins/state_tables/thread_state_table.h"

namespace kestrel::plugin {

class TableRegistry {
 public:
  TableRegistry();

  ThreadStateTable& threads() { return *threads_; }

  // The table called `name`, or nullptr.
  StateTable* find(const std::string& name);

  // Adds a table; refused (with both owners named) if the name is taken.
  Status add(std::unique_ptr<StateTable> table, const std::string& added_by);

  // name and key type of every table; the array stays valid until the
  // next add (the contract: owned by the host).
  ss_plugin_table_info* list(uint32_t* ntables);

 private:
  struct Entry {
    std::unique_ptr<StateTable> table;
    std::string added_by;
  };
  std::mutex mu_;
  ThreadStateTable* threads_ = nullptr;
  std::vector<Entry> tables_;
  std::vector<ss_plugin_table_info> infos_;
};

// The process-wide registry plugins share by default.
TableRegistry& default_table_registry();

}  // namespace kestrel::plugin
