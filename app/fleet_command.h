// fleet_command.h — `kestrel fleet status`: the fleet as the bus sees it.
//
// Reads, from the stream nats: names (-c FILE, -o key=value as for the
// collector), the last kestrel.<node>.status of every node and counts each
// node's alerts stored in the last hour (--window), then prints one row
// per node: node, kernel, source kind, driver, events/s, drops, alerts in
// the window, and how long ago the node last reported (a node that exited
// says "exited"). --json prints the same as a JSON array.
//
// Exit codes: 0 with at least one node, 1 when the bus cannot be read or
// holds no node status, 2 for usage errors.
#pragma once

#include <ostream>

namespace kestrel {

// argv[0] is "fleet".
int run_fleet_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace kestrel
