#include "plugins/state_tables/table_registry.h"

namespace kestrel::plugin {

TableRegistry::TableRegistry() {
  auto threads = std::make_unique<ThreadStateTable>();
  threads_ = threads.get();
  tables_.push_back(Entry{std::move(threads), "kestrel"});
}

StateTable* TableRegistry::find(const std::string& name) {
  std::lock_guard lock(mu_);
  for (const Entry& e : tables_)
    if (e.table->name() == name) return e.table.get();
  return nullptr;
}

Status TableRegistry::add(std::unique_ptr<StateTable> table, const std::string& added_by) {
  std::lock_guard lock(mu_);
  for (const Entry& e : tables_)
    if (e.table->name() == table->name())
      return Status(StatusCode::kInvalidArgument, "state table '" + table->name() + "' (from " + added_by +
                                                    ") already exists, added by " + e.added_by);
  tables_.push_back(Entry{std::move(table), added_by});
  return ok_status();
}

ss_plugin_table_info* TableRegistry::list(uint32_t* ntables) {
  std::lock_guard lock(mu_);
  infos_.clear();
  for (const Entry& e : tables_) infos_.push_back({e.table->name().c_str(), e.table->key_type()});
  *ntables = static_cast<uint32_t>(infos_.size());
  return infos_.data();
}

TableRegistry& default_table_registry() {
  static TableRegistry* registry = new TableRegistry();  // never destroyed: plugins may outlive main's statics
  return *registry;
}

}  // namespace kestrel::plugin
