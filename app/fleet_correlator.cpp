#include "app/fleet_correlator.h"

#include <algorithm>
#include <variant>

#include "engine/output_tokens.h"

namespace kestrel {

Status check_fleet_correlations(const std::vector<FleetCorrelation>& correlations, const engine::RuleSet& rules) {
  for (const auto& c : correlations) {
    auto rule = std::find_if(rules.rules.begin(), rules.rules.end(),
                             [&](const engine::LoadedRule& r) { return r.name == c.rule; });
    if (rule == rules.rules.end())
      return Status(StatusCode::kInvalidArgument,
                    "fleet.correlations '" + c.name + "': rule '" + c.rule + "' is not a loaded rule");
    if (!rule->enabled)
      return Status(StatusCode::kInvalidArgument,
                    "fleet.correlations '" + c.name + "': rule '" + c.rule + "' is disabled, so it never raises");
    std::string fields;
    bool found = false;
    for (const auto& token : engine::parse_output_tokens(rule->output)) {
      if (token.field == c.key) found = true;
      fields += (fields.empty() ? "" : ", ") + token.field;
    }
    if (!found)
      return Status(StatusCode::kInvalidArgument,
                    "fleet.correlations '" + c.name + "': key '" + c.key + "' is not an output field of rule '" +
                        c.rule + "' (its output fields: " + (fields.empty() ? "none" : fields) + ")");
  }
  return ok_status();
}

std::map<std::string, uint64_t> fleet_correlator_counters(const FleetCorrelatorStats& stats) {
  return {{"correlation_alerts", stats.raised},
          {"keys_tracked", stats.keys_tracked},
          {"keys_evicted", stats.evicted},
          {"keys_expired", stats.expired},
          {"alerts_without_key", stats.without_key}};
}

std::string field_value_text(const engine::FieldValue& value) {
  struct Text {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(uint64_t v) const { return std::to_string(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(double v) const { return std::to_string(v); }
  };
  return std::visit(Text{}, value);
}

std::string window_text(std::chrono::milliseconds window) {
  const auto ms = static_cast<uint64_t>(window.count());
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

FleetCorrelator::FleetCorrelator(std::vector<FleetCorrelation> correlations, size_t max_keys)
    : max_keys_(std::max<size_t>(max_keys, 1)) {
  for (auto& c : correlations) {
    State s;
    s.priority = engine::parse_priority(c.priority).value_or(engine::Priority::kDebug);
    s.config = std::move(c);
    correlations_.push_back(std::move(s));
  }
}

namespace {

// Event time `t_ns` is older than one window before `now_ns`.
bool stale(uint64_t t_ns, uint64_t now_ns, std::chrono::milliseconds window) {
  const auto window_ns = static_cast<uint64_t>(window.count()) * 1'000'000u;
  return now_ns > t_ns && now_ns - t_ns > window_ns;
}

}  // namespace

void FleetCorrelator::expire(State& s) {
  // The recency list is in arrival order, which is event-time order but
  // for alerts arriving late; a late one's value expires when it reaches
  // the end.
  while (!s.recency.empty()) {
    auto it = s.keys.find(s.recency.back());
    if (!stale(it->second.last_ns, s.now_ns, s.config.window)) break;
    s.keys.erase(it);
    s.recency.pop_back();
    ++stats_.expired;
  }
}

void FleetCorrelator::offer(const engine::Alert& alert, const std::string& node, std::vector<engine::Alert>& raised) {
  for (auto& s : correlations_) {
    if (alert.rule != s.config.rule) continue;
    auto field = std::find_if(alert.output_fields.begin(), alert.output_fields.end(),
                              [&](const auto& f) { return f.first == s.config.key; });
    std::string value = field == alert.output_fields.end() ? "" : field_value_text(field->second);
    if (value.empty()) {
      ++stats_.without_key;
      continue;
    }
    offer_to(s, alert, value, node, raised);
  }
}

void FleetCorrelator::offer_to(State& s, const engine::Alert& alert, const std::string& value,
                               const std::string& node, std::vector<engine::Alert>& raised) {
  const uint64_t t = alert.time_ns;
  s.now_ns = std::max(s.now_ns, t);
  expire(s);
  auto [it, added] = s.keys.try_emplace(value);
  Tracked& k = it->second;
  if (added) {
    if (s.keys.size() > max_keys_) {
      // The least recently seen value goes (never the one just added: it is
      // not on the list yet).
      s.keys.erase(s.recency.back());
      s.recency.pop_back();
      ++stats_.evicted;
    }
    s.recency.push_front(value);
  } else {
    s.recency.splice(s.recency.begin(), s.recency, k.recency);
    // A whole window without this value re-arms it (expire() did the same
    // for values that reached the end of the list).
    if (stale(k.last_ns, s.now_ns, s.config.window)) k = Tracked{};
  }
  k.recency = s.recency.begin();
  k.last_ns = std::max(k.last_ns, t);
  uint64_t& seen = k.nodes[node];
  seen = std::max(seen, t);
  std::erase_if(k.nodes, [&](const auto& n) { return stale(n.second, s.now_ns, s.config.window); });
  if (k.fired || k.nodes.size() < s.config.nodes) return;
  k.fired = true;
  ++stats_.raised;
  std::string names;
  for (const auto& [name, ns] : k.nodes) names += (names.empty() ? "" : ", ") + name;
  engine::Alert out;
  out.time_ns = t;
  out.rule = s.config.name;
  out.priority = s.priority;
  out.source = alert.source;
  out.hostname = alert.hostname;
  out.output = s.config.name + ": " + s.config.key + "=" + value + " on " + std::to_string(k.nodes.size()) +
               " nodes within " + window_text(s.config.window) + " (" + names + ")";
  out.output_fields = {{s.config.key, value}, {"fleet.nodes", names}};
  out.tags = {"fleet", "correlation"};
  raised.push_back(std::move(out));
}

FleetCorrelatorStats FleetCorrelator::stats() const {
  FleetCorrelatorStats out = stats_;
  out.keys_tracked = 0;
  for (const auto& s : correlations_) out.keys_tracked += s.keys.size();
  return out;
}

}  // namespace kestrel
