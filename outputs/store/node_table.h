// node_table.h — the `nodes` table of the store: the newest status each
// fleet node published (fleet/node_status.h), as a central Kestrel that
// reads the fleet bus received it, so the console's fleet table knows the
// nodes' kernel, source, driver, events/s and drops after a restart too.
//
//   node         PRIMARY KEY, the node's name on the bus (nats.node); the
//                same name its alerts carry as `host` in the alerts table
//   time_ns      the status's own time (the node's clock)
//   received_ns  when this store's Kestrel received it (its clock)
//   status       the status JSON exactly as the node published it
//
// The store keeps it as published (no columns of its own per field) so
// that the one parser, fleet::parse_node_status, reads it back, and a
// field a newer node adds is kept without a schema change.
//
// Retention: enforce_retention() deletes nodes not heard from within
// store.retention_days, as it deletes alerts that old.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "outputs/store/alert_store.h"

namespace kestrel::store {

struct StoredNodeStatus {
  std::string node;
  uint64_t time_ns = 0;
  uint64_t received_ns = 0;
  std::string status;  // JSON
};

// Inserts or replaces the node's row, unless the stored one is newer
// (time_ns greater): statuses may arrive out of order (a central reads the
// stream's last ones while new ones are delivered). Returns whether the
// row now holds `row`.
Result<bool> put_node_status(AlertStore& store, const StoredNodeStatus& row);
// Every node's row, ordered by node.
Result<std::vector<StoredNodeStatus>> list_node_statuses(AlertStore& store);

}  // namespace kestrel::store
