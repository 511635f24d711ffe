// live_capture.h — helpers for the live eBPF tests: own copies of records
// (views die at the next next()) and waiting for the events a workload
// should cause.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ebpf/ebpf_source.h"

namespace kestrel::testing {

// A record copied out of the ring buffer.
struct OwnedEvent {
  std::vector<uint8_t> bytes;
  EventView view() const { return EventView::parse(bytes).value(); }
  uint16_t type() const { return view().type(); }
  uint32_t tid() const { return view().tid(); }
  uint32_t tgid() const { return view().tgid(); }
  int64_t i(uint16_t param) const { return view().param_int(param).value_or(INT64_MIN); }
  std::string s(uint16_t param) const { return std::string(view().param_str(param).value_or("<NA>")); }
  std::vector<uint8_t> raw(uint16_t param) const {
    auto p = view().param(param);
    return {p.begin(), p.end()};
  }
};

// Reads `source` until `done(events so far)` is true or `timeout` passes,
// keeping events whose tgid is in `tgids` (all if empty).
std::vector<OwnedEvent> collect(Source& source, const std::set<uint32_t>& tgids,
                                const std::function<bool(const std::vector<OwnedEvent>&)>& done,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Events of `type` in `events`.
std::vector<const OwnedEvent*> of_type(const std::vector<OwnedEvent>& events, uint16_t type);

// Count of events of `type`.
size_t count_type(const std::vector<OwnedEvent>& events, uint16_t type);

}  // namespace kestrel::testing
