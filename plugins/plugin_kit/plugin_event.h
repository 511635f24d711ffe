// plugin_event.h — the plugin event (libscap PPME_PLUGINEVENT_E, code 322)
// as our plugins write and read it: a packed ss_plugin_event header, two
// u32 param lengths, the plugin id (u32) and the event data (bytes).
//
// Header-only on purpose: each of our plugins is a shared library that links
// no Kestrel library (plugins/plugin_abi.h is all they share with the host).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/plugin_abi.h"

namespace kestrel::plugin_kit {

// The bytes of one plugin event carrying `data`, stamped `ts` (ns since the
// epoch; UINT64_MAX asks the host for "now").
inline std::vector<uint8_t> encode_plugin_event(uint32_t plugin_id, std::string_view data, uint64_t ts) {
  ss_plugin_event hdr{};
  hdr.ts = ts;
  hdr.tid = UINT64_MAX;
  hdr.type = KESTREL_PLUGIN_EVENT_CODE;
  hdr.nparams = 2;
  const size_t h = sizeof(ss_plugin_event);
  hdr.len = static_cast<uint32_t>(h + 8 + 4 + data.size());
  std::vector<uint8_t> out(hdr.len);
  std::memcpy(out.data(), &hdr, h);
  const uint32_t lens[2] = {4, static_cast<uint32_t>(data.size())};
  std::memcpy(out.data() + h, lens, sizeof lens);
  std::memcpy(out.data() + h + 8, &plugin_id, 4);
  if (!data.empty()) std::memcpy(out.data() + h + 12, data.data(), data.size());
  return out;
}

// The data param of a plugin event; false when `e` is not a well-formed
// plugin event (another type, too few params, lengths past e->len). Any
// plugin's events are accepted: an extractor-only plugin reads others'.
inline bool plugin_event_data(const ss_plugin_event* e, std::string_view* data) {
  if (!e || e->type != KESTREL_PLUGIN_EVENT_CODE || e->nparams < 2) return false;
  const auto* base = reinterpret_cast<const uint8_t*>(e);
  const size_t h = sizeof(ss_plugin_event);
  const size_t table = h + 4ull * e->nparams;
  if (table > e->len) return false;
  uint32_t lens[2];
  std::memcpy(lens, base + h, sizeof lens);
  const size_t start = table + lens[0];
  if (start > e->len || lens[1] > e->len - start) return false;
  *data = std::string_view(reinterpret_cast<const char*>(base + start), lens[1]);
  return true;
}

// A batch handed out by next_batch: owns the event bytes and the pointer
// array, both valid until the next call (the API's contract).
struct EventBatch {
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<ss_plugin_event*> events;

  void clear() {
    buffers.clear();
    events.clear();
  }
  void add(std::vector<uint8_t> bytes) { buffers.push_back(std::move(bytes)); }
  // Fills next_batch's out-params; the return is SUCCESS, or `when_empty`.
  ss_plugin_rc hand_out(uint32_t* nevts, ss_plugin_event*** evts, ss_plugin_rc when_empty) {
    events.clear();
    for (auto& b : buffers) events.push_back(reinterpret_cast<ss_plugin_event*>(b.data()));
    *nevts = static_cast<uint32_t>(events.size());
    *evts = events.data();
    return events.empty() ? when_empty : SS_PLUGIN_SUCCESS;
  }
};

}  // namespace kestrel::plugin_kit

namespace kestrel::plugin_kit {

// A replay of events read when the source was opened (the file-based
// sources): each event's JSON text and time, handed out in batches of at
// most kMaxBatch, then SS_PLUGIN_EOF.
struct ReplayEvents {
  static constexpr size_t kMaxBatch = 64;
  std::vector<std::string> data;
  std::vector<uint64_t> times;
  size_t next = 0;
  EventBatch batch;

  void add(std::string json_text, uint64_t ts) {
    data.push_back(std::move(json_text));
    times.push_back(ts);
  }
  ss_plugin_rc next_batch(uint32_t plugin_id, uint32_t* nevts, ss_plugin_event*** evts) {
    batch.clear();
    for (; next < data.size() && batch.buffers.size() < kMaxBatch; ++next)
      batch.add(encode_plugin_event(plugin_id, data[next], times[next]));
    return batch.hand_out(nevts, evts, SS_PLUGIN_EOF);
  }
};

}  // namespace kestrel::plugin_kit
