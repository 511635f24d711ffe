// A plugin that declares plugin API 3.0.0 and uses only what 3.0 had:
// the by-value "fields" vtable of the tables input, the by-value
// table_reader of the extract input, and an add_table input whose 3.1
// _ext pointers it does not fill — it sets them to an address that would
// crash a host reading them, since a real 3.0 plugin's struct ends before
// them. Built against the published plugin_api.h only.
//
//   name "api30", id 1300, event source "api30"
//   open(params): tids separated by ','; one event per tid (payload: the
//   tid in decimal), then EOF
//   fields: api30.comm (string: the host's comm of the tid, read with the
//   3.0 by-value reader), api30.tables (uint64: number of host tables at
//   init)
#include <plugin/plugin_api.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Instance {
  std::vector<std::string> payloads;
  size_t next = 0;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<ss_plugin_event*> ptrs;
};

struct State {
  std::string error;
  ss_plugin_table_t* threads = nullptr;
  ss_plugin_table_field_t* comm = nullptr;
  uint64_t ntables = 0;
  uint64_t u64_out = 0;
  std::string str_out;
  const char* str_ptr = nullptr;
};

// A one-entry table "api30_table" offered with the 3.0 layout.
int g_table, g_field;
const char* t_name(ss_plugin_table_t*) { return "api30_table"; }
uint64_t t_size(ss_plugin_table_t*) { return 1; }
ss_plugin_table_entry_t* t_get(ss_plugin_table_t*, const ss_plugin_state_data* k) {
  return k->u32 == 7 ? &g_table : nullptr;
}
ss_plugin_rc t_read(ss_plugin_table_t*, ss_plugin_table_entry_t*, const ss_plugin_table_field_t* f,
                    ss_plugin_state_data* out) {
  if (f != &g_field) return SS_PLUGIN_FAILURE;
  out->u32 = 30;
  return SS_PLUGIN_SUCCESS;
}
ss_plugin_rc t_clear(ss_plugin_table_t*) { return SS_PLUGIN_FAILURE; }
ss_plugin_rc t_erase(ss_plugin_table_t*, const ss_plugin_state_data*) { return SS_PLUGIN_FAILURE; }
ss_plugin_table_entry_t* t_create(ss_plugin_table_t*) { return nullptr; }
void t_destroy(ss_plugin_table_t*, ss_plugin_table_entry_t*) {}
ss_plugin_table_entry_t* t_add(ss_plugin_table_t*, const ss_plugin_state_data*, ss_plugin_table_entry_t*) {
  return nullptr;
}
ss_plugin_rc t_write(ss_plugin_table_t*, ss_plugin_table_entry_t*, const ss_plugin_table_field_t*,
                     const ss_plugin_state_data*) {
  return SS_PLUGIN_FAILURE;
}
ss_plugin_table_fieldinfo g_info{"value", SS_PLUGIN_ST_UINT32, 1};
const ss_plugin_table_fieldinfo* t_list(ss_plugin_table_t*, uint32_t* n) {
  *n = 1;
  return &g_info;
}
ss_plugin_table_field_t* t_field(ss_plugin_table_t*, const char* name, ss_plugin_state_type type) {
  return std::strcmp(name, "value") == 0 && type == SS_PLUGIN_ST_UINT32 ? &g_field : nullptr;
}

uint64_t tid_of(const ss_plugin_event* evt) {
  const auto* base = reinterpret_cast<const uint8_t*>(evt);
  uint32_t len;
  std::memcpy(&len, base + 30, 4);
  return std::strtoull(std::string(reinterpret_cast<const char*>(base + 38), len).c_str(), nullptr, 10);
}

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "api30"; }
const char* plugin_get_version() { return "0.1.0"; }
const char* plugin_get_description() { return "a plugin of plugin API 3.0"; }
const char* plugin_get_contact() { return "kestrel tests"; }
uint32_t plugin_get_id() { return 1300; }
const char* plugin_get_event_source() { return "api30"; }
const char* plugin_get_fields() {
  return R"([{"type":"string","name":"api30.comm","desc":"host comm of the tid"},
             {"type":"uint64","name":"api30.tables","desc":"host tables at init"}])";
}

ss_plugin_t* plugin_init(const ss_plugin_init_input* in, ss_plugin_rc* rc) {
  auto* s = new State();
  *rc = SS_PLUGIN_FAILURE;
  uint32_t n = 0;
  if (!in->tables->list_tables(in->owner, &n)) {
    s->error = "list_tables failed";
    return s;
  }
  s->ntables = n;
  s->threads = in->tables->get_table(in->owner, "threads", SS_PLUGIN_ST_INT64);
  if (!s->threads) {
    s->error = "no threads table";
    return s;
  }
  s->comm = in->tables->fields.get_table_field(s->threads, "comm", SS_PLUGIN_ST_STRING);
  if (!s->comm) {
    s->error = "no comm field";
    return s;
  }
  ss_plugin_table_input t{};
  t.name = "api30_table";
  t.key_type = SS_PLUGIN_ST_UINT32;
  t.table = &g_table;
  t.reader = {t_name, t_size, t_get, t_read};
  t.writer = {t_clear, t_erase, t_create, t_destroy, t_add, t_write};
  t.fields = {t_list, t_field, t_field};
  // Past the end of a 3.0 struct: must not be read by the host.
  t.reader_ext = reinterpret_cast<ss_plugin_table_reader_vtable_ext*>(uintptr_t{0x10});
  t.writer_ext = reinterpret_cast<ss_plugin_table_writer_vtable_ext*>(uintptr_t{0x10});
  t.fields_ext = reinterpret_cast<ss_plugin_table_fields_vtable_ext*>(uintptr_t{0x10});
  if (in->tables->add_table(in->owner, &t) != SS_PLUGIN_SUCCESS) {
    const char* e = in->get_owner_last_error(in->owner);
    s->error = std::string("add_table: ") + (e ? e : "");
    return s;
  }
  *rc = SS_PLUGIN_SUCCESS;
  return s;
}

void plugin_destroy(ss_plugin_t* s) { delete static_cast<State*>(s); }
const char* plugin_get_last_error(ss_plugin_t* s) { return static_cast<State*>(s)->error.c_str(); }

ss_instance_t* plugin_open(ss_plugin_t*, const char* params, ss_plugin_rc* rc) {
  auto* inst = new Instance();
  std::string p = params ? params : "";
  size_t pos = 0;
  while (pos < p.size()) {
    size_t comma = p.find(',', pos);
    if (comma == std::string::npos) comma = p.size();
    if (comma > pos) inst->payloads.push_back(p.substr(pos, comma - pos));
    pos = comma + 1;
  }
  *rc = SS_PLUGIN_SUCCESS;
  return inst;
}

void plugin_close(ss_plugin_t*, ss_instance_t* h) { delete static_cast<Instance*>(h); }

ss_plugin_rc plugin_next_batch(ss_plugin_t*, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
  auto* inst = static_cast<Instance*>(h);
  inst->storage.clear();
  inst->ptrs.clear();
  while (inst->next < inst->payloads.size()) {
    const std::string& payload = inst->payloads[inst->next++];
    std::vector<uint8_t> buf(38 + payload.size());
    ss_plugin_event hdr{};
    hdr.ts = 1700000000000000000ull;
    hdr.tid = (uint64_t)-1;
    hdr.len = static_cast<uint32_t>(buf.size());
    hdr.type = 322;
    hdr.nparams = 2;
    std::memcpy(buf.data(), &hdr, 26);
    uint32_t lens[2] = {4, static_cast<uint32_t>(payload.size())};
    std::memcpy(buf.data() + 26, lens, 8);
    uint32_t id = 0;  // "this plugin"
    std::memcpy(buf.data() + 34, &id, 4);
    std::memcpy(buf.data() + 38, payload.data(), payload.size());
    inst->storage.push_back(std::move(buf));
  }
  for (auto& b : inst->storage) inst->ptrs.push_back(reinterpret_cast<ss_plugin_event*>(b.data()));
  *nevts = static_cast<uint32_t>(inst->ptrs.size());
  *evts = inst->ptrs.data();
  return SS_PLUGIN_EOF;
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* p, const ss_plugin_event_input* ev,
                                   const ss_plugin_field_extract_input* in) {
  auto* s = static_cast<State*>(p);
  for (uint32_t i = 0; i < in->num_fields; ++i) {
    ss_plugin_extract_field& f = in->fields[i];
    f.res_len = 0;
    if (f.field_id == 1) {
      s->u64_out = s->ntables;
      f.res.u64 = &s->u64_out;
      f.res_len = 1;
      continue;
    }
    ss_plugin_state_data key;
    key.s64 = static_cast<int64_t>(tid_of(ev->evt));
    // 3.0: the by-value reader, no release.
    ss_plugin_table_entry_t* e = in->table_reader.get_table_entry(s->threads, &key);
    if (!e) continue;
    ss_plugin_state_data v;
    if (in->table_reader.read_entry_field(s->threads, e, s->comm, &v) != SS_PLUGIN_SUCCESS) continue;
    s->str_out = v.str;
    s->str_ptr = s->str_out.c_str();
    f.res.str = &s->str_ptr;
    f.res_len = 1;
  }
  return SS_PLUGIN_SUCCESS;
}

}  // extern "C"
