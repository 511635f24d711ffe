#include "plugins/state_tables/thread_sub_tables.h"

#include <algorithm>
#include <span>
#include <vector>

#include "plugins/state_tables/fd_fields.h"
#include "plugins/state_tables/field_value.h"
#include "plugins/state_tables/table_vtables.h"

namespace kestrel::plugin {
namespace {

const char* name_of(SubTableKind k) {
  switch (k) {
    case SubTableKind::kFds: return "file_descriptors";
    case SubTableKind::kArgs: return "args";
    case SubTableKind::kEnv: return "env";
    case SubTableKind::kCgroups: return "cgroups";
  }
  return "?";
}

using Pair = std::pair<std::string, std::string>;

}  // namespace

SubTableFields::SubTableFields(SubTableKind kind) : kind_(kind), name_(name_of(kind)) {
  // Names and types as falcosecurity/libs defines them (see the header).
  switch (kind) {
    case SubTableKind::kFds: {
      size_t i = 0;
      for (const FdColumn& c : fd_columns()) fields_.push_back({c.name, c.type, c.read_only, i++, false, this});
      break;
    }
    case SubTableKind::kArgs:
    case SubTableKind::kEnv: fields_.push_back({"value", SS_PLUGIN_ST_STRING, false, kValue, false, this}); break;
    case SubTableKind::kCgroups:
      fields_.push_back({"first", SS_PLUGIN_ST_STRING, false, kFirst, false, this});
      fields_.push_back({"second", SS_PLUGIN_ST_STRING, false, kSecond, false, this});
      break;
  }
  rebuild_infos();
}

void SubTableFields::rebuild_infos() {
  infos_.clear();
  for (const Field& f : fields_) infos_.push_back({f.name.c_str(), f.type, f.read_only ? 1u : 0u});
}

const ss_plugin_table_fieldinfo* SubTableFields::list(uint32_t* n) const {
  *n = static_cast<uint32_t>(infos_.size());
  return infos_.data();
}

SubTableFields::Field* SubTableFields::get(const char* name, ss_plugin_state_type type) {
  for (Field& f : fields_) {
    if (f.name != name) continue;
    if (f.type != type) {
      set_table_error("table '" + name_ + "': field '" + f.name + "' is of type " + state_type_name(f.type) +
                      ", not " + state_type_name(type));
      return nullptr;
    }
    return &f;
  }
  set_table_error("table '" + name_ + "' has no field '" + std::string(name) + "'");
  return nullptr;
}

SubTableFields::Field* SubTableFields::add(const char* name, ss_plugin_state_type type) {
  if (kind_ != SubTableKind::kFds) {
    set_table_error("table '" + name_ + "': cannot add field '" + std::string(name) +
                    "' (its entries are plain values, as in libs: only file_descriptors takes new fields)");
    return nullptr;
  }
  for (Field& f : fields_) {
    if (f.name != name) continue;
    if (f.type == type) return &f;  // defined twice with one type: the same field
    set_table_error("table '" + name_ + "': field '" + f.name + "' already exists with type " +
                    state_type_name(f.type) + ", cannot add it as " + state_type_name(type));
    return nullptr;
  }
  if (type == SS_PLUGIN_ST_TABLE || std::string(state_type_name(type)) == "unknown") {
    set_table_error("table '" + name_ + "': cannot add field '" + std::string(name) + "' of type " +
                    state_type_name(type) + " (plugins may add scalar and string fields)");
    return nullptr;
  }
  fields_.push_back({name, type, false, dynamic_count_++, true, this});
  rebuild_infos();
  return &fields_.back();
}

const SubTableFields::Field* SubTableFields::of(const ss_plugin_table_field_t* f) const {
  const auto* field = static_cast<const Field*>(f);
  // Accessors of another table are refused, not misread: they are either
  // another SubTableFields' Field (owner differs) or not a Field at all.
  for (const Field& mine : fields_)
    if (&mine == field) return field;
  set_table_error("table '" + name_ + "': the field accessor is not one of this table's");
  return nullptr;
}

struct ThreadSubTable::Created {
  FdInfo fd;
  std::string value;
  Pair pair;
};

ThreadSubTable::ThreadSubTable(SubTableFields* fields, ThreadTable* const* threads, int64_t tid, ThreadInfo* detached)
    : fields_(fields),
      kind_(fields->kind()),
      name_(fields->table_name()),
      threads_(threads),
      tid_(tid),
      detached_(detached) {}

ThreadSubTable::~ThreadSubTable() = default;

std::string ThreadSubTable::error_prefix() const {
  return "table '" + name_ + "' of thread " + (detached_ ? std::string("(new entry)") : std::to_string(tid_)) + ": ";
}

ss_plugin_state_type ThreadSubTable::key_type() const {
  return kind_ == SubTableKind::kFds ? SS_PLUGIN_ST_INT64 : SS_PLUGIN_ST_UINT64;
}

ThreadInfo* ThreadSubTable::thread(const char* op) {
  if (detached_) return detached_;
  ThreadInfo* t = *threads_ ? (*threads_)->get(kHostDomain, tid_) : nullptr;
  if (!t) set_table_error(error_prefix() + op + ": the thread is gone");
  return t;
}

std::vector<std::string>* ThreadSubTable::strings(ThreadInfo& t) {
  return kind_ == SubTableKind::kArgs ? &t.args : &t.env;
}

const ss_plugin_table_fieldinfo* ThreadSubTable::list_fields(uint32_t* nfields) { return fields_->list(nfields); }

ss_plugin_table_field_t* ThreadSubTable::get_field(const char* name, ss_plugin_state_type type) {
  return fields_->get(name, type);
}

ss_plugin_table_field_t* ThreadSubTable::add_field(const char* name, ss_plugin_state_type type) {
  return fields_->add(name, type);
}

uint64_t ThreadSubTable::size() {
  ThreadInfo* t = thread("get_table_size");
  if (!t) return UINT64_MAX;
  switch (kind_) {
    case SubTableKind::kFds: return detached_ ? t->fds.size() : (*threads_)->fd_count(kHostDomain, t->pid);
    case SubTableKind::kArgs:
    case SubTableKind::kEnv: return strings(*t)->size();
    case SubTableKind::kCgroups: return t->cgroups.size();
  }
  return 0;
}

ss_plugin_table_entry_t* ThreadSubTable::get_entry(const ss_plugin_state_data* key) {
  ThreadInfo* t = thread("get_table_entry");
  if (!t) return nullptr;
  if (kind_ == SubTableKind::kFds) {
    FdInfo* f = nullptr;
    if (detached_) {
      auto it = std::find_if(t->fds.begin(), t->fds.end(), [&](const FdInfo& x) { return x.fd == key->s64; });
      f = it == t->fds.end() ? nullptr : &*it;
    } else {
      f = (*threads_)->fd(kHostDomain, t->pid, key->s64);
    }
    if (!f) set_table_error(error_prefix() + "no fd " + std::to_string(key->s64));
    return f;
  }
  const uint64_t n = size();
  if (key->u64 >= n) {
    set_table_error(error_prefix() + "no entry " + std::to_string(key->u64) + " (" + std::to_string(n) + " entries)");
    return nullptr;
  }
  if (kind_ == SubTableKind::kCgroups) return &t->cgroups[key->u64];
  return &(*strings(*t))[key->u64];
}

ss_plugin_rc ThreadSubTable::read(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                                  ss_plugin_state_data* out) {
  const SubTableFields::Field* field = fields_->of(f);
  if (!field) return SS_PLUGIN_FAILURE;
  switch (kind_) {
    case SubTableKind::kFds: {
      const auto* fd = static_cast<const FdInfo*>(e);
      if (!field->dynamic) {
        read_fd_column(*fd, field->column, out);
      } else {
        static const FieldValue kZero{};
        const auto& values = fd->plugin_values;
        load_value(field->column < values.size() ? values[field->column] : kZero, field->type, out);
      }
      break;
    }
    case SubTableKind::kArgs:
    case SubTableKind::kEnv: out->str = static_cast<const std::string*>(e)->c_str(); break;
    case SubTableKind::kCgroups: {
      const auto* p = static_cast<const Pair*>(e);
      out->str = (field->column == SubTableFields::kFirst ? p->first : p->second).c_str();
      break;
    }
  }
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc ThreadSubTable::write(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                                   const ss_plugin_state_data* in) {
  const SubTableFields::Field* field = fields_->of(f);
  if (!field) return SS_PLUGIN_FAILURE;
  if (field->read_only) {
    set_table_error("table '" + name_ + "': field '" + field->name + "' is read-only");
    return SS_PLUGIN_FAILURE;
  }
  const std::string text = field->type == SS_PLUGIN_ST_STRING && in->str ? in->str : "";
  switch (kind_) {
    case SubTableKind::kFds: {
      auto* fd = static_cast<FdInfo*>(e);
      if (!field->dynamic) {
        write_fd_column(*fd, field->column, *in);
      } else {
        if (fd->plugin_values.size() <= field->column) fd->plugin_values.resize(field->column + 1);
        store_value(fd->plugin_values[field->column], field->type, *in);
      }
      break;
    }
    case SubTableKind::kArgs:
    case SubTableKind::kEnv: *static_cast<std::string*>(e) = text; break;
    case SubTableKind::kCgroups: {
      auto* p = static_cast<Pair*>(e);
      (field->column == SubTableFields::kFirst ? p->first : p->second) = text;
      break;
    }
  }
  return SS_PLUGIN_SUCCESS;
}

bool ThreadSubTable::iterate(ss_plugin_table_iterator_func_t it, ss_plugin_table_iterator_state_t* s) {
  ThreadInfo* t = thread("iterate_entries");
  if (!t) return false;
  switch (kind_) {
    case SubTableKind::kFds:
      if (!detached_) return (*threads_)->for_each_fd(kHostDomain, t->pid, [&](FdInfo& f) { return it(s, &f) != 0; });
      for (FdInfo& f : t->fds)
        if (!it(s, &f)) return false;
      return true;
    case SubTableKind::kArgs:
    case SubTableKind::kEnv:
      for (std::string& v : *strings(*t))
        if (!it(s, &v)) return false;
      return true;
    case SubTableKind::kCgroups:
      for (Pair& p : t->cgroups)
        if (!it(s, &p)) return false;
      return true;
  }
  return true;
}

ss_plugin_rc ThreadSubTable::clear() {
  ThreadInfo* t = thread("clear_table");
  if (!t) return SS_PLUGIN_FAILURE;
  switch (kind_) {
    case SubTableKind::kFds:
      if (detached_) t->fds.clear();
      else (*threads_)->clear_fds(kHostDomain, t->pid);
      break;
    case SubTableKind::kArgs:
    case SubTableKind::kEnv: strings(*t)->clear(); break;
    case SubTableKind::kCgroups: t->cgroups.clear(); break;
  }
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc ThreadSubTable::erase(const ss_plugin_state_data* key) {
  ThreadInfo* t = thread("erase_table_entry");
  if (!t) return SS_PLUGIN_FAILURE;
  bool erased = false;
  if (kind_ == SubTableKind::kFds) {
    if (!detached_) {
      erased = (*threads_)->erase_fd(kHostDomain, t->pid, key->s64);
    } else {
      auto n = std::erase_if(t->fds, [&](const FdInfo& f) { return f.fd == key->s64; });
      erased = n > 0;
    }
  } else if (kind_ == SubTableKind::kCgroups) {
    if ((erased = key->u64 < t->cgroups.size())) t->cgroups.erase(t->cgroups.begin() + static_cast<long>(key->u64));
  } else {
    auto* v = strings(*t);
    if ((erased = key->u64 < v->size())) v->erase(v->begin() + static_cast<long>(key->u64));
  }
  if (!erased) {
    set_table_error(error_prefix() + "no entry " +
                    (kind_ == SubTableKind::kFds ? std::to_string(key->s64) : std::to_string(key->u64)) + " to erase");
    return SS_PLUGIN_FAILURE;
  }
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_table_entry_t* ThreadSubTable::create_entry() {
  auto c = std::make_unique<Created>();
  void* row = kind_ == SubTableKind::kFds        ? static_cast<void*>(&c->fd)
              : kind_ == SubTableKind::kCgroups ? static_cast<void*>(&c->pair)
                                                 : static_cast<void*>(&c->value);
  created_.emplace(row, std::move(c));
  return row;
}

void ThreadSubTable::destroy_entry(ss_plugin_table_entry_t* e) { created_.erase(e); }

ss_plugin_table_entry_t* ThreadSubTable::add_entry(const ss_plugin_state_data* key, ss_plugin_table_entry_t* e) {
  auto c = created_.find(e);
  if (c == created_.end()) {
    set_table_error(error_prefix() + "add_table_entry needs an entry from create_table_entry on this table");
    return nullptr;
  }
  ThreadInfo* t = thread("add_table_entry");
  if (!t) return nullptr;
  std::unique_ptr<Created> row = std::move(c->second);
  created_.erase(c);
  if (kind_ == SubTableKind::kFds) {
    row->fd.fd = key->s64;
    if (detached_) {
      std::erase_if(t->fds, [&](const FdInfo& f) { return f.fd == key->s64; });
      t->fds.push_back(std::move(row->fd));
      return &t->fds.back();
    }
    FdInfo* stored = (*threads_)->put_fd(kHostDomain, t->pid, std::move(row->fd));
    if (!stored) set_table_error(error_prefix() + "its process is not in the thread table");
    return stored;
  }
  // Index keys, as libs' container adapter: the table grows to hold `key`.
  if (key->u64 > (1u << 20)) {
    set_table_error(error_prefix() + "index " + std::to_string(key->u64) + " is too large");
    return nullptr;
  }
  if (kind_ == SubTableKind::kCgroups) {
    if (t->cgroups.size() <= key->u64) t->cgroups.resize(key->u64 + 1);
    t->cgroups[key->u64] = std::move(row->pair);
    return &t->cgroups[key->u64];
  }
  auto* v = strings(*t);
  if (v->size() <= key->u64) v->resize(key->u64 + 1);
  (*v)[key->u64] = std::move(row->value);
  return &(*v)[key->u64];
}

}  // namespace kestrel::plugin
