// drop_alarm.h — Falco's `syscall_event_drops` for Kestrel: notices when
// sources lose events and acts.
//
// check() runs at every checkpoint: live, every pipeline tick (about a
// second of wall-clock time); in a replay, every second of the capture's
// event time (EventSecondClock, Falco's rule). When the events dropped
// since the last check (all sources, all reasons, queue_full included)
// exceed `threshold` as a fraction of the events seen plus dropped, that
// is a detected drop; when the token bucket (`rate` per second of the same
// clock, bursts of `max_burst`; the defaults let one through every 30 s)
// has a token, the configured actions run: "log" (a line naming the drops
// by source and reason), "alert" (an alert of the internal rule "Falco
// internal: syscall event drop", priority Critical, source "internal",
// through the normal outputs) and "exit" (stop the collector, which then
// exits 1). Messages carry Falco's words so that what greps Falco's logs
// and alerts keeps working. `simulate_drops` (testing, as in Falco) adds
// one drop at every check and sets the threshold to 0.
//
// At exit the collector prints Falco's "Syscall event drop monitoring"
// block: how many drops were detected and how many times actions ran.
//
// Drops an untrusted peer controls (SourceStats::untrusted_reasons: a gVisor
// sandbox's own drop claims, its malformed packets, connections refused)
// are left out of the check entirely: they are in the summary and
// /metrics, and the gVisor source logs them per sandbox, but a sandbox is
// untrusted, and one forged 8-byte packet must not raise a Critical alert
// or stop Kestrel. Only drops Kestrel itself observed (kernel ring
// buffers, its own queues) count here.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "app/pipeline.h"
#include "base/token_bucket.h"

namespace kestrel {

inline constexpr std::string_view kDropAlarmRule = "Falco internal: syscall event drop";

struct DropAlarmOptions {
  double threshold = 0.1;
  bool log = true, alert = false, exit = false;
  double rate = 0.03333, max_burst = 1;  // token bucket of the actions
  bool simulate_drops = false;
};

struct DropAlarmAction {
  std::string message;                  // for the log and exit actions
  std::optional<engine::Alert> alert;   // for the alert action
  bool exit = false;
};

struct DropAlarmCounts {
  uint64_t detected = 0;  // checks that found drops above the threshold
  uint64_t actions = 0;   // of those, the ones the token bucket let act
};

class DropAlarm {
 public:
  explicit DropAlarm(DropAlarmOptions options, std::string hostname = {});
  // A check at `now_ns` (event time in a replay, the wall clock live; the
  // token bucket runs on it and alerts carry it): the actions to take now,
  // or nullopt.
  std::optional<DropAlarmAction> check(const PipelineSummary& summary, uint64_t now_ns);
  const DropAlarmCounts& counts() const { return counts_; }

 private:
  DropAlarmOptions options_;
  std::string hostname_;
  TokenBucket bucket_;
  DropAlarmCounts counts_;
  uint64_t last_events_ = 0, last_drops_ = 0, last_buffer_drops_ = 0;
};

// Falco's end-of-run block, to stderr:
//   Syscall event drop monitoring:
//      - event drop detected: N occurrences
//      - num times actions taken: M
void print_drop_monitoring(std::ostream& out, const DropAlarmCounts& counts);

}  // namespace kestrel
