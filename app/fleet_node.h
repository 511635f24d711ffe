// fleet_node.h — the collector's side of the fleet bus (nats: config):
// what a node says about itself, and how a central Kestrel turns the
// alerts it reads back into alerts of its own.
#pragma once

#include <string>

#include "app/config/config.h"
#include "app/metrics.h"
#include "engine/alert.h"
#include "fleet/nats_bus.h"
#include "fleet/node_status.h"

namespace kestrel {

// The bus settings of the config; node = nats.node or `hostname`.
fleet::NatsBusOptions nats_bus_options(const KestrelConfig& config);
std::string nats_node_name(const KestrelConfig& config, const std::string& hostname);

// What captures on this node, for the fleet table: the embedded eBPF
// probe; the kernel module, named by its driver index row (artifact and
// sha256) when engine.kmod.index is set; runsc; a replayed file.
std::string describe_driver(const std::string& source_kind, const KestrelConfig& config,
                            const std::string& capture_file);

// A node's status from a metrics snapshot. `source_kind` is the syscall
// source (ebpf, kmod, gvisor, capture, none).
fleet::NodeStatus node_status_from(const MetricsSnapshot& snapshot, const std::string& node,
                                   const std::string& source_kind, const std::string& driver);

// A node's alert JSON (outputs/nats_sink.h publishes every property) as an
// Alert of `node`: hostname = the node, output = the rule's own text
// (`message`), time, rule, priority, source, output_fields and tags as
// sent. kCorrupt naming what is missing or malformed.
Result<engine::Alert> alert_from_fleet_json(const std::string& json, const std::string& node);

}  // namespace kestrel
