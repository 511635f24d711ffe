// A source plugin whose next_batch fails (issue 16, part C), built against
// the published plugin_api.h only. Source "flaky", plugin id 998;
// open_params "N": N plugin events (data "flaky-<i>"), one per batch, then
// next_batch returns SS_PLUGIN_FAILURE with get_last_error
// "flaky: the feed broke after N events". Field flaky.n (uint64): i.
#include <plugin/plugin_api.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct State {
  std::string error;
  uint64_t n = 0;
};

struct Instance {
  uint64_t total = 0, next = 1;
  std::vector<uint8_t> buffer;
  ss_plugin_event* batch[1] = {nullptr};
};

std::vector<uint8_t> encode(const std::string& data) {
  ss_plugin_event hdr{};
  hdr.ts = UINT64_MAX;
  hdr.tid = UINT64_MAX;
  hdr.type = 322;  // plugin event: plugin_id (u32), event_data; u32 lengths
  hdr.nparams = 2;
  hdr.len = static_cast<uint32_t>(sizeof hdr + 12 + data.size());
  std::vector<uint8_t> out(hdr.len);
  std::memcpy(out.data(), &hdr, sizeof hdr);
  uint32_t lens[2] = {4, static_cast<uint32_t>(data.size())};
  std::memcpy(out.data() + sizeof hdr, lens, 8);
  uint32_t id = 998;
  std::memcpy(out.data() + sizeof hdr + 8, &id, 4);
  std::memcpy(out.data() + sizeof hdr + 12, data.data(), data.size());
  return out;
}

}  // namespace

extern "C" {
const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "flaky"; }
const char* plugin_get_version() { return "0.1.0"; }
const char* plugin_get_description() { return "fails after N events"; }
const char* plugin_get_contact() { return "tests"; }
uint32_t plugin_get_id() { return 998; }
const char* plugin_get_event_source() { return "flaky"; }
const char* plugin_get_fields() { return R"([{"name":"flaky.n","type":"uint64","desc":"event index"}])"; }
ss_plugin_t* plugin_init(const ss_plugin_init_input*, ss_plugin_rc* rc) {
  *rc = SS_PLUGIN_SUCCESS;
  return new State();
}
void plugin_destroy(ss_plugin_t* s) { delete static_cast<State*>(s); }
const char* plugin_get_last_error(ss_plugin_t* s) { return static_cast<State*>(s)->error.c_str(); }
ss_instance_t* plugin_open(ss_plugin_t*, const char* params, ss_plugin_rc* rc) {
  auto* i = new Instance();
  i->total = std::strtoull(params, nullptr, 10);
  *rc = SS_PLUGIN_SUCCESS;
  return i;
}
void plugin_close(ss_plugin_t*, ss_instance_t* h) { delete static_cast<Instance*>(h); }
ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts, ss_plugin_event*** evts) {
  auto* st = static_cast<State*>(s);
  auto* i = static_cast<Instance*>(h);
  *nevts = 0;
  if (i->next > i->total) {
    st->error = "flaky: the feed broke after " + std::to_string(i->total) + " events";
    return SS_PLUGIN_FAILURE;
  }
  i->buffer = encode("flaky-" + std::to_string(i->next++));
  i->batch[0] = reinterpret_cast<ss_plugin_event*>(i->buffer.data());
  *nevts = 1;
  *evts = i->batch;
  return SS_PLUGIN_SUCCESS;
}
ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  const auto* base = reinterpret_cast<const uint8_t*>(evt->evt);
  uint32_t lens[2];
  std::memcpy(lens, base + sizeof(ss_plugin_event), 8);
  std::string msg(reinterpret_cast<const char*>(base + sizeof(ss_plugin_event) + 8 + lens[0]), lens[1]);
  st->n = std::strtoull(msg.c_str() + 6, nullptr, 10);
  for (uint32_t k = 0; k < in->num_fields; ++k) {
    in->fields[k].res.u64 = &st->n;
    in->fields[k].res_len = 1;
  }
  return SS_PLUGIN_SUCCESS;
}
}
