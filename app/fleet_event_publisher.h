// fleet_event_publisher.h — a node's event stream on the fleet bus
// (nats.publish_events): kestrel.<node>.events carries the .kcap stream
// (sources/capture/kcap_writer.h) — preamble, header with the machine
// info, the state snapshot, then event batches — cut into messages at
// frame boundaries: the messages of one run, concatenated in order, are a
// .kcap file `kestrel -e` replays. Each message has headers Kestrel-Run
// (the run's start time in ns: a new run starts a new stream) and
// Kestrel-Seq (1, 2, ... within the run: a gap is a lost message).
//
// This is the encoding issue 18's forwarding uses too; a batch is cut
// every max_batch_records events, on a change of domain, or when
// flush_interval has passed since the last message, whichever first.
//
// At-least-once, as the alerts: each message is published to JetStream
// asynchronously with a Nats-Msg-Id (run-seq) and sent again, same id,
// when its ack does not come (a server lost, a stream leader being
// elected), after a backoff (50 ms doubling to 1 s; a leaderless stream
// refuses at once, and an immediate resend became a resend storm), until
// close(), which waits up to 10 s for the last acks and resends. The
// engine thread never waits for the bus: at most 256 messages are in
// flight; a publish past that gives up after 1 ms, and what is given up
// is dropped and counted (dropped_messages, dropped_events); the consumer
// sees the gap in Kestrel-Seq.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "fleet/nats_bus.h"
#include "sources/capture/capture_recorder.h"

namespace kestrel {

struct FleetEventCounters {
  uint64_t messages = 0, bytes = 0, events = 0;
  uint64_t dropped_messages = 0, dropped_events = 0;  // dropped_events: those refused at publish only
  uint64_t retries = 0;  // publishes sent again after no ack
};

class FleetEventPublisher : public CaptureRecorder {
 public:
  virtual FleetEventCounters counters() const = 0;
};

std::unique_ptr<FleetEventPublisher> make_fleet_event_publisher(
    std::shared_ptr<fleet::NatsBus> bus, const std::string& node,
    std::chrono::milliseconds flush_interval = std::chrono::milliseconds(200), size_t max_batch_records = 4096);

}  // namespace kestrel
