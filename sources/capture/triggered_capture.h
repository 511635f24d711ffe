// triggered_capture.h — Falco 0.42's rule-triggered captures (`capture:`
// config section, a rule's `capture: true` / `capture_duration`).
//
// When a rule asks for a capture (mode `rules`: the rules with
// `capture: true`; `all_rules`: every rule), the events from the one that
// matched on are written to a new file, `<path_prefix>_<ts>_<evtnum>.scap`
// (the triggering event's time in ns and its number, zero-padded to 20
// digits, so names sort in time order; `.kcap` when the format is Kestrel's
// own), starting with the machine and the thread table of that moment so
// the file replays on its own (`kestrel -e`, sysdig, Falco).
//
// Stop conditions, Falco's: a time limit — the rule's capture_duration, else
// default_duration, in the events' own time — that a later trigger during
// the capture extends (the latest deadline wins: "at least" semantics), OR
// a hard size cap, max_file_size_bytes, that no trigger extends; the first
// reached ends the capture. The size counted is the records' bytes handed
// to the writer (an approximation of the file, as Falco's compressed
// counter is). The next trigger after a capture ended starts a new file.
//
// Threading: one engine thread calls everything. Errors are Status values;
// a capture that fails to open or write is logged and ended, the run goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/capture/capture_recorder.h"
#include "state/thread_info.h"

namespace kestrel {

// Defaults are falco.yaml's.
struct TriggeredCaptureOptions {
  std::string path_prefix = "/tmp/falco";  // capture.path_prefix
  bool all_rules = false;                  // capture.mode: all_rules (else rules)
  uint64_t default_duration_ms = 5000;     // capture.default_duration
  uint64_t max_file_size_bytes = 0;        // capture.max_file_size_mb × 1 MiB; 0: no cap
  CaptureFormat format = CaptureFormat::kScap;
};

struct TriggeredCaptureStats {
  uint64_t captures = 0;         // files started
  uint64_t events = 0;           // events written, over all files
  uint64_t stopped_by_size = 0;  // captures cut by max_file_size_bytes
  uint64_t failed = 0;           // captures that could not be opened or written
};

class TriggeredCapture {
 public:
  TriggeredCapture(TriggeredCaptureOptions options, std::function<void(const std::string&)> log);
  ~TriggeredCapture();

  const TriggeredCaptureOptions& options() const { return options_; }

  // Whether a match of a rule with this `capture` flag asks for a capture.
  bool wanted(bool rule_capture) const { return options_.all_rules || rule_capture; }

  // A match at event time `ts_ns`, event number `evt_num`, asking for
  // `duration_ms` (0: default_duration): starts a file (with `threads()`,
  // the state now) when none is open, else moves the deadline later.
  void trigger(uint64_t ts_ns, uint64_t evt_num, uint64_t duration_ms,
               const std::function<std::vector<ThreadInfo>()>& threads);

  // Every event, after trigger() for its matches: written while a capture
  // is open; an event past the deadline ends the capture instead (it is not
  // written), as does reaching the size cap (after writing).
  void on_event(std::span<const uint8_t> record, uint32_t domain, bool enter, uint64_t ts_ns);

  // Ends the open capture, if any (end of run).
  void finish();

  bool active() const { return recorder_ != nullptr; }
  // Every file started, in order.
  const std::vector<std::string>& files() const { return files_; }
  const TriggeredCaptureStats& stats() const { return stats_; }

 private:
  void end(const char* why);

  TriggeredCaptureOptions options_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<CaptureRecorder> recorder_;
  uint64_t deadline_ns_ = 0;
  uint64_t bytes_ = 0;
  std::vector<std::string> files_;
  TriggeredCaptureStats stats_;
};

}  // namespace kestrel
