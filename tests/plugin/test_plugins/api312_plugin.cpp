// A plugin at plugin API 3.12 that uses every capability the host offers,
// built against the published plugin_api.h only
// (../shared/reference/plugin-api), never Kestrel's header: an oracle for
// the host's side of the ABI (tests/plugin/plugin_api312_test.cpp).
//
//   name "api312", id 1312, event source "api312"
//   init schema  {"mode": "normal"|"strict", "ticks": integer >= 0}, no
//                other keys
//   init         logs; gets the host's "threads" table (int64 key) and its
//                "comm"/"pid" fields; adds a field "api312_parsed" (uint64)
//                on it; offers its own table "api312_seen" (uint64 key,
//                one uint64 field "count")
//   open(params) params: tids separated by ','; one event per tid, its
//                payload the tid in decimal; then EOF
//   parse_event  for each of its events: threads[tid].api312_parsed += 1
//                (reader+writer of the host) and api312_seen[tid].count += 1
//                (its own table, through the host's vtables as another
//                plugin would); a tid the host does not know fails parsing
//   fields       api312.tid (uint64), api312.comm (string: the host's comm
//                of that tid), api312.parsed (uint64: api312_parsed of the
//                tid), api312.seen (uint64: api312_seen count), api312.mode
//                (string: the config mode, changed by set_config), api312.ip
//                (ipaddr 10.1.2.<tid>), api312.net (ipnet: the same 4 bytes),
//                api312.async (string: of an async event (code 402) handed
//                to the extractor, "<name>:<data>"; missing on others)
//   extract types none declared (plugin events only, by the API's rule);
//                built with API312_EXTRACT_ASYNC: [322, 402], so the host
//                must hand it async events for extraction too
//   async        declares "api312_tick"; with a handler set, a thread sends
//                `ticks` async events "api312_tick" (data "tick <n>") then
//                one named "undeclared" (which the host must refuse; the
//                refusal text is logged at warning level); a NULL handler
//                stops and joins the thread
//   listening    capture_open subscribes a routine counting its runs (the
//                "routine_runs" metric); capture_close unsubscribes it
//   metrics      events_parsed, routine_runs (monotonic, u64)
//   async srcs   none declared (every source); built with
//                API312_ASYNC_OWN_SOURCE: ["api312"] (its own source only)
//   dump_state   one async event "api312_tick" with data "dump"
//   progress     "<next>/<total>" of the open capture, percent*100
//   to_string    "api312 tid=<tid>"
#include <plugin/plugin_api.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---- the plugin's own table: api312_seen (uint64 tid -> count) ----
struct SeenEntry {
  uint64_t count = 0;
};
struct SeenTable {
  std::map<uint64_t, SeenEntry*> entries;
  ss_plugin_table_fieldinfo field{"count", SS_PLUGIN_ST_UINT64, 0};
  ~SeenTable() {
    for (auto& [k, e] : entries) delete e;
  }
};
SeenTable* seen_of(ss_plugin_table_t* t) { return static_cast<SeenTable*>(t); }
int g_count_field_tag;  // the accessor of "count" is the address of this

const char* seen_name(ss_plugin_table_t*) { return "api312_seen"; }
uint64_t seen_size(ss_plugin_table_t* t) { return seen_of(t)->entries.size(); }
ss_plugin_table_entry_t* seen_get(ss_plugin_table_t* t, const ss_plugin_state_data* key) {
  auto it = seen_of(t)->entries.find(key->u64);
  return it == seen_of(t)->entries.end() ? nullptr : it->second;
}
ss_plugin_rc seen_read(ss_plugin_table_t*, ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                       ss_plugin_state_data* out) {
  if (f != &g_count_field_tag) return SS_PLUGIN_FAILURE;
  out->u64 = static_cast<SeenEntry*>(e)->count;
  return SS_PLUGIN_SUCCESS;
}
void seen_release(ss_plugin_table_t*, ss_plugin_table_entry_t*) {}
ss_plugin_bool seen_iterate(ss_plugin_table_t* t, ss_plugin_table_iterator_func_t it,
                            ss_plugin_table_iterator_state_t* s) {
  for (auto& [k, e] : seen_of(t)->entries)
    if (!it(s, e)) return 0;
  return 1;
}
ss_plugin_rc seen_clear(ss_plugin_table_t* t) {
  for (auto& [k, e] : seen_of(t)->entries) delete e;
  seen_of(t)->entries.clear();
  return SS_PLUGIN_SUCCESS;
}
ss_plugin_rc seen_erase(ss_plugin_table_t* t, const ss_plugin_state_data* key) {
  auto it = seen_of(t)->entries.find(key->u64);
  if (it == seen_of(t)->entries.end()) return SS_PLUGIN_FAILURE;
  delete it->second;
  seen_of(t)->entries.erase(it);
  return SS_PLUGIN_SUCCESS;
}
ss_plugin_table_entry_t* seen_create(ss_plugin_table_t*) { return new SeenEntry(); }
void seen_destroy(ss_plugin_table_t*, ss_plugin_table_entry_t* e) { delete static_cast<SeenEntry*>(e); }
ss_plugin_table_entry_t* seen_add(ss_plugin_table_t* t, const ss_plugin_state_data* key, ss_plugin_table_entry_t* e) {
  auto& slot = seen_of(t)->entries[key->u64];
  delete slot;
  slot = static_cast<SeenEntry*>(e);
  return slot;
}
ss_plugin_rc seen_write(ss_plugin_table_t*, ss_plugin_table_entry_t* e, const ss_plugin_table_field_t* f,
                        const ss_plugin_state_data* in) {
  if (f != &g_count_field_tag) return SS_PLUGIN_FAILURE;
  static_cast<SeenEntry*>(e)->count = in->u64;
  return SS_PLUGIN_SUCCESS;
}
const ss_plugin_table_fieldinfo* seen_list_fields(ss_plugin_table_t* t, uint32_t* n) {
  *n = 1;
  return &seen_of(t)->field;
}
ss_plugin_table_field_t* seen_get_field(ss_plugin_table_t*, const char* name, ss_plugin_state_type type) {
  return std::strcmp(name, "count") == 0 && type == SS_PLUGIN_ST_UINT64 ? &g_count_field_tag : nullptr;
}
ss_plugin_table_field_t* seen_add_field(ss_plugin_table_t*, const char*, ss_plugin_state_type) { return nullptr; }

ss_plugin_table_reader_vtable_ext g_seen_reader{seen_name, seen_size, seen_get, seen_read, seen_release,
                                                seen_iterate};
ss_plugin_table_writer_vtable_ext g_seen_writer{seen_clear,   seen_erase, seen_create,
                                                seen_destroy, seen_add,   seen_write};
ss_plugin_table_fields_vtable_ext g_seen_fields{seen_list_fields, seen_get_field, seen_add_field};

// ---- plugin state ----
struct Instance {
  std::vector<std::string> payloads;
  size_t next = 0;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<ss_plugin_event*> ptrs;
};

struct State {
  std::string error;
  ss_plugin_owner_t* owner = nullptr;
  ss_plugin_log_fn_t log = nullptr;
  std::string mode = "normal";
  uint64_t ticks = 0;
  uint8_t ip_out[4] = {};
  ss_plugin_byte_buffer buf_out{};
  // host tables
  ss_plugin_table_t* threads = nullptr;
  ss_plugin_table_field_t* comm = nullptr;
  ss_plugin_table_field_t* pid = nullptr;
  ss_plugin_table_field_t* parsed = nullptr;
  // own table, and the host's handle to it (used like any other plugin)
  SeenTable seen;
  ss_plugin_table_t* seen_via_host = nullptr;
  ss_plugin_table_field_t* seen_count = nullptr;
  // extraction results
  uint64_t u64_out = 0;
  std::string str_out;
  const char* str_ptr = nullptr;
  // async
  std::mutex async_mu;
  std::thread async_thread;
  std::atomic<bool> async_stop{false};
  // listening
  std::atomic<uint64_t> routine_runs{0};
  ss_plugin_routine_t* routine = nullptr;
  std::atomic<uint64_t> events_parsed{0};
  ss_plugin_metric metrics[2];
};

std::string json_string_member(const std::string& json, const std::string& key) {
  // The host validated the config against our schema: a flat object of a
  // string "mode" and an integer "ticks". Enough parsing for that.
  size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return "";
  size_t colon = json.find(':', k);
  size_t start = json.find_first_not_of(" \t\n", colon + 1);
  if (start == std::string::npos) return "";
  if (json[start] == '"') return json.substr(start + 1, json.find('"', start + 1) - start - 1);
  size_t end = json.find_first_of(",} \n", start);
  return json.substr(start, end - start);
}

void apply_config(State* s, const std::string& config) {
  std::string mode = json_string_member(config, "mode");
  if (!mode.empty()) s->mode = mode;
  std::string ticks = json_string_member(config, "ticks");
  if (!ticks.empty()) s->ticks = std::strtoull(ticks.c_str(), nullptr, 10);
}

uint64_t tid_of(const ss_plugin_event* evt) {
  // | header 26 | len 4 | len 4 | plugin id 4 | payload |
  const auto* base = reinterpret_cast<const uint8_t*>(evt);
  uint32_t len;
  std::memcpy(&len, base + 26 + 4, 4);
  std::string payload(reinterpret_cast<const char*>(base + PLUGIN_EVENT_PAYLOAD_OFFSET), len);
  return std::strtoull(payload.c_str(), nullptr, 10);
}

ss_plugin_rc fail(State* s, std::string why) {
  s->error = std::move(why);
  return SS_PLUGIN_FAILURE;
}

ss_plugin_bool routine_fn(ss_plugin_t* s, ss_plugin_routine_state_t* i) {
  static_cast<State*>(s)->routine_runs.fetch_add(1);
  (void)i;
  return 1;
}

void send_async(State* s, ss_plugin_owner_t* owner, ss_plugin_async_event_handler_t handler, const std::string& name,
                const std::string& data) {
  // | header | 3 u32 lens | plugin id (0: the host sets it) | name\0 | data |
  std::vector<uint8_t> buf(26 + 12 + 4 + name.size() + 1 + data.size());
  ss_plugin_event hdr{};
  hdr.ts = (uint64_t)-1;
  hdr.tid = (uint64_t)-1;
  hdr.len = static_cast<uint32_t>(buf.size());
  hdr.type = 402;
  hdr.nparams = 3;
  std::memcpy(buf.data(), &hdr, 26);
  uint32_t lens[3] = {4, static_cast<uint32_t>(name.size() + 1), static_cast<uint32_t>(data.size())};
  std::memcpy(buf.data() + 26, lens, 12);
  std::memcpy(buf.data() + 38 + 4, name.c_str(), name.size() + 1);
  std::memcpy(buf.data() + 38 + 4 + name.size() + 1, data.data(), data.size());
  char err[PLUGIN_MAX_ERRLEN] = {0};
  if (handler(owner, reinterpret_cast<ss_plugin_event*>(buf.data()), err) != SS_PLUGIN_SUCCESS)
    s->log(s->owner, "async", (std::string("async event refused: ") + err).c_str(), SS_PLUGIN_LOG_SEV_WARNING);
}

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.12.0"; }
const char* plugin_get_name() { return "api312"; }
const char* plugin_get_version() { return "0.1.0"; }
const char* plugin_get_description() { return "every capability of plugin API 3.12"; }
const char* plugin_get_contact() { return "kestrel tests"; }
uint32_t plugin_get_id() { return 1312; }
const char* plugin_get_event_source() { return "api312"; }

const char* plugin_get_init_schema(ss_plugin_schema_type* t) {
  *t = SS_PLUGIN_SCHEMA_JSON;
  return R"({"$schema":"http://json-schema.org/draft-04/schema#","$ref":"#/definitions/Config",
    "definitions":{"Config":{"type":"object","additionalProperties":false,
      "properties":{"mode":{"type":"string","enum":["normal","strict"]},
                    "ticks":{"type":"integer","minimum":0}}}}})";
}

const char* plugin_get_fields() {
  return R"([{"type":"uint64","name":"api312.tid","desc":"the tid in the event"},
             {"type":"string","name":"api312.comm","desc":"the host's comm of that tid"},
             {"type":"uint64","name":"api312.parsed","desc":"api312_parsed on the host's threads table"},
             {"type":"uint64","name":"api312.seen","desc":"count in the plugin's own table"},
             {"type":"string","name":"api312.mode","desc":"the configured mode"},
             {"type":"ipaddr","name":"api312.ip","desc":"10.1.2.<tid mod 256>, an IPv4 address of 4 bytes"},
             {"type":"ipnet","name":"api312.net","desc":"the same address as an ipnet: its 4 bytes only, as plugin_types.h encodes ipnet"},
             {"type":"string","name":"api312.async","desc":"name:data of an async event"}])";
}

ss_plugin_t* plugin_init(const ss_plugin_init_input* in, ss_plugin_rc* rc) {
  auto* s = new State();
  s->owner = in->owner;
  s->log = in->log_fn;
  apply_config(s, in->config ? in->config : "");
  s->log(s->owner, nullptr, ("init, mode " + s->mode).c_str(), SS_PLUGIN_LOG_SEV_INFO);
  *rc = SS_PLUGIN_FAILURE;
  const ss_plugin_init_tables_input* t = in->tables;
  auto owner_error = [&](const char* what) {
    const char* e = in->get_owner_last_error(in->owner);
    s->error = std::string(what) + ": " + (e ? e : "(no owner error)");
    return s;
  };
  s->threads = t->get_table(in->owner, "threads", SS_PLUGIN_ST_INT64);
  if (!s->threads) return owner_error("get_table(threads)");
  s->comm = t->fields_ext->get_table_field(s->threads, "comm", SS_PLUGIN_ST_STRING);
  if (!s->comm) return owner_error("get_table_field(comm)");
  s->pid = t->fields_ext->get_table_field(s->threads, "pid", SS_PLUGIN_ST_INT64);
  if (!s->pid) return owner_error("get_table_field(pid)");
  s->parsed = t->fields_ext->add_table_field(s->threads, "api312_parsed", SS_PLUGIN_ST_UINT64);
  if (!s->parsed) return owner_error("add_table_field(api312_parsed)");

  ss_plugin_table_input own{};
  own.name = "api312_seen";
  own.key_type = SS_PLUGIN_ST_UINT64;
  own.table = &s->seen;
  own.reader = {seen_name, seen_size, seen_get, seen_read};
  own.writer = {seen_clear, seen_erase, seen_create, seen_destroy, seen_add, seen_write};
  own.fields = {seen_list_fields, seen_get_field, seen_add_field};
  own.reader_ext = &g_seen_reader;
  own.writer_ext = &g_seen_writer;
  own.fields_ext = &g_seen_fields;
  if (t->add_table(in->owner, &own) != SS_PLUGIN_SUCCESS) return owner_error("add_table(api312_seen)");
  // Our own table, as the host hands it to any plugin.
  s->seen_via_host = t->get_table(in->owner, "api312_seen", SS_PLUGIN_ST_UINT64);
  if (!s->seen_via_host) return owner_error("get_table(api312_seen)");
  s->seen_count = t->fields_ext->get_table_field(s->seen_via_host, "count", SS_PLUGIN_ST_UINT64);
  if (!s->seen_count) return owner_error("get_table_field(api312_seen.count)");
  *rc = SS_PLUGIN_SUCCESS;
  return s;
}

void plugin_destroy(ss_plugin_t* p) {
  auto* s = static_cast<State*>(p);
  s->async_stop = true;
  if (s->async_thread.joinable()) s->async_thread.join();
  delete s;
}

const char* plugin_get_last_error(ss_plugin_t* s) { return static_cast<State*>(s)->error.c_str(); }

ss_plugin_rc plugin_set_config(ss_plugin_t* p, const ss_plugin_set_config_input* i) {
  auto* s = static_cast<State*>(p);
  apply_config(s, i->config ? i->config : "");
  s->log(s->owner, "config", ("mode now " + s->mode).c_str(), SS_PLUGIN_LOG_SEV_INFO);
  return SS_PLUGIN_SUCCESS;
}

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
    std::vector<uint8_t> buf(PLUGIN_EVENT_PAYLOAD_OFFSET + payload.size());
    ss_plugin_event hdr{};
    hdr.ts = 1700000000000000000ull + inst->next;
    hdr.tid = (uint64_t)-1;
    hdr.len = static_cast<uint32_t>(buf.size());
    hdr.type = 322;
    hdr.nparams = 2;
    std::memcpy(buf.data(), &hdr, 26);
    uint32_t lens[2] = {4, static_cast<uint32_t>(payload.size())};
    std::memcpy(buf.data() + 26, lens, 8);
    uint32_t id = 1312;
    std::memcpy(buf.data() + 34, &id, 4);
    std::memcpy(buf.data() + 38, payload.data(), payload.size());
    inst->storage.push_back(std::move(buf));
  }
  for (auto& b : inst->storage) inst->ptrs.push_back(reinterpret_cast<ss_plugin_event*>(b.data()));
  *nevts = static_cast<uint32_t>(inst->ptrs.size());
  *evts = inst->ptrs.data();
  return SS_PLUGIN_EOF;
}

ss_plugin_rc plugin_parse_event(ss_plugin_t* p, const ss_plugin_event_input* ev, const ss_plugin_event_parse_input* in) {
  auto* s = static_cast<State*>(p);
  if (ev->evt->type != 322) return SS_PLUGIN_SUCCESS;
  ss_plugin_state_data key;
  key.s64 = static_cast<int64_t>(tid_of(ev->evt));
  ss_plugin_table_entry_t* thread = in->table_reader_ext->get_table_entry(s->threads, &key);
  if (!thread) {
    const char* e = in->get_owner_last_error(in->owner);
    return fail(s, std::string("parse: ") + (e ? e : "no such thread"));
  }
  ss_plugin_state_data v;
  if (in->table_reader_ext->read_entry_field(s->threads, thread, s->parsed, &v) != SS_PLUGIN_SUCCESS)
    return fail(s, "parse: read api312_parsed");
  v.u64 += 1;
  if (in->table_writer_ext->write_entry_field(s->threads, thread, s->parsed, &v) != SS_PLUGIN_SUCCESS)
    return fail(s, "parse: write api312_parsed");
  in->table_reader_ext->release_table_entry(s->threads, thread);

  // Our own table through the host (create/add on first sight).
  ss_plugin_state_data seen_key;
  seen_key.u64 = tid_of(ev->evt);
  ss_plugin_table_entry_t* e = in->table_reader_ext->get_table_entry(s->seen_via_host, &seen_key);
  if (!e) {
    ss_plugin_table_entry_t* fresh = in->table_writer_ext->create_table_entry(s->seen_via_host);
    e = in->table_writer_ext->add_table_entry(s->seen_via_host, &seen_key, fresh);
    if (!e) return fail(s, "parse: add_table_entry(api312_seen)");
  }
  ss_plugin_state_data c;
  in->table_reader_ext->read_entry_field(s->seen_via_host, e, s->seen_count, &c);
  c.u64 += 1;
  in->table_writer_ext->write_entry_field(s->seen_via_host, e, s->seen_count, &c);
  in->table_reader_ext->release_table_entry(s->seen_via_host, e);
  s->events_parsed.fetch_add(1);
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc plugin_extract_fields(ss_plugin_t* p, const ss_plugin_event_input* ev,
                                   const ss_plugin_field_extract_input* in) {
  auto* s = static_cast<State*>(p);
  for (uint32_t i = 0; i < in->num_fields; ++i) {
    ss_plugin_extract_field& f = in->fields[i];
    f.res_len = 0;
    const uint64_t tid = tid_of(ev->evt);
    ss_plugin_state_data key;
    key.s64 = static_cast<int64_t>(tid);
    switch (f.field_id) {
      case 0:
        s->u64_out = tid;
        f.res.u64 = &s->u64_out;
        f.res_len = 1;
        break;
      case 1:
      case 2: {
        ss_plugin_table_entry_t* e = in->table_reader_ext->get_table_entry(s->threads, &key);
        if (!e) break;  // unknown thread: no value
        ss_plugin_state_data v;
        if (in->table_reader_ext->read_entry_field(s->threads, e, f.field_id == 1 ? s->comm : s->parsed, &v) ==
            SS_PLUGIN_SUCCESS) {
          if (f.field_id == 1) {
            s->str_out = v.str;
            s->str_ptr = s->str_out.c_str();
            f.res.str = &s->str_ptr;
          } else {
            s->u64_out = v.u64;
            f.res.u64 = &s->u64_out;
          }
          f.res_len = 1;
        }
        in->table_reader_ext->release_table_entry(s->threads, e);
        break;
      }
      case 3: {
        ss_plugin_state_data k;
        k.u64 = tid;
        ss_plugin_table_entry_t* e = in->table_reader_ext->get_table_entry(s->seen_via_host, &k);
        if (!e) break;
        ss_plugin_state_data v;
        in->table_reader_ext->read_entry_field(s->seen_via_host, e, s->seen_count, &v);
        in->table_reader_ext->release_table_entry(s->seen_via_host, e);
        s->u64_out = v.u64;
        f.res.u64 = &s->u64_out;
        f.res_len = 1;
        break;
      }
      case 4:
        s->str_ptr = s->mode.c_str();
        f.res.str = &s->str_ptr;
        f.res_len = 1;
        break;
      case 5:
      case 6:
        s->ip_out[0] = 10;
        s->ip_out[1] = 1;
        s->ip_out[2] = 2;
        s->ip_out[3] = static_cast<uint8_t>(tid_of(ev->evt) & 0xff);
        s->buf_out.len = 4;
        s->buf_out.ptr = s->ip_out;
        f.res.buf = &s->buf_out;
        f.res_len = 1;
        break;
      case 7: {
        // | header 26 | lens 3 x 4 | plugin id 4 | name NUL | data |
        if (ev->evt->type != 402 || ev->evt->nparams != 3) break;
        const auto* base = reinterpret_cast<const uint8_t*>(ev->evt);
        uint32_t lens[3];
        std::memcpy(lens, base + 26, sizeof lens);
        const char* name = reinterpret_cast<const char*>(base + 26 + 12 + lens[0]);
        s->str_out = std::string(name, strnlen(name, lens[1])) + ":" +
                     std::string(name + lens[1], lens[2]);
        s->str_ptr = s->str_out.c_str();
        f.res.str = &s->str_ptr;
        f.res_len = 1;
        break;
      }
      default:
        return fail(s, "unknown field id");
    }
  }
  return SS_PLUGIN_SUCCESS;
}

#ifdef API312_EXTRACT_ASYNC
uint16_t* plugin_get_extract_event_types(uint32_t* numtypes, ss_plugin_t*) {
  static uint16_t types[] = {322, 402};
  *numtypes = 2;
  return types;
}
#endif

const char* plugin_get_async_events() { return R"(["api312_tick"])"; }
#ifdef API312_ASYNC_OWN_SOURCE
// The variant built with this (kestrel_test_plugin_api312_own) sends its
// async events into its own event source's stream only.
const char* plugin_get_async_event_sources() { return R"(["api312"])"; }
#endif

ss_plugin_rc plugin_dump_state(ss_plugin_t* p, ss_plugin_owner_t* owner, const ss_plugin_async_event_handler_t handler) {
  send_async(static_cast<State*>(p), owner, handler, "api312_tick", "dump");
  return SS_PLUGIN_SUCCESS;
}

const char* plugin_get_progress(ss_plugin_t* p, ss_instance_t* h, uint32_t* pct) {
  auto* s = static_cast<State*>(p);
  auto* inst = static_cast<Instance*>(h);
  *pct = inst->payloads.empty() ? 10000 : static_cast<uint32_t>(inst->next * 10000 / inst->payloads.size());
  s->str_out = std::to_string(inst->next) + "/" + std::to_string(inst->payloads.size());
  return s->str_out.c_str();
}

const char* plugin_event_to_string(ss_plugin_t* p, const ss_plugin_event_input* ev) {
  auto* s = static_cast<State*>(p);
  s->str_out = "api312 tid=" + std::to_string(tid_of(ev->evt));
  return s->str_out.c_str();
}

ss_plugin_rc plugin_set_async_event_handler(ss_plugin_t* p, ss_plugin_owner_t* owner,
                                            const ss_plugin_async_event_handler_t handler) {
  auto* s = static_cast<State*>(p);
  std::lock_guard lock(s->async_mu);
  s->async_stop = true;
  if (s->async_thread.joinable()) s->async_thread.join();
  if (!handler) return SS_PLUGIN_SUCCESS;
  s->async_stop = false;
  s->async_thread = std::thread([s, owner, handler] {
    for (uint64_t n = 0; n < s->ticks && !s->async_stop; ++n) send_async(s, owner, handler, "api312_tick", "tick " + std::to_string(n));
    if (!s->async_stop) send_async(s, owner, handler, "undeclared", "x");
  });
  return SS_PLUGIN_SUCCESS;
}

ss_plugin_rc plugin_capture_open(ss_plugin_t* p, const ss_plugin_capture_listen_input* i) {
  auto* s = static_cast<State*>(p);
  if (!i->routine || !i->table_reader_ext || !i->table_writer_ext) return fail(s, "capture_open: incomplete input");
  s->routine = i->routine->subscribe(i->owner, routine_fn, nullptr);
  return s->routine ? SS_PLUGIN_SUCCESS : fail(s, "capture_open: subscribe failed");
}

ss_plugin_rc plugin_capture_close(ss_plugin_t* p, const ss_plugin_capture_listen_input* i) {
  auto* s = static_cast<State*>(p);
  if (!s->routine) return SS_PLUGIN_SUCCESS;
  ss_plugin_rc rc = i->routine->unsubscribe(i->owner, s->routine);
  s->routine = nullptr;
  return rc;
}

ss_plugin_metric* plugin_get_metrics(ss_plugin_t* p, uint32_t* n) {
  auto* s = static_cast<State*>(p);
  s->metrics[0].name = "events_parsed";
  s->metrics[0].type = SS_PLUGIN_METRIC_TYPE_MONOTONIC;
  s->metrics[0].value_type = SS_PLUGIN_METRIC_VALUE_TYPE_U64;
  s->metrics[0].value.u64 = s->events_parsed.load();
  s->metrics[1].name = "routine_runs";
  s->metrics[1].type = SS_PLUGIN_METRIC_TYPE_MONOTONIC;
  s->metrics[1].value_type = SS_PLUGIN_METRIC_VALUE_TYPE_U64;
  s->metrics[1].value.u64 = s->routine_runs.load();
  *n = 2;
  return s->metrics;
}

}  // extern "C"
