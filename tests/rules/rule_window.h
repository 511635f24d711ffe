// rule_window.h — attributes the alerts of one live collector run to the
// triggers that ran one after another while it captured.
//
// A trigger is a shell command expected to make exactly one rule of the
// default ruleset fire. run_triggers() runs each, recording the wall clock
// (CLOCK_REALTIME, the clock alert times are in) just before and after, and
// leaves a gap between them; check_triggers() then asserts, per trigger,
// that the expected rule fired inside its window with the expected output
// fields, that no other rule fired there, and that the rule carries an
// ATT&CK technique tag.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/support/kestrel_collector.h"

namespace kestrel::testing {

struct Trigger {
  std::string rule;      // the one rule expected to fire; "" for none
  std::string priority;  // as JSON prints it: "Critical", "Warning", …
  std::string command;   // run with /bin/sh -c; must exit 0
  // output_fields the alert must carry: exact value, or "~text" for a
  // value that contains text.
  std::map<std::string, std::string> fields;
  // Filled by run_triggers().
  uint64_t begin_ns = 0, end_ns = 0;
};

// Nanoseconds since the epoch, now.
uint64_t wall_clock_ns();

// "2026-11-29T11:56:58.123456789Z" → ns since the epoch; 0 if malformed.
uint64_t parse_alert_time(const std::string& iso);

// A trigger with an empty rule is a benign look-alike: no rule may fire in
// its window (an exception of a rule at work).
//
// Runs every trigger in order (gtest-fails a trigger that exits non-zero).
void run_triggers(std::vector<Trigger>& triggers);

// Pumps the collector until each trigger's rule has an alert in its window
// or `limit_ms` passed, then a little longer for stragglers.
void wait_for_alerts(Collector& c, const std::vector<Trigger>& triggers, int limit_ms);

// The per-trigger assertions described above, on the collector's alerts.
void check_triggers(const Collector& c, const std::vector<Trigger>& triggers);

// True if `alert` is of trigger.rule and carries trigger.fields.
bool alert_matches(const nlohmann::json& alert, const Trigger& trigger);

// Alerts whose time falls in [begin_ns - slack, end_ns + slack].
std::vector<nlohmann::json> alerts_between(const std::vector<nlohmann::json>& alerts, uint64_t begin_ns,
                                           uint64_t end_ns);

}  // namespace kestrel::testing
