// live_capture.h — what the live eBPF tests share: a fixture holding one
// loaded source for the whole suite (loading verifies ~85 programs, which
// takes seconds), own copies of records (views die at the next next()),
// and waiting for the events a workload should cause.
#pragma once

#include <gtest/gtest.h>

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

// Reads and throws away everything the buffers held when it was called
// (for sources with the default max_batch).
void drain(Source& source, std::chrono::milliseconds quiet = std::chrono::milliseconds(30));

// Events of `type` in `events`, and how many there are.
std::vector<const OwnedEvent*> of_type(const std::vector<OwnedEvent>& events, uint16_t type);
size_t count_type(const std::vector<OwnedEvent>& events, uint16_t type);

// Wall clock in ns since the epoch (what event timestamps are).
uint64_t realtime_ns();

// A path in the temp dir unique to this process and `tag`.
std::string temp_path(const char* tag);

// One source for the suite, opened with this process's own events kept
// (the workloads run here). Each test starts with every type attached and
// the buffers drained. If the probe cannot load, every test fails with
// open()'s message.
class EbpfLive : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static EbpfSource* source_;
  static Status open_status_;
};

}  // namespace kestrel::testing
