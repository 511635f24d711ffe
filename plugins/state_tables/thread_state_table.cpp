#include "plugins/state_tables/thread_state_table.h"

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "plugins/state_tables/table_vtables.h"

namespace kestrel::plugin {
namespace {

ThreadInfo* info_of(ss_plugin_table_entry_t* e) { return static_cast<ThreadInfo*>(e); }

}  // namespace

ThreadStateTable::ThreadStateTable() {
  struct Def {
    const char* name;
    ss_plugin_state_type type;
    bool read_only;
    Static which;
  };
  static constexpr Def kStatic[] = {
      {"tid", SS_PLUGIN_ST_INT64, true, Static::kTid},
      {"pid", SS_PLUGIN_ST_INT64, true, Static::kPid},
      {"ptid", SS_PLUGIN_ST_INT64, false, Static::kPtid},
      {"sid", SS_PLUGIN_ST_INT64, false, Static::kSid},
      {"pgid", SS_PLUGIN_ST_INT64, false, Static::kPgid},
      {"vtid", SS_PLUGIN_ST_INT64, false, Static::kVtid},
      {"vpid", SS_PLUGIN_ST_INT64, false, Static::kVpid},
      {"comm", SS_PLUGIN_ST_STRING, false, Static::kComm},
      {"exe", SS_PLUGIN_ST_STRING, false, Static::kExe},
      {"exe_path", SS_PLUGIN_ST_STRING, false, Static::kExepath},
      {"exepath", SS_PLUGIN_ST_STRING, false, Static::kExepath},
      {"cwd", SS_PLUGIN_ST_STRING, false, Static::kCwd},
      {"root", SS_PLUGIN_ST_STRING, false, Static::kRoot},
      {"container_id", SS_PLUGIN_ST_STRING, false, Static::kContainerId},
      {"uid", SS_PLUGIN_ST_UINT32, false, Static::kUid},
      {"euid", SS_PLUGIN_ST_UINT32, false, Static::kEuid},
      {"gid", SS_PLUGIN_ST_UINT32, false, Static::kGid},
      {"egid", SS_PLUGIN_ST_UINT32, false, Static::kEgid},
      {"loginuid", SS_PLUGIN_ST_UINT32, false, Static::kLoginuid},
      {"tty", SS_PLUGIN_ST_UINT32, false, Static::kTty},
      {"start_ts", SS_PLUGIN_ST_UINT64, false, Static::kStartTs},
      {"file_descriptors", SS_PLUGIN_ST_TABLE, true, Static::kFdTable},
      {"args", SS_PLUGIN_ST_TABLE, true, Static::kArgs},
      {"env", SS_PLUGIN_ST_TABLE, true, Static::kEnv},
      {"cgroups", SS_PLUGIN_ST_TABLE, true, Static::kCgroups},
  };
  for (const Def& d : kStatic) fields_.push_back(Field{d.name, d.type, d.read_only, d.which, 0});
  rebuild_infos();
}

ThreadStateTable::~ThreadStateTable() = default;

void ThreadStateTable::attach(ThreadTable* threads) {
  threads_ = threads;
  dynamic_.clear();
}

void ThreadStateTable::rebuild_infos() {
  infos_.clear();
  for (const Field& f : fields_) infos_.push_back({f.name.c_str(), f.type, f.read_only ? 1u : 0u});
}

const ss_plugin_table_fieldinfo* ThreadStateTable::list_fields(uint32_t* nfields) {
  *nfields = static_cast<uint32_t>(infos_.size());
  return infos_.data();
}

ss_plugin_table_field_t* ThreadStateTable::get_field(const char* name, ss_plugin_state_type type) {
  for (Field& f : fields_) {
    if (f.name != name) continue;
    if (f.type != type) {
      set_table_error("table 'threads': field '" + f.name + "' is of type " + state_type_name(f.type) + ", not " +
                      state_type_name(type));
      return nullptr;
    }
    return &f;
  }
  set_table_error("table 'threads' has no field '" + std::string(name) + "'");
  return nullptr;
}

ss_plugin_table_field_t* ThreadStateTable::add_field(const char* name, ss_plugin_state_type type) {
  for (Field& f : fields_) {
    if (f.name != name) continue;
    if (f.type == type) return &f;  // defined twice with one type: the same field
    set_table_error("table 'threads': field '" + f.name + "' already exists with type " + state_type_name(f.type) +
                    ", cannot add it as " + state_type_name(type));
    return nullptr;
  }
  if (type == SS_PLUGIN_ST_TABLE || std::string(state_type_name(type)) == "unknown") {
    set_table_error("table 'threads': cannot add field '" + std::string(name) + "' of type " +
                    state_type_name(type) + " (plugins may add scalar and string fields)");
    return nullptr;
  }
  fields_.push_back(Field{name, type, false, Static::kDynamic, dynamic_count_++});
  rebuild_infos();
  return &fields_.back();
}

const ThreadStateTable::Field* ThreadStateTable::field_of(const ss_plugin_table_field_t* f) const {
  for (const Field& field : fields_)
    if (&field == f) return &field;
  set_table_error("table 'threads': unknown field accessor");
  return nullptr;
}

ThreadStateTable::Detached* ThreadStateTable::detached_of(ss_plugin_table_entry_t* e) {
  auto it = detached_.find(e);
  return it == detached_.end() ? nullptr : it->second.get();
}

std::vector<FieldValue>* ThreadStateTable::values_of(ss_plugin_table_entry_t* e, bool create) {
  if (Detached* d = detached_of(e)) {
    if (d->values.size() < dynamic_count_) d->values.resize(dynamic_count_);
    return &d->values;
  }
  const ThreadInfo* t = info_of(e);
  auto it = dynamic_.find(t->tid);
  if (it != dynamic_.end() && it->second.start_ts != t->start_ts) {
    dynamic_.erase(it);  // a new thread with a reused tid: the old values are not its
    it = dynamic_.end();
  }
  if (it == dynamic_.end()) {
    if (!create) return nullptr;
    prune();
    it = dynamic_.emplace(t->tid, Dynamic{t->start_ts, {}}).first;
  }
  if (it->second.values.size() < dynamic_count_) it->second.values.resize(dynamic_count_);
  return &it->second.values;
}

void ThreadStateTable::prune() {
  // Values of threads the ThreadTable no longer holds (exited, evicted)
  // would pile up with process churn: dropped once they outnumber the
  // table's threads by far.
  if (!threads_ || dynamic_.size() < std::max<size_t>(kMinPrune, 2 * threads_->size())) return;
  // (for_each_thread, not find(): the engine's lookup counters stay its own)
  std::unordered_map<int64_t, uint64_t> live;
  threads_->for_each_thread(kHostDomain, [&](ThreadInfo& t) {
    live.emplace(t.tid, t.start_ts);
    return true;
  });
  for (auto it = dynamic_.begin(); it != dynamic_.end();) {
    auto l = live.find(it->first);
    if (l == live.end() || l->second != it->second.start_ts) it = dynamic_.erase(it);
    else ++it;
  }

}

uint64_t ThreadStateTable::size() {
  if (!threads_) return 0;
  uint64_t n = 0;
  threads_->for_each_thread(kHostDomain, [&](ThreadInfo&) {
    ++n;
    return true;
  });
  return n;
}

ss_plugin_table_entry_t* ThreadStateTable::get_entry(const ss_plugin_state_data* key) {
  if (!threads_) {
    set_table_error("table 'threads': no thread state yet (tid " + std::to_string(key->s64) + ")");
    return nullptr;
  }
  ThreadInfo* t = threads_->get(kHostDomain, key->s64);
  if (!t) set_table_error("table 'threads': no thread with tid " + std::to_string(key->s64));
  return t;
}

ss_plugin_rc ThreadStateTable::read(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                                    ss_plugin_state_data* out) {
  const Field* field = field_of(f);
  if (!field) return SS_PLUGIN_FAILURE;
  Detached* d = detached_of(e);
  const ThreadInfo& t = d ? d->info : *info_of(e);
  switch (field->which) {
    case Static::kTid: out->s64 = t.tid; break;
    case Static::kPid: out->s64 = t.pid; break;
    case Static::kPtid: out->s64 = t.ptid; break;
    case Static::kSid: out->s64 = t.sid; break;
    case Static::kPgid: out->s64 = t.pgid; break;
    case Static::kVtid: out->s64 = t.vtid; break;
    case Static::kVpid: out->s64 = t.vpid; break;
    case Static::kComm: out->str = t.comm.c_str(); break;
    case Static::kExe: out->str = t.exe.c_str(); break;
    case Static::kExepath: out->str = t.exepath.c_str(); break;
    case Static::kCwd: out->str = t.cwd.c_str(); break;
    case Static::kRoot: out->str = t.root.c_str(); break;
    case Static::kContainerId: out->str = t.container_id.c_str(); break;
    case Static::kUid: out->u32 = t.uid; break;
    case Static::kEuid: out->u32 = t.euid; break;
    case Static::kGid: out->u32 = t.gid; break;
    case Static::kEgid: out->u32 = t.egid; break;
    case Static::kLoginuid: out->u32 = t.loginuid; break;
    case Static::kTty: out->u32 = t.tty; break;
    case Static::kStartTs: out->u64 = t.start_ts; break;
    case Static::kFdTable: out->table = sub_table(SubTableKind::kFds, e); break;
    case Static::kArgs: out->table = sub_table(SubTableKind::kArgs, e); break;
    case Static::kEnv: out->table = sub_table(SubTableKind::kEnv, e); break;
    case Static::kCgroups: out->table = sub_table(SubTableKind::kCgroups, e); break;
    case Static::kDynamic: {
      static const FieldValue kZero{};
      std::vector<FieldValue>* values = values_of(e, false);
      load_value(values ? (*values)[field->slot] : kZero, field->type, out);
      break;
    }
  }
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc ThreadStateTable::write(ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                                     const ss_plugin_state_data* in) {
  const Field* field = field_of(f);
  if (!field) return SS_PLUGIN_FAILURE;
  Detached* d = detached_of(e);
  if (field->type == SS_PLUGIN_ST_TABLE) {
    set_table_error("table 'threads': field '" + field->name +
                    "' is a table: read it and write its entries through that table");
    return SS_PLUGIN_FAILURE;
  }
  if (field->read_only && !d) {
    set_table_error("table 'threads': field '" + field->name + "' is read-only");
    return SS_PLUGIN_FAILURE;
  }
  ThreadInfo& t = d ? d->info : *info_of(e);
  auto text = [&] { return std::string(in->str ? in->str : ""); };
  switch (field->which) {
    case Static::kTid: t.tid = in->s64; break;
    case Static::kPid: t.pid = in->s64; break;
    case Static::kPtid: t.ptid = in->s64; break;
    case Static::kSid: t.sid = in->s64; break;
    case Static::kPgid: t.pgid = in->s64; break;
    case Static::kVtid: t.vtid = in->s64; break;
    case Static::kVpid: t.vpid = in->s64; break;
    case Static::kComm: t.comm = text(); break;
    case Static::kExe: t.exe = text(); break;
    case Static::kExepath: t.exepath = text(); break;
    case Static::kCwd: t.cwd = text(); break;
    case Static::kRoot: t.root = text(); break;
    case Static::kContainerId: t.container_id = text(); break;
    case Static::kUid: t.uid = in->u32; break;
    case Static::kEuid: t.euid = in->u32; break;
    case Static::kGid: t.gid = in->u32; break;
    case Static::kEgid: t.egid = in->u32; break;
    case Static::kLoginuid: t.loginuid = in->u32; break;
    case Static::kTty: t.tty = in->u32; break;
    case Static::kStartTs: t.start_ts = in->u64; break;
    case Static::kFdTable:
    case Static::kArgs:
    case Static::kEnv:
    case Static::kCgroups: break;  // refused above
    case Static::kDynamic: store_value((*values_of(e, true))[field->slot], field->type, *in); break;
  }
  return SS_PLUGIN_SUCCESS;
}

bool ThreadStateTable::iterate(ss_plugin_table_iterator_func_t it, ss_plugin_table_iterator_state_t* s) {
  if (!threads_) return true;  // no entries: a complete iteration
  return threads_->for_each_thread(kHostDomain, [&](ThreadInfo& t) { return it(s, &t) != 0; });
}

ss_plugin_rc ThreadStateTable::clear() {
  if (!threads_) return SS_PLUGIN_SUCCESS;
  std::vector<int64_t> tids;
  threads_->for_each_thread(kHostDomain, [&](ThreadInfo& t) {
    tids.push_back(t.tid);
    return true;
  });
  for (int64_t tid : tids) threads_->remove_thread(kHostDomain, tid);
  dynamic_.clear();
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc ThreadStateTable::erase(const ss_plugin_state_data* key) {
  if (!threads_ || !threads_->remove_thread(kHostDomain, key->s64)) {
    set_table_error("table 'threads': no thread with tid " + std::to_string(key->s64) + " to erase");
    return SS_PLUGIN_FAILURE;
  }
  dynamic_.erase(key->s64);
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_table_entry_t* ThreadStateTable::create_entry() {
  auto d = std::make_unique<Detached>();
  d->values.resize(dynamic_count_);
  ThreadInfo* p = &d->info;
  detached_.emplace(p, std::move(d));
  return p;
}

void ThreadStateTable::destroy_entry(ss_plugin_table_entry_t* e) {
  for (int k = 0; k < 4; ++k) detached_subs_.erase({k, e});
  detached_.erase(e);
}

ThreadSubTable* ThreadStateTable::sub_table(SubTableKind kind, ss_plugin_table_entry_t* e) {
  const int k = static_cast<int>(kind);
  if (Detached* d = detached_of(e)) {
    auto& slot = detached_subs_[{k, e}];
    if (!slot) slot = std::make_unique<ThreadSubTable>(&sub_fields_[k], &threads_, 0, &d->info);
    return slot.get();
  }
  const int64_t tid = info_of(e)->tid;
  if (threads_ && subs_.size() >= std::max<size_t>(kMinPrune, 8 * threads_->size())) {
    // Handles of threads gone (a plugin reads them again from the thread's
    // entry; one kept across its thread's exit is not promised).
    // (for_each_thread, not get(): the table's LRU order stays the engine's)
    std::unordered_set<int64_t> live;
    threads_->for_each_thread(kHostDomain, [&](ThreadInfo& t) {
      live.insert(t.tid);
      return true;
    });
    for (auto it = subs_.begin(); it != subs_.end();) {
      if (!live.count(it->first.second)) it = subs_.erase(it);
      else ++it;
    }
  }
  auto& slot = subs_[{k, tid}];
  if (!slot) slot = std::make_unique<ThreadSubTable>(&sub_fields_[k], &threads_, tid, nullptr);
  return slot.get();
}

ss_plugin_table_entry_t* ThreadStateTable::add_entry(const ss_plugin_state_data* key, ss_plugin_table_entry_t* e) {
  auto it = detached_.find(e);
  if (it == detached_.end()) {
    set_table_error("table 'threads': add_table_entry needs an entry from create_table_entry");
    return nullptr;
  }
  if (!threads_) {
    set_table_error("table 'threads': no thread state yet, cannot add tid " + std::to_string(key->s64));
    return nullptr;
  }
  std::unique_ptr<Detached> d = std::move(it->second);
  detached_.erase(it);
  for (int k = 0; k < 4; ++k) detached_subs_.erase({k, e});  // they showed the detached rows
  d->info.domain = kHostDomain;
  d->info.tid = key->s64;
  ThreadInfo& stored = threads_->put(std::move(d->info));
  dynamic_[stored.tid] = Dynamic{stored.start_ts, std::move(d->values)};
  return &stored;
}

}  // namespace kestrel::plugin
