#include "plugins/state_tables/thread_sub_tables.h"

#include <algorithm>
#include <span>
#include <vector>

#include "plugins/state_tables/table_vtables.h"
#include "sources/capture/scap_fd_types.h"

namespace kestrel::plugin {
namespace {

enum class Col { kType, kOpenFlags, kName, kIno, kDev, kFd, kValue, kFirst, kSecond };

struct SubField {
  const char* name;
  ss_plugin_state_type type;
  bool read_only;
  Col col;
};

// Names and types as falcosecurity/libs defines them (see the header).
constexpr SubField kFdFields[] = {
    {"type", SS_PLUGIN_ST_UINT8, false, Col::kType},     {"open_flags", SS_PLUGIN_ST_UINT32, false, Col::kOpenFlags},
    {"name", SS_PLUGIN_ST_STRING, false, Col::kName},    {"ino", SS_PLUGIN_ST_UINT64, false, Col::kIno},
    {"dev", SS_PLUGIN_ST_UINT32, false, Col::kDev},      {"fd", SS_PLUGIN_ST_INT64, true, Col::kFd},
};
constexpr SubField kValueFields[] = {{"value", SS_PLUGIN_ST_STRING, false, Col::kValue}};
constexpr SubField kPairFields[] = {{"first", SS_PLUGIN_ST_STRING, false, Col::kFirst},
                                    {"second", SS_PLUGIN_ST_STRING, false, Col::kSecond}};

constexpr ss_plugin_table_fieldinfo kFdInfos[] = {
    {"type", SS_PLUGIN_ST_UINT8, 0}, {"open_flags", SS_PLUGIN_ST_UINT32, 0}, {"name", SS_PLUGIN_ST_STRING, 0},
    {"ino", SS_PLUGIN_ST_UINT64, 0}, {"dev", SS_PLUGIN_ST_UINT32, 0},        {"fd", SS_PLUGIN_ST_INT64, 1},
};
constexpr ss_plugin_table_fieldinfo kValueInfos[] = {{"value", SS_PLUGIN_ST_STRING, 0}};
constexpr ss_plugin_table_fieldinfo kPairInfos[] = {{"first", SS_PLUGIN_ST_STRING, 0}, {"second", SS_PLUGIN_ST_STRING, 0}};

std::span<const SubField> fields_of(SubTableKind k) {
  switch (k) {
    case SubTableKind::kFds: return kFdFields;
    case SubTableKind::kArgs:
    case SubTableKind::kEnv: return kValueFields;
    case SubTableKind::kCgroups: return kPairFields;
  }
  return {};
}

std::span<const ss_plugin_table_fieldinfo> infos_of(SubTableKind k) {
  switch (k) {
    case SubTableKind::kFds: return kFdInfos;
    case SubTableKind::kArgs:
    case SubTableKind::kEnv: return kValueInfos;
    case SubTableKind::kCgroups: return kPairInfos;
  }
  return {};
}

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

struct ThreadSubTable::Created {
  FdInfo fd;
  std::string value;
  Pair pair;
};

ThreadSubTable::ThreadSubTable(SubTableKind kind, ThreadTable* const* threads, int64_t tid, ThreadInfo* detached)
    : kind_(kind), name_(name_of(kind)), threads_(threads), tid_(tid), detached_(detached) {}

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

const ss_plugin_table_fieldinfo* ThreadSubTable::list_fields(uint32_t* nfields) {
  auto infos = infos_of(kind_);
  *nfields = static_cast<uint32_t>(infos.size());
  return infos.data();
}

ss_plugin_table_field_t* ThreadSubTable::get_field(const char* name, ss_plugin_state_type type) {
  for (const SubField& f : fields_of(kind_)) {
    if (std::string_view(f.name) != name) continue;
    if (f.type != type) {
      set_table_error("table '" + name_ + "': field '" + f.name + "' is of type " + state_type_name(f.type) +
                      ", not " + state_type_name(type));
      return nullptr;
    }
    return const_cast<SubField*>(&f);
  }
  set_table_error("table '" + name_ + "' has no field '" + std::string(name) + "'" +
                  (kind_ == SubTableKind::kFds ? " (Kestrel keeps type, open_flags, name, ino, dev and fd)" : ""));
  return nullptr;
}

ss_plugin_table_field_t* ThreadSubTable::add_field(const char* name, ss_plugin_state_type) {
  set_table_error("table '" + name_ + "': cannot add field '" + std::string(name) +
                  "' (the sub-tables of threads have fixed fields)");
  return nullptr;
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
  auto fields = fields_of(kind_);
  const auto* field = static_cast<const SubField*>(f);
  if (field < fields.data() || field >= fields.data() + fields.size()) {
    set_table_error("table '" + name_ + "': the field accessor is not one of this table's");
    return SS_PLUGIN_FAILURE;
  }
  switch (field->col) {
    case Col::kType: {
      const auto* fd = static_cast<const FdInfo*>(e);
      out->u8 = scap::scap_fd_type_of(fd->type, fd->listening);
      break;
    }
    case Col::kOpenFlags: out->u32 = static_cast<const FdInfo*>(e)->open_flags; break;
    case Col::kName: out->str = static_cast<const FdInfo*>(e)->name.c_str(); break;
    case Col::kIno: out->u64 = static_cast<const FdInfo*>(e)->ino; break;
    case Col::kDev: out->u32 = static_cast<const FdInfo*>(e)->dev; break;
    case Col::kFd: out->s64 = static_cast<const FdInfo*>(e)->fd; break;
    case Col::kValue: out->str = static_cast<const std::string*>(e)->c_str(); break;
    case Col::kFirst: out->str = static_cast<const Pair*>(e)->first.c_str(); break;
    case Col::kSecond: out->str = static_cast<const Pair*>(e)->second.c_str(); break;
  }
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc ThreadSubTable::write(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                                   const ss_plugin_state_data* in) {
  auto fields = fields_of(kind_);
  const auto* field = static_cast<const SubField*>(f);
  if (field < fields.data() || field >= fields.data() + fields.size()) {
    set_table_error("table '" + name_ + "': the field accessor is not one of this table's");
    return SS_PLUGIN_FAILURE;
  }
  if (field->read_only) {
    set_table_error("table '" + name_ + "': field '" + field->name + "' is read-only");
    return SS_PLUGIN_FAILURE;
  }
  const std::string text = field->type == SS_PLUGIN_ST_STRING && in->str ? in->str : "";
  switch (field->col) {
    case Col::kType: {
      auto* fd = static_cast<FdInfo*>(e);
      fd->type = scap::kestrel_fd_type(in->u8);
      fd->listening = in->u8 == scap::kFdIpv4ServSock || in->u8 == scap::kFdIpv6ServSock;
      break;
    }
    case Col::kOpenFlags: static_cast<FdInfo*>(e)->open_flags = in->u32; break;
    case Col::kName: static_cast<FdInfo*>(e)->name = text; break;
    case Col::kIno: static_cast<FdInfo*>(e)->ino = in->u64; break;
    case Col::kDev: static_cast<FdInfo*>(e)->dev = in->u32; break;
    case Col::kFd: break;  // read-only, refused above
    case Col::kValue: *static_cast<std::string*>(e) = text; break;
    case Col::kFirst: static_cast<Pair*>(e)->first = text; break;
    case Col::kSecond: static_cast<Pair*>(e)->second = text; break;
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
