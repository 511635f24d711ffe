// nats_sink.h — alerts published to the fleet bus (nats: in the config).
//
// Each alert goes to kestrel.<node>.alerts on the JetStream stream as
// Falco's JSON (every property: output, message, output_fields, tags,
// whatever json_include_* say for the other sinks), so any NATS consumer,
// and a central Kestrel's `nats` source, gets what Falcosidekick would.
//
// At-least-once: write() publishes and waits for JetStream's ack
// (publish_timeout); a publish that fails or is not acked (a server down,
// a stream leader being elected) is retried with backoff, with the same
// Nats-Msg-Id, so JetStream stores a retried alert once. Only cancel()
// (the shutdown deadline) ends the retries. The sink's worker queue
// (outputs.nats.queue_capacity) is the bound on what waits: past it the
// worker counts dropped_queue_full, as for every sink; a node never
// blocks its capture on the bus.
//
// Message ids are "<node>-<run>-<n>": run is the node's start time in ns,
// n counts alerts from 1, so ids never repeat across restarts.
//
// Counters: published, retries, duplicates (acks saying JetStream had
// that id already: a retry whose first try was stored).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "fleet/nats_bus.h"
#include "outputs/output_sink.h"

namespace kestrel::engine {

struct NatsSinkOptions {
  std::string node;
  std::chrono::milliseconds publish_timeout{2000};
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  bool iso_time = false;  // the time inside `output` (time_format_iso_8601)
};

std::unique_ptr<OutputSink> make_nats_sink(std::shared_ptr<fleet::NatsBus> bus, NatsSinkOptions options);

}  // namespace kestrel::engine
