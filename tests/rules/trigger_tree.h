// trigger_tree.h — attributes the alerts of one live collector run to the
// triggers that made them, by process tree.
//
// A trigger is a shell command expected to make exactly one rule of the
// default ruleset fire. run_triggers() runs each under its own
// `/bin/sh -c` and records that shell's pid, the root of the trigger's
// process tree. Alerts name their process and its ancestors because the
// collector runs the ruleset with ancestry_overlay(), which appends
// proc.pid and proc.apid[1..kAncestorDepth] to every rule's output (Falco's
// `override: {output: append}`; conditions, priorities and tags stay the
// shipped ones). An alert belongs to a trigger when the trigger's root is
// the alert's process or one of its ancestors, so an unrelated process on
// a busy machine — whatever it does, whenever it does it — is never taken
// for a trigger.
//
// check_triggers() then asserts, per trigger, that the expected rule fired
// from its tree with the expected output fields, that no other rule fired
// from it, and that the rule carries an ATT&CK technique tag.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "tests/support/kestrel_collector.h"

namespace kestrel::testing {

// How many ancestors an alert names: deeper than any trigger or workload
// here (a compiler under ninja under cmake under bash under sh is 5).
inline constexpr int kAncestorDepth = 12;

struct Trigger {
  std::string rule;      // the one rule expected to fire; "" for none
  std::string priority;  // as JSON prints it: "Critical", "Warning", …
  std::string command;   // run with /bin/sh -c; must exit 0
  // output_fields the alert must carry: exact value, or "~text" for a
  // value that contains text.
  std::map<std::string, std::string> fields;
  // Filled by run_triggers(): the pid of the shell that ran `command`.
  pid_t root = 0;
  // Set instead of relying on `root` for an event that carries no process
  // (proc.pid 0: a gVisor raw syscall point, see gvisor_rules_live_test):
  // the trigger owns the alerts without a process from this container.id.
  std::string processless_container = {};
};

// True if `alert` belongs to `trigger`: from its process tree, or for a
// processless trigger, without a process and from its container.
bool alert_belongs(const nlohmann::json& alert, const Trigger& trigger);

// "lineage=%proc.pid,%proc.apid[1],…,%proc.apid[kAncestorDepth]": what the
// overlay appends to outputs, for test rules that want the same.
std::string lineage_output();

// A rules file (YAML text) that appends " lineage=%proc.pid,%proc.apid[1],…"
// to the output of every rule defined in `rules_file`, plus `extra` (more
// rules, YAML items, appended verbatim) and the sentinel rule (below).
// gtest-fails if `rules_file`
// cannot be read.
std::string ancestry_overlay(const std::string& rules_file, const std::string& extra = "");

// Writes the overlay for the default ruleset (rules/kestrel_rules.yaml, the
// file the binary embeds) to `path` and returns the collector arguments
// that load the ruleset and then the overlay.
std::vector<std::string> default_rules_with_ancestry(const std::string& path, const std::string& extra = "");

// The pids an alert names, its own first: proc.pid, then proc.apid[1], …
// up to the first unknown ancestor. Empty without the overlay's fields.
std::vector<long long> alert_lineage(const nlohmann::json& alert);

// True if `root` is the alert's process or one of its ancestors.
bool alert_from_tree(const nlohmann::json& alert, pid_t root);

// Runs `command` with /bin/sh -c, waits for it; returns the shell's pid
// (the tree's root) and stores its wait status in `status`.
pid_t run_rooted(const std::string& command, int& status);

// The test-only rule every overlay adds: it fires on the exec of a command
// line holding kSentinelMark. Events reach the rules in order, so once the
// sentinel's alert is out, every event of the triggers run before it has
// been evaluated: the run can stop without waiting "a little longer".
inline constexpr const char* kSentinelRule = "Kestrel Test Sentinel";
inline constexpr const char* kSentinelMark = "kestrel-test-sentinel";
inline constexpr const char* kSentinelCommand = "/bin/true kestrel-test-sentinel";

// Runs every trigger in order, recording each root (gtest-fails a trigger
// that exits non-zero). A trigger with an empty rule is a benign
// look-alike: no rule may fire from its tree (an exception of a rule at
// work).
void run_triggers(std::vector<Trigger>& triggers);

// Runs kSentinelCommand; returns its root.
pid_t run_sentinel();

// True once an alert of kSentinelRule came from the tree of `sentinel`.
bool sentinel_seen(const std::vector<nlohmann::json>& alerts, pid_t sentinel);

// Pumps the collector until the sentinel's alert is out and each trigger's
// rule has an alert from its tree, or `limit_ms` passed (a deadline, not
// an expectation of speed); gtest-fails if the sentinel never showed.
void wait_for_alerts(Collector& c, const std::vector<Trigger>& triggers, pid_t sentinel, int limit_ms);

// The per-trigger assertions described above, on the collector's alerts.
void check_triggers(const Collector& c, const std::vector<Trigger>& triggers);

// True if `alert` is of trigger.rule and carries trigger.fields.
bool alert_matches(const nlohmann::json& alert, const Trigger& trigger);

}  // namespace kestrel::testing
