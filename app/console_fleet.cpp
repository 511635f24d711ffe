#include "app/console_fleet.h"

#include <map>

#include "fleet/node_status.h"
#include "outputs/store/alert_query.h"
#include "outputs/store/node_table.h"

namespace kestrel {
namespace {

// What a node's stored status says, as row fields.
void add_status(nlohmann::json& row, const fleet::NodeStatus& s, uint64_t received_ns) {
  row["kernel"] = s.kernel;
  row["source"] = s.source;
  row["sources"] = nlohmann::json::array({s.source});
  nlohmann::json driver{{"description", s.driver}};
  if (s.driver_proven) driver["proven"] = *s.driver_proven;
  row["driver"] = std::move(driver);
  row["node_hostname"] = s.hostname;
  row["version"] = s.version;
  row["events"] = s.events;
  row["events_per_second"] = s.events_per_s;
  row["drops"] = s.drops;
  row["alerts_dropped"] = s.alerts_dropped;
  row["last_seen_ns"] = s.time_ns;
  row["received_ns"] = received_ns;
  row["exited"] = s.final;
}

}  // namespace

nlohmann::json fleet_table(store::AlertStore* db, nlohmann::json self, const std::string& self_fleet_node,
                           uint64_t now_ns, nlohmann::json& errors) {
  const std::string self_host = self.value("host", "");
  std::map<std::string, nlohmann::json> rows;
  auto row_of = [&](const std::string& host) -> nlohmann::json& {
    return rows.try_emplace(host, nlohmann::json{{"host", host}, {"alerts", 0}, {"alerts_last_hour", 0}}).first->second;
  };
  if (db) {
    auto hosts = store::list_hosts(*db, now_ns > kFleetRecentWindowNs ? now_ns - kFleetRecentWindowNs : 0);
    if (!hosts.ok()) errors.push_back(hosts.status().message());
    else
      for (const auto& h : *hosts) {
        nlohmann::json& row = row_of(h["host"].get<std::string>());
        row["alerts"] = h["alerts"];
        row["alerts_last_hour"] = h["alerts_since"];
        row["first_ns"] = h["first_ns"];
        row["last_ns"] = h["last_ns"];
      }
    auto statuses = store::list_node_statuses(*db);
    if (!statuses.ok()) errors.push_back(statuses.status().message());
    else
      for (const auto& stored : *statuses) {
        auto status = fleet::parse_node_status(stored.status);
        if (!status.ok()) {
          errors.push_back("node " + stored.node + ": " + status.status().message());
          continue;
        }
        // This Kestrel's own status: its live row says more.
        if (!self_fleet_node.empty() && stored.node == self_fleet_node) continue;
        add_status(row_of(stored.node), *status, stored.received_ns);
      }
  }
  // This Kestrel: its alerts' row (by hostname) and, when it is on the bus
  // under another name, that name's alerts too.
  nlohmann::json& me = row_of(self_host);
  if (!self_fleet_node.empty() && self_fleet_node != self_host && rows.contains(self_fleet_node)) {
    const nlohmann::json& theirs = rows[self_fleet_node];
    me["alerts"] = me["alerts"].get<int64_t>() + theirs["alerts"].get<int64_t>();
    me["alerts_last_hour"] = me["alerts_last_hour"].get<int64_t>() + theirs["alerts_last_hour"].get<int64_t>();
    rows.erase(self_fleet_node);
  }
  for (auto& [k, v] : self.items()) me[k] = v;
  me["local"] = true;
  me["last_seen_ns"] = now_ns;
  nlohmann::json out = nlohmann::json::array();
  for (auto& [host, row] : rows) out.push_back(std::move(row));
  return out;
}

}  // namespace kestrel
