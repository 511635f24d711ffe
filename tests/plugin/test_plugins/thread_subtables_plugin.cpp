// A plugin at API 3.12 that reads and writes the sub-tables of the host's
// "threads" table (issue 16), built against the published plugin_api.h
// only (/work/shared/reference/plugin-api), as Falco's container plugin and
// others do it:
//
//   init   gets "threads" and its table-typed fields file_descriptors,
//          args, env, cgroups (SS_PLUGIN_ST_TABLE); takes the sub-tables'
//          field accessors from the sub-tables of a detached entry
//          (create_table_entry, read the field, get_table_field on what it
//          gives, destroy_table_entry), before any thread exists.
//   fields (from syscall events, and any event the host hands it directly)
//          subt.nfds       uint64  entries in the thread's file_descriptors
//          subt.fdname[N]  string  "name" of fd N
//          subt.fdtype[N]  uint64  "type" of fd N (libscap's scap_fd_type)
//          subt.fdflags[N] uint64  "open_flags" of fd N
//          subt.fds        string  every fd as "fd:name", sorted, via iterate_entries
//          subt.args       string  "value" of every args entry, joined by ' '
//          subt.env[N]     string  "value" of env entry N
//          subt.cgroups    string  "first=second" of every cgroups entry, joined by ','
//          subt.evtfdname  string  for open/openat exits (scap codes 3, 307):
//                                  the "name" of the event's fd (its first
//                                  param) in the thread's file_descriptors
//          subt.fdfield[N.F] string  field F of fd N as text (any field the
//                                  host lists for file_descriptors, taken
//                                  with list_table_fields in init, or one
//                                  the plugin added)
//          subt.fdfieldlist string "name:type" of every listed fd field
//   init   also adds two fields to file_descriptors (add_table_field on the
//          sub-table): "subt_mark" (uint64) and "subt_note" (string).
//   parse  with init_config {"write":true}, on each event of the thread:
//          fd 99 added (create/write/add_table_entry: name "plugin-fd",
//          type 1, open_flags 2); args[0] written "rewritten"; a cgroups
//          entry appended ("plugin", "/plugin"); env[0] erased; fd 3's
//          subt_mark written 7 and subt_note "noted"; fd 3's
//          socket_ipv4_src_port written 4242 (it then reads as an ipv4 socket).
#include <plugin/plugin_api.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

struct State {
  std::string error;
  bool write = false;
  ss_plugin_table_t* threads = nullptr;
  ss_plugin_table_field_t *fdtable = nullptr, *args = nullptr, *env = nullptr, *cgroups = nullptr;
  // sub-table accessors
  ss_plugin_table_field_t *fd_name = nullptr, *fd_type = nullptr, *fd_flags = nullptr, *fd_num = nullptr;
  ss_plugin_table_field_t *args_value = nullptr, *env_value = nullptr;
  ss_plugin_table_field_t *cg_first = nullptr, *cg_second = nullptr;
  // every file_descriptors field by name (listed ones and the added two)
  std::map<std::string, std::pair<ss_plugin_table_field_t*, ss_plugin_state_type>> fd_fields;
  std::string fd_field_list;
  // extraction results, one slot per requested field (valid until the
  // next extract call)
  std::vector<uint64_t> u64s;
  std::vector<std::string> strs;
  std::vector<const char*> ptrs;
  // iteration scratch
  const ss_plugin_table_reader_vtable_ext* reader = nullptr;
  ss_plugin_table_t* iter_table = nullptr;
  std::vector<std::string> items;
};

ss_plugin_rc fail(State* s, const std::string& what) {
  s->error = what;
  return SS_PLUGIN_FAILURE;
}

// The table-typed field `f` of `entry`: the sub-table.
ss_plugin_table_t* sub_table(State* s, const ss_plugin_table_reader_vtable_ext* r, ss_plugin_table_entry_t* entry,
                             ss_plugin_table_field_t* f) {
  ss_plugin_state_data v{};
  if (r->read_entry_field(s->threads, entry, f, &v) != SS_PLUGIN_SUCCESS) return nullptr;
  return v.table;
}

ss_plugin_bool collect_fd(ss_plugin_table_iterator_state_t* st, ss_plugin_table_entry_t* e) {
  auto* s = static_cast<State*>(st);
  ss_plugin_state_data num{}, name{};
  if (s->reader->read_entry_field(s->iter_table, e, s->fd_num, &num) != SS_PLUGIN_SUCCESS) return 0;
  if (s->reader->read_entry_field(s->iter_table, e, s->fd_name, &name) != SS_PLUGIN_SUCCESS) return 0;
  s->items.push_back(std::to_string(num.s64) + ":" + name.str);
  return 1;
}
ss_plugin_bool collect_value(ss_plugin_table_iterator_state_t* st, ss_plugin_table_entry_t* e) {
  auto* s = static_cast<State*>(st);
  ss_plugin_state_data v{};
  if (s->reader->read_entry_field(s->iter_table, e, s->args_value, &v) != SS_PLUGIN_SUCCESS) return 0;
  s->items.push_back(v.str);
  return 1;
}
ss_plugin_bool collect_pair(ss_plugin_table_iterator_state_t* st, ss_plugin_table_entry_t* e) {
  auto* s = static_cast<State*>(st);
  ss_plugin_state_data a{}, b{};
  if (s->reader->read_entry_field(s->iter_table, e, s->cg_first, &a) != SS_PLUGIN_SUCCESS) return 0;
  if (s->reader->read_entry_field(s->iter_table, e, s->cg_second, &b) != SS_PLUGIN_SUCCESS) return 0;
  s->items.push_back(std::string(a.str) + "=" + b.str);
  return 1;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// The first param of a scap open/openat exit: the fd (int64).
bool event_fd(const ss_plugin_event* evt, int64_t* fd) {
  if ((evt->type != 3 && evt->type != 307) || evt->nparams < 1) return false;
  const auto* base = reinterpret_cast<const uint8_t*>(evt);
  uint16_t len0;
  std::memcpy(&len0, base + sizeof(ss_plugin_event), 2);
  if (len0 != 8) return false;
  std::memcpy(fd, base + sizeof(ss_plugin_event) + 2u * evt->nparams, 8);
  return true;
}

}  // namespace

extern "C" {
const char* plugin_get_required_api_version() { return "3.12.0"; }
const char* plugin_get_name() { return "subt"; }
const char* plugin_get_version() { return "0.1.0"; }
const char* plugin_get_description() { return "reads and writes the threads table's sub-tables"; }
const char* plugin_get_contact() { return "tests"; }
const char* plugin_get_fields() {
  return R"([{"name":"subt.nfds","type":"uint64","desc":"fds of the thread"},
             {"name":"subt.fdname","type":"string","arg":{"isRequired":true,"isIndex":true},"desc":"name of fd N"},
             {"name":"subt.fdtype","type":"uint64","arg":{"isRequired":true,"isIndex":true},"desc":"type of fd N"},
             {"name":"subt.fdflags","type":"uint64","arg":{"isRequired":true,"isIndex":true},"desc":"open_flags of fd N"},
             {"name":"subt.fds","type":"string","desc":"every fd"},
             {"name":"subt.args","type":"string","desc":"args"},
             {"name":"subt.env","type":"string","arg":{"isRequired":true,"isIndex":true},"desc":"env entry N"},
             {"name":"subt.cgroups","type":"string","desc":"cgroups"},
             {"name":"subt.evtfdname","type":"string","desc":"name of the event's fd"},
             {"name":"subt.fdfield","type":"string","arg":{"isRequired":true,"isKey":true},"desc":"field F of fd N, key N.F"},
             {"name":"subt.fdfieldlist","type":"string","desc":"every fd field as name:type"}])";
}
const char* plugin_get_extract_event_sources() { return R"(["syscall"])"; }
const char* plugin_get_parse_event_sources() { return R"(["syscall"])"; }

ss_plugin_t* plugin_init(const ss_plugin_init_input* in, ss_plugin_rc* rc) {
  auto* s = new State();
  *rc = SS_PLUGIN_FAILURE;
  s->write = in->config && std::strstr(in->config, "\"write\":true") != nullptr;
  auto owner_error = [&](const std::string& what) {
    const char* e = in->get_owner_last_error(in->owner);
    s->error = what + ": " + (e ? e : "(no owner error)");
    return s;
  };
  const ss_plugin_init_tables_input* t = in->tables;
  s->threads = t->get_table(in->owner, "threads", SS_PLUGIN_ST_INT64);
  if (!s->threads) return owner_error("get_table(threads)");
  struct {
    const char* name;
    ss_plugin_table_field_t** field;
  } table_fields[] = {{"file_descriptors", &s->fdtable}, {"args", &s->args}, {"env", &s->env}, {"cgroups", &s->cgroups}};
  for (auto& tf : table_fields) {
    *tf.field = t->fields_ext->get_table_field(s->threads, tf.name, SS_PLUGIN_ST_TABLE);
    if (!*tf.field) return owner_error(std::string("get_table_field(") + tf.name + ")");
  }
  // The sub-tables' accessors, from a detached entry's sub-tables.
  ss_plugin_table_entry_t* probe = t->writer_ext->create_table_entry(s->threads);
  if (!probe) return owner_error("create_table_entry(threads)");
  ss_plugin_table_t* fds = sub_table(s, t->reader_ext, probe, s->fdtable);
  ss_plugin_table_t* args = sub_table(s, t->reader_ext, probe, s->args);
  ss_plugin_table_t* env = sub_table(s, t->reader_ext, probe, s->env);
  ss_plugin_table_t* cgroups = sub_table(s, t->reader_ext, probe, s->cgroups);
  if (!fds || !args || !env || !cgroups) return owner_error("read a table field of a new entry");
  const char* fds_name = t->reader_ext->get_table_name(fds);
  if (!fds_name || std::string(fds_name) != "file_descriptors") return owner_error("file_descriptors' table name");
  s->fd_name = t->fields_ext->get_table_field(fds, "name", SS_PLUGIN_ST_STRING);
  s->fd_type = t->fields_ext->get_table_field(fds, "type", SS_PLUGIN_ST_UINT8);
  s->fd_flags = t->fields_ext->get_table_field(fds, "open_flags", SS_PLUGIN_ST_UINT32);
  s->fd_num = t->fields_ext->get_table_field(fds, "fd", SS_PLUGIN_ST_INT64);
  s->args_value = t->fields_ext->get_table_field(args, "value", SS_PLUGIN_ST_STRING);
  s->env_value = t->fields_ext->get_table_field(env, "value", SS_PLUGIN_ST_STRING);
  s->cg_first = t->fields_ext->get_table_field(cgroups, "first", SS_PLUGIN_ST_STRING);
  s->cg_second = t->fields_ext->get_table_field(cgroups, "second", SS_PLUGIN_ST_STRING);
  // Every field the host lists for file_descriptors, then two of ours.
  uint32_t nfd = 0;
  const ss_plugin_table_fieldinfo* infos = t->fields_ext->list_table_fields(fds, &nfd);
  if (!infos) return owner_error("list_table_fields(file_descriptors)");
  for (uint32_t i = 0; i < nfd; ++i) {
    ss_plugin_table_field_t* acc = t->fields_ext->get_table_field(fds, infos[i].name, infos[i].field_type);
    if (!acc) return owner_error(std::string("get_table_field(file_descriptors, ") + infos[i].name + ")");
    s->fd_fields[infos[i].name] = {acc, infos[i].field_type};
    s->fd_field_list += (i ? "," : "") + std::string(infos[i].name) + ":" + std::to_string(infos[i].field_type);
  }
  for (auto [name, type] : {std::pair{"subt_mark", SS_PLUGIN_ST_UINT64}, std::pair{"subt_note", SS_PLUGIN_ST_STRING}}) {
    ss_plugin_table_field_t* acc = t->fields_ext->add_table_field(fds, name, type);
    if (!acc) return owner_error(std::string("add_table_field(file_descriptors, ") + name + ")");
    s->fd_fields[name] = {acc, type};
  }
  t->writer_ext->destroy_table_entry(s->threads, probe);
  if (!s->fd_name || !s->fd_type || !s->fd_flags || !s->fd_num || !s->args_value || !s->env_value || !s->cg_first ||
      !s->cg_second)
    return owner_error("get_table_field on a sub-table");
  *rc = SS_PLUGIN_SUCCESS;
  return s;
}

void plugin_destroy(ss_plugin_t* p) { delete static_cast<State*>(p); }
const char* plugin_get_last_error(ss_plugin_t* p) { return static_cast<State*>(p)->error.c_str(); }

ss_plugin_rc plugin_parse_event(ss_plugin_t* p, const ss_plugin_event_input* ev, const ss_plugin_event_parse_input* in) {
  auto* s = static_cast<State*>(p);
  if (!s->write) return SS_PLUGIN_SUCCESS;
  ss_plugin_state_data key{};
  key.s64 = static_cast<int64_t>(ev->evt->tid);
  const auto* r = in->table_reader_ext;
  const auto* w = in->table_writer_ext;
  ss_plugin_table_entry_t* thread = r->get_table_entry(s->threads, &key);
  if (!thread) return SS_PLUGIN_SUCCESS;  // a thread the host does not know: nothing to do
  ss_plugin_table_t* fds = sub_table(s, r, thread, s->fdtable);
  ss_plugin_table_t* args = sub_table(s, r, thread, s->args);
  ss_plugin_table_t* env = sub_table(s, r, thread, s->env);
  ss_plugin_table_t* cgroups = sub_table(s, r, thread, s->cgroups);
  r->release_table_entry(s->threads, thread);
  if (!fds || !args || !env || !cgroups) return fail(s, "parse: read a sub-table");
  // fd 99
  ss_plugin_table_entry_t* fresh = w->create_table_entry(fds);
  ss_plugin_state_data v{};
  v.str = "plugin-fd";
  if (w->write_entry_field(fds, fresh, s->fd_name, &v) != SS_PLUGIN_SUCCESS) return fail(s, "parse: fd name");
  v.u8 = 1;
  if (w->write_entry_field(fds, fresh, s->fd_type, &v) != SS_PLUGIN_SUCCESS) return fail(s, "parse: fd type");
  v.u32 = 2;
  if (w->write_entry_field(fds, fresh, s->fd_flags, &v) != SS_PLUGIN_SUCCESS) return fail(s, "parse: fd flags");
  ss_plugin_state_data fdkey{};
  fdkey.s64 = 99;
  if (!w->add_table_entry(fds, &fdkey, fresh)) return fail(s, "parse: add fd 99");
  // args[0]
  ss_plugin_state_data idx{};
  idx.u64 = 0;
  if (ss_plugin_table_entry_t* a0 = r->get_table_entry(args, &idx)) {
    v.str = "rewritten";
    if (w->write_entry_field(args, a0, s->args_value, &v) != SS_PLUGIN_SUCCESS) return fail(s, "parse: args[0]");
    r->release_table_entry(args, a0);
  }
  // a cgroups entry at the end
  ss_plugin_table_entry_t* cg = w->create_table_entry(cgroups);
  v.str = "plugin";
  w->write_entry_field(cgroups, cg, s->cg_first, &v);
  v.str = "/plugin";
  w->write_entry_field(cgroups, cg, s->cg_second, &v);
  idx.u64 = r->get_table_size(cgroups);
  if (!w->add_table_entry(cgroups, &idx, cg)) return fail(s, "parse: add cgroup");
  // env[0] erased
  idx.u64 = 0;
  if (r->get_table_size(env) > 0 && w->erase_table_entry(env, &idx) != SS_PLUGIN_SUCCESS)
    return fail(s, "parse: erase env[0]");
  // fd 3: our added fields and a libs socket field
  fdkey.s64 = 3;
  if (ss_plugin_table_entry_t* fd3 = r->get_table_entry(fds, &fdkey)) {
    v.u64 = 7;
    if (w->write_entry_field(fds, fd3, s->fd_fields["subt_mark"].first, &v) != SS_PLUGIN_SUCCESS)
      return fail(s, "parse: subt_mark");
    v.str = "noted";
    if (w->write_entry_field(fds, fd3, s->fd_fields["subt_note"].first, &v) != SS_PLUGIN_SUCCESS)
      return fail(s, "parse: subt_note");
    v.u16 = 4242;
    if (w->write_entry_field(fds, fd3, s->fd_fields["socket_ipv4_src_port"].first, &v) != SS_PLUGIN_SUCCESS)
      return fail(s, "parse: socket_ipv4_src_port");
    r->release_table_entry(fds, fd3);
  }
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* p, const ss_plugin_event_input* ev,
                                   const ss_plugin_field_extract_input* in) {
  auto* s = static_cast<State*>(p);
  const auto* r = in->table_reader_ext;
  ss_plugin_state_data key{};
  key.s64 = static_cast<int64_t>(ev->evt->tid);
  ss_plugin_table_entry_t* thread = r->get_table_entry(s->threads, &key);
  for (uint32_t i = 0; i < in->num_fields; ++i) in->fields[i].res_len = 0;
  if (!thread) return SS_PLUGIN_SUCCESS;  // unknown thread: every field missing
  ss_plugin_table_t* fds = sub_table(s, r, thread, s->fdtable);
  ss_plugin_table_t* args = sub_table(s, r, thread, s->args);
  ss_plugin_table_t* env = sub_table(s, r, thread, s->env);
  ss_plugin_table_t* cgroups = sub_table(s, r, thread, s->cgroups);
  r->release_table_entry(s->threads, thread);
  if (!fds || !args || !env || !cgroups) return fail(s, "extract: read a sub-table");
  s->reader = r;
  s->u64s.assign(in->num_fields, 0);
  s->strs.assign(in->num_fields, std::string());
  s->ptrs.assign(in->num_fields, nullptr);
  for (uint32_t i = 0; i < in->num_fields; ++i) {
    ss_plugin_extract_field& f = in->fields[i];
    bool is_str = false;
    uint64_t& u64 = s->u64s[i];
    std::string& str = s->strs[i];
    switch (f.field_id) {
      case 0:
        u64 = r->get_table_size(fds);
        break;
      case 1:
      case 2:
      case 3: {
        ss_plugin_state_data k{};
        k.s64 = static_cast<int64_t>(f.arg_index);
        ss_plugin_table_entry_t* e = r->get_table_entry(fds, &k);
        if (!e) continue;  // no such fd: missing
        ss_plugin_state_data v{};
        ss_plugin_table_field_t* which = f.field_id == 1 ? s->fd_name : f.field_id == 2 ? s->fd_type : s->fd_flags;
        if (r->read_entry_field(fds, e, which, &v) != SS_PLUGIN_SUCCESS) return fail(s, "extract: fd field");
        r->release_table_entry(fds, e);
        if (f.field_id == 1) {
          str = v.str;
          is_str = true;
        } else {
          u64 = f.field_id == 2 ? v.u8 : v.u32;
        }
        break;
      }
      case 4:
      case 5:
      case 7: {
        s->items.clear();
        s->iter_table = f.field_id == 4 ? fds : f.field_id == 5 ? args : cgroups;
        auto fn = f.field_id == 4 ? collect_fd : f.field_id == 5 ? collect_value : collect_pair;
        if (!r->iterate_entries(s->iter_table, fn, s)) return fail(s, "extract: iterate");
        if (f.field_id == 4) std::sort(s->items.begin(), s->items.end());
        str = join(s->items, f.field_id == 5 ? " " : ",");
        is_str = true;
        break;
      }
      case 6: {
        ss_plugin_state_data k{};
        k.u64 = f.arg_index;
        ss_plugin_table_entry_t* e = r->get_table_entry(env, &k);
        if (!e) continue;
        ss_plugin_state_data v{};
        if (r->read_entry_field(env, e, s->env_value, &v) != SS_PLUGIN_SUCCESS) return fail(s, "extract: env");
        r->release_table_entry(env, e);
        str = v.str;
        is_str = true;
        break;
      }
      case 8: {
        int64_t fd = -1;
        if (!event_fd(ev->evt, &fd) || fd < 0) continue;
        ss_plugin_state_data k{};
        k.s64 = fd;
        ss_plugin_table_entry_t* e = r->get_table_entry(fds, &k);
        if (!e) continue;
        ss_plugin_state_data v{};
        if (r->read_entry_field(fds, e, s->fd_name, &v) != SS_PLUGIN_SUCCESS) return fail(s, "extract: fd name");
        r->release_table_entry(fds, e);
        str = v.str;
        is_str = true;
        break;
      }
      case 9: {
        // "N.F": field F of fd N
        const std::string key = f.arg_key ? f.arg_key : "";
        const size_t dot = key.find('.');
        if (dot == std::string::npos) return fail(s, "extract: subt.fdfield wants N.F");
        auto it = s->fd_fields.find(key.substr(dot + 1));
        if (it == s->fd_fields.end()) continue;  // a field we do not have: missing
        ss_plugin_state_data k{};
        k.s64 = std::stoll(key.substr(0, dot));
        ss_plugin_table_entry_t* e = r->get_table_entry(fds, &k);
        if (!e) continue;
        ss_plugin_state_data v{};
        if (r->read_entry_field(fds, e, it->second.first, &v) != SS_PLUGIN_SUCCESS) return fail(s, "extract: fdfield");
        r->release_table_entry(fds, e);
        switch (it->second.second) {
          case SS_PLUGIN_ST_STRING: str = v.str; break;
          case SS_PLUGIN_ST_INT8: str = std::to_string(v.s8); break;
          case SS_PLUGIN_ST_INT16: str = std::to_string(v.s16); break;
          case SS_PLUGIN_ST_INT32: str = std::to_string(v.s32); break;
          case SS_PLUGIN_ST_INT64: str = std::to_string(v.s64); break;
          case SS_PLUGIN_ST_UINT8: str = std::to_string(v.u8); break;
          case SS_PLUGIN_ST_UINT16: str = std::to_string(v.u16); break;
          case SS_PLUGIN_ST_UINT32: str = std::to_string(v.u32); break;
          case SS_PLUGIN_ST_UINT64: str = std::to_string(v.u64); break;
          case SS_PLUGIN_ST_BOOL: str = v.b ? "true" : "false"; break;
          default: str = "?"; break;
        }
        is_str = true;
        break;
      }
      case 10:
        str = s->fd_field_list;
        is_str = true;
        break;
      default:
        continue;
    }
    if (is_str) {
      s->ptrs[i] = str.c_str();
      f.res.str = &s->ptrs[i];
    } else {
      f.res.u64 = &u64;
    }
    f.res_len = 1;
  }
  return SS_PLUGIN_SUCCESS;
}
}
