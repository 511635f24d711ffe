// fleet_correlator.h — fleet-wide correlations over alerts
// (fleet.correlations in the config).
//
// The rules language matches one event at a time; "the same binary run on
// three nodes within a minute" is a question about many alerts. So it is a
// separate stage between the rule engine and the dispatcher: every alert
// the engine raises is offered here, with the node its event came from
// (vm.name of a remote domain — a fleet node read off the bus or a VM
// guest —, the local node's name otherwise). For a correlation's `rule`,
// the value of its output field `key` is tracked: value → node → that
// node's latest event time. When at least `nodes` distinct nodes have the
// value within `window` (latest time >= now - window, where now is the
// latest event time this correlation has seen: event time, so a replay
// behaves as the live run did), one alert is raised.
//
// Re-arm rule: once a value has raised, it raises again only after a whole
// `window` of event time passes with no alert carrying it (its entry then
// expires, and counting starts afresh). A condition that goes on (the
// binary keeps running on the nodes) raises once, not once per window.
//
// Bounded memory: per correlation at most `max_keys` values are tracked,
// the least recently seen evicted first (counted); values not seen within
// the window expire. Per value, nodes not seen within the window are
// forgotten. Engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config/config.h"
#include "engine/alert.h"
#include "engine/rule_set.h"

namespace kestrel {

struct FleetCorrelatorStats {
  uint64_t raised = 0;        // correlation alerts raised
  uint64_t keys_tracked = 0;  // values tracked now, all correlations
  uint64_t evicted = 0;       // values dropped by the max_keys cap before their window ended
  uint64_t expired = 0;       // values forgotten after a window without them
  uint64_t without_key = 0;   // alerts of a correlated rule whose key field had no value (not counted)
};

// The counters by name, as --stats and the metrics show them:
// correlation_alerts, keys_tracked, keys_evicted, keys_expired,
// alerts_without_key.
std::map<std::string, uint64_t> fleet_correlator_counters(const FleetCorrelatorStats& stats);

// Checks `correlations` against the loaded rules: each rule must exist,
// and its key must be one of that rule's output fields (%field in its
// output). The error names the correlation and the rule.
Status check_fleet_correlations(const std::vector<FleetCorrelation>& correlations, const engine::RuleSet& rules);

// An output field's value as text ("" when absent): what a key compares by.
std::string field_value_text(const engine::FieldValue& value);

// "1m", "30s", "1500ms": a window as the config would say it.
std::string window_text(std::chrono::milliseconds window);

class FleetCorrelator {
 public:
  static constexpr size_t kDefaultMaxKeys = 10000;

  // `correlations` are checked already (config loader, then
  // check_fleet_correlations).
  explicit FleetCorrelator(std::vector<FleetCorrelation> correlations, size_t max_keys = kDefaultMaxKeys);

  bool empty() const { return correlations_.empty(); }

  // Offers one alert the engine raised, from `node`; the correlation alerts
  // it completes are appended to `raised` (the offered alert itself goes on
  // as it is: the caller still dispatches it).
  void offer(const engine::Alert& alert, const std::string& node, std::vector<engine::Alert>& raised);

  FleetCorrelatorStats stats() const;

 private:
  struct Tracked {
    std::map<std::string, uint64_t> nodes;  // node → its latest event time (ns)
    uint64_t last_ns = 0;                   // latest event time of any node
    bool fired = false;                     // raised, not re-armed yet
    std::list<std::string>::iterator recency;
  };
  struct State {
    FleetCorrelation config;
    engine::Priority priority = engine::Priority::kDebug;
    uint64_t now_ns = 0;  // latest event time offered to this correlation
    std::unordered_map<std::string, Tracked> keys;
    std::list<std::string> recency;  // most recently seen first
  };

  void expire(State& s);
  void offer_to(State& s, const engine::Alert& alert, const std::string& value, const std::string& node,
                std::vector<engine::Alert>& raised);

  std::vector<State> correlations_;
  size_t max_keys_;
  FleetCorrelatorStats stats_;
};

}  // namespace kestrel
