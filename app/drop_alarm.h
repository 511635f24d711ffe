// drop_alarm.h — Falco's `syscall_event_drops` for Kestrel: notices when
// sources lose events and acts.
//
// Checked on every pipeline tick: when the events dropped since the last
// check (all sources, all reasons, queue_full included) exceed `threshold`
// as a fraction of the events seen plus dropped, the configured actions run:
// "log" (a line naming the drops by source and reason), "alert" (an alert of
// the internal rule "Kestrel internal: event drops", priority Critical,
// source "internal", through the normal outputs) and "exit" (stop the
// collector, which then exits 1). At most one alarm per `min_interval`, so
// a sustained overload does not flood the outputs.
//
// Drops an untrusted peer controls (SourceStats::untrusted_reasons: a gVisor
// sandbox's own drop claims, its malformed packets, connections refused)
// are left out of the check entirely: they are in the summary and
// /metrics, and the gVisor source logs them per sandbox, but a sandbox is
// untrusted, and one forged 8-byte packet must not raise a Critical alert
// or stop Kestrel. Only drops Kestrel itself observed (kernel ring
// buffers, its own queues) count here.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/pipeline.h"

namespace kestrel {

struct DropAlarmOptions {
  double threshold = 0.1;
  bool log = true, alert = false, exit = false;
  std::chrono::milliseconds min_interval{30000};
};

struct DropAlarmAction {
  std::string message;                  // for the log action
  std::optional<engine::Alert> alert;   // for the alert action
  bool exit = false;
};

class DropAlarm {
 public:
  explicit DropAlarm(DropAlarmOptions options, std::string hostname = {});
  // The actions to take now, or nullopt.
  std::optional<DropAlarmAction> check(const PipelineSummary& summary);

 private:
  DropAlarmOptions options_;
  std::string hostname_;
  uint64_t last_events_ = 0, last_drops_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_alarm_;
};

}  // namespace kestrel
