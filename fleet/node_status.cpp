#include "fleet/node_status.h"

#include <nlohmann/json.hpp>

namespace kestrel::fleet {

std::string node_status_json(const NodeStatus& s) {
  nlohmann::json j = {{"node", s.node},
                      {"hostname", s.hostname},
                      {"kernel", s.kernel},
                      {"source", s.source},
                      {"driver", s.driver},
                      {"version", s.version},
                      {"time", s.time_ns},
                      {"uptime_s", s.uptime_s},
                      {"events", s.events},
                      {"events_per_s", s.events_per_s},
                      {"drops", s.drops},
                      {"alerts", s.alerts},
                      {"alerts_dropped", s.alerts_dropped},
                      {"final", s.final}};
  if (s.driver_proven) j["driver_proven"] = *s.driver_proven;
  return j.dump();
}

Result<NodeStatus> parse_node_status(const std::string& text) {
  // Bounded by the bus's max message size; nlohmann's parser is iterative.
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status(StatusCode::kCorrupt, "node status: not a JSON object");
  NodeStatus s;
  try {
    s.node = j.value("node", "");
    s.hostname = j.value("hostname", "");
    s.kernel = j.value("kernel", "");
    s.source = j.value("source", "");
    s.driver = j.value("driver", "");
    s.version = j.value("version", "");
    s.time_ns = j.value("time", uint64_t{0});
    s.uptime_s = j.value("uptime_s", 0.0);
    s.events = j.value("events", uint64_t{0});
    s.events_per_s = j.value("events_per_s", 0.0);
    s.drops = j.value("drops", uint64_t{0});
    s.alerts = j.value("alerts", uint64_t{0});
    s.alerts_dropped = j.value("alerts_dropped", uint64_t{0});
    s.final = j.value("final", false);
    if (j.contains("driver_proven") && j["driver_proven"].is_boolean()) s.driver_proven = j["driver_proven"].get<bool>();
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::kCorrupt, std::string("node status: ") + e.what());
  }
  if (s.node.empty()) return Status(StatusCode::kCorrupt, "node status: no \"node\"");
  return s;
}

}  // namespace kestrel::fleet
