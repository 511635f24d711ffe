// A minimal source + extractor plugin with an event source ("counter") and
// fields no static table knows: open_params "N" yields N events whose data
// is "event-<i>" (i from 1); counter.n (uint64) is i, counter.msg (string)
// the data, counter.tags (string list) ["odd"|"even", "counted"];
// event_to_string is "counter event <i>".
//
// Built several times (tests/plugin/CMakeLists.txt) with other identities:
//   PLUGIN_NAME, PLUGIN_VERSION   what plugin_get_name/version answer
//   FIELD_PREFIX                  "counter": fields are <prefix>.n, .msg, .tags
//   WITH_SOURCE                   0: no event sourcing (an extractor only)
//   EXTRACTS_FROM_COUNTER         exports get_extract_event_sources: ["counter"]
//                                 (not exported when undefined)
//   DECLARES_JSON_VALUE           also declares json.value[KEY] (a name the static
//                                 json field set has too): the event data
#ifndef PLUGIN_NAME
#define PLUGIN_NAME "counter"
#endif
#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION "0.1.0"
#endif
#ifndef FIELD_PREFIX
#define FIELD_PREFIX "counter"
#endif
#ifndef WITH_SOURCE
#define WITH_SOURCE 1
#endif

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "plugins/plugin_abi.h"

namespace {

struct State {
  std::string error;
  std::string msg, summary;
  const char* msg_ptr = nullptr;
  uint64_t n = 0;
  const char* tags[2] = {nullptr, nullptr};
};

#if WITH_SOURCE
struct Instance {
  uint64_t total = 0, next = 1;
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<ss_plugin_event*> batch;
};

std::vector<uint8_t> encode(const std::string& data) {
  ss_plugin_event hdr{};
  hdr.ts = UINT64_MAX;
  hdr.tid = UINT64_MAX;
  hdr.type = KESTREL_PLUGIN_EVENT_CODE;
  hdr.nparams = 2;
  hdr.len = static_cast<uint32_t>(sizeof hdr + 12 + data.size());
  std::vector<uint8_t> out(hdr.len);
  std::memcpy(out.data(), &hdr, sizeof hdr);
  uint32_t lens[2] = {4, static_cast<uint32_t>(data.size())};
  std::memcpy(out.data() + sizeof hdr, lens, 8);
  uint32_t id = 0;  // "this plugin": the host fills in its id
  std::memcpy(out.data() + sizeof hdr + 8, &id, 4);
  std::memcpy(out.data() + sizeof hdr + 12, data.data(), data.size());
  return out;
}

#endif

}  // namespace

extern "C" {
const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return PLUGIN_NAME; }
const char* plugin_get_version() { return PLUGIN_VERSION; }
const char* plugin_get_description() { return "counts"; }
const char* plugin_get_contact() { return "tests"; }
#ifdef EXTRACTS_FROM_COUNTER
const char* plugin_get_extract_event_sources() { return R"(["counter"])"; }
#endif
const char* plugin_get_fields() {
  return "[{\"name\":\"" FIELD_PREFIX ".n\",\"type\":\"uint64\",\"desc\":\"event index\"},"
         "{\"name\":\"" FIELD_PREFIX ".msg\",\"type\":\"string\",\"desc\":\"event data\"},"
         "{\"name\":\"" FIELD_PREFIX ".tags\",\"type\":\"string\",\"isList\":true,\"desc\":\"tags\"}"
#ifdef DECLARES_JSON_VALUE
         ",{\"name\":\"json.value\",\"type\":\"string\",\"arg\":{\"isRequired\":true,\"isKey\":true},"
         "\"desc\":\"event data\"}"
#endif
         "]";
}
ss_plugin_t* plugin_init(const ss_plugin_init_input*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  return new State();
}
void plugin_destroy(ss_plugin_t* s) { delete static_cast<State*>(s); }
const char* plugin_get_last_error(ss_plugin_t* s) { return static_cast<State*>(s)->error.c_str(); }
#if WITH_SOURCE
uint32_t plugin_get_id() { return 999; }
const char* plugin_get_event_source() { return "counter"; }
ss_instance_t* plugin_open(ss_plugin_t*, const char* params, ss_plugin_rc* rc) {
  auto* i = new Instance();
  i->total = std::strtoull(params, nullptr, 10);
  *rc = SS_PLUGIN_SUCCESS;
  return i;
}
void plugin_close(ss_plugin_t*, ss_instance_t* h) { delete static_cast<Instance*>(h); }
ss_plugin_rc plugin_next_batch(ss_plugin_t*, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
  auto* i = static_cast<Instance*>(h);
  i->buffers.clear();
  i->batch.clear();
  while (i->next <= i->total && i->buffers.size() < 3) i->buffers.push_back(encode("event-" + std::to_string(i->next++)));
  for (auto& b : i->buffers) i->batch.push_back(reinterpret_cast<ss_plugin_event*>(b.data()));
  *nevts = static_cast<uint32_t>(i->batch.size());
  *evts = i->batch.data();
  return i->batch.empty() ? SS_PLUGIN_EOF : SS_PLUGIN_SUCCESS;
}
const char* plugin_event_to_string(ss_plugin_t* s, const ss_plugin_event_input* evt) {
  auto* st = static_cast<State*>(s);
  const auto* base = reinterpret_cast<const uint8_t*>(evt->evt);
  uint32_t lens[2];
  std::memcpy(lens, base + sizeof(ss_plugin_event), 8);
  std::string data(reinterpret_cast<const char*>(base + sizeof(ss_plugin_event) + 8 + lens[0]), lens[1]);
  st->summary = "counter event " + data.substr(6);
  return st->summary.c_str();
}
#endif
ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  const auto* base = reinterpret_cast<const uint8_t*>(evt->evt);
  uint32_t lens[2];
  std::memcpy(lens, base + sizeof(ss_plugin_event), 8);
  st->msg.assign(reinterpret_cast<const char*>(base + sizeof(ss_plugin_event) + 8 + lens[0]), lens[1]);
  st->msg_ptr = st->msg.c_str();
  st->n = std::strtoull(st->msg.c_str() + 6, nullptr, 10);
  st->tags[0] = st->n % 2 ? "odd" : "even";
  st->tags[1] = "counted";
  for (uint32_t k = 0; k < in->num_fields; ++k) {
    ss_plugin_extract_field& f = in->fields[k];
    if (f.field_id == 0) {
      f.res.u64 = &st->n;
      f.res_len = 1;
    } else if (f.field_id == 1 || f.field_id == 3) {
      f.res.str = &st->msg_ptr;
      f.res_len = 1;
    } else {
      f.res.str = st->tags;
      f.res_len = 2;
    }
  }
  return SS_PLUGIN_SUCCESS;
}
}
