// console_fleet.h — the console's fleet table: /api/state's "nodes".
//
// One row per node, from three places:
//   - the alerts table: every host with alerts (how many, how many in the
//     last hour, first and last alert time);
//   - the nodes table (outputs/store/node_table.h): the newest status each
//     fleet node published on kestrel.<node>.status, kept by a central
//     that reads the bus — the node's kernel, source, driver and the
//     driver index's verdict, events/s, drops, when it reported last and
//     whether that was its exit; read with fleet::parse_node_status, the
//     parser `kestrel fleet status` uses;
//   - this Kestrel itself (`local`: true), with its live events/s and
//     drops; its own status in the nodes table (by its fleet name) is
//     folded into this row.
// Rows are keyed by node name (= the `host` of the node's alerts).
//
// A row: {"host", "local"?, "alerts", "alerts_last_hour", "first_ns",
//   "last_ns" (alert times), "kernel", "source", "sources",
//   "driver": {"description", "proven"?, ...}, "events",
//   "events_per_second", "drops", "alerts_dropped", "version",
//   "last_seen_ns" (the status's time), "received_ns", "exited"}
// — the status fields only where a status (or this Kestrel) says them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "outputs/store/alert_store.h"

namespace kestrel {

inline constexpr uint64_t kFleetRecentWindowNs = 3600ull * 1000000000ull;  // "alerts in the last hour"

// `self`: this Kestrel's row so far (its facts and live figures, "host"
// set). `db` may be null (the store unreadable): then only `self`. Read
// errors are appended to `errors`, never fatal.
nlohmann::json fleet_table(store::AlertStore* db, nlohmann::json self, const std::string& self_fleet_node,
                           uint64_t now_ns, nlohmann::json& errors);

}  // namespace kestrel
