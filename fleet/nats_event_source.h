// nats_event_source.h — a central Kestrel's view of every node's event
// stream (nats.consume_events): kestrel.*.events, published by nodes with
// nats.publish_events (app/fleet_event_publisher.h), read through a
// durable JetStream pull consumer (nats.events_durable), each node its own
// remote domain with its own state tables, exactly as a forwarding VM
// guest is (sources/remote/remote_domains.h): vm.name = the node (the
// subject's token, which the bus's permissions can tie to the node),
// vm.id = the node's DMI product uuid else "stream-<run>", machine.* =
// the node's own (its .kcap header). So the central's rules run on every
// node's events and its alerts say which node.
//
// A node's run (header Kestrel-Run: its start in ns) is one stream: its
// first message starts with the .kcap preamble and header (the hello) and
// the snapshot; a new run is a restarted node, a new domain. Messages are
// whole frames, decoded by the forward path's StreamDecoder
// (StreamFraming::kKcap; kKcapFrames for a run joined after its first
// message, e.g. by a central restarted mid-run: earlier records are not
// counted lost then).
//
// At-least-once without double evaluation:
//   - a message is acknowledged only once every event of it has been
//     processed by the engine (Source::consumed, from the multiplexer),
//     so a central that stops or crashes gets the rest again from its
//     durable consumer; the source is not `live`, so the multiplexer waits
//     for room instead of dropping what the bus still holds;
//   - a message redelivered (its ack lost, or late past the ack wait) has
//     a Kestrel-Seq at or below the last one taken of its run: dropped,
//     counted "duplicates", never decoded twice; a message of an older
//     run than the node's current one, likewise ("stale");
//   - Kestrel-Seq jumps are counted ("missing_messages"), and the records
//     in them as the node's gap (drops "gap:<node>", the batches'
//     sequence numbers: stream_sequence.h) — what the drop alarm acts on.
// Kestrel-Seq dedupe is per central process: a central killed between
// processing a batch and acking it evaluates that batch again when it
// comes back (the bus redelivers it); a clean stop acks first.
//
// Counters (stats().counters): nats.<node>.{received,connections,restarts,
// gaps,...} (remote_domains.h), and messages, duplicates, stale,
// missing_messages, redelivered, fetch_errors; drops "malformed" (no run
// or sequence header, not a .kcap stream: that run's rest is ignored).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "fleet/nats_bus.h"
#include "sources/remote/remote_domains.h"
#include "sources/source.h"

struct __natsSubscription;
struct __natsMsg;

namespace kestrel::fleet {

struct NatsEventSourceOptions {
  NatsBusOptions bus;
  std::string durable = "kestrel-central-events";
  std::string subject = "kestrel.*.events";
  int fetch_batch = 64;  // messages of up to ~512 KiB each
  MachineDirectory* machines = nullptr;  // where nodes are registered (the app's)
  std::function<void(const std::string&)> log;  // node lines; empty: stderr
};

class NatsEventSource final : public Source {
 public:
  explicit NatsEventSource(NatsEventSourceOptions options);
  ~NatsEventSource() override;

  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  void consumed(uint64_t events) override { consumed_ += events; }
  SourceStats stats() const override;
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const override;
  void interrupt() override;
  void close() override;

 private:
  struct Run;
  // Decodes one message into the domains' queue (or counts why not).
  void take(__natsMsg* msg);
  // Acks, in order, the messages whose events have all been consumed.
  void ack_consumed();

  NatsEventSourceOptions options_;
  SourceCapabilities caps_;
  remote::RemoteDomains domains_;
  std::unique_ptr<NatsBus> bus_;
  __natsSubscription* sub_ = nullptr;
  std::map<std::string, std::unique_ptr<Run>> runs_;  // each node's current run
  // Taken messages not yet acked, with domains_.queued_records() after them.
  std::deque<std::pair<__natsMsg*, uint64_t>> unacked_;
  std::atomic<uint64_t> consumed_{0};  // events the engine is done with
  std::atomic<uint64_t> messages_{0}, duplicates_{0}, stale_{0}, missing_{0}, redelivered_{0}, malformed_{0},
      fetch_errors_{0}, bytes_{0};
};

}  // namespace kestrel::fleet
