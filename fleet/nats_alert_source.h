// nats_alert_source.h — the `nats` source of a central Kestrel: the alerts
// every node published to kestrel.*.alerts, through a durable JetStream
// pull consumer (nats.durable), so a central that restarts resumes where
// it stopped and nothing published while it was away is lost.
//
// It yields no event records: each alert message is handed, on the
// source's reader thread, to the AlertHandler the collector set (which
// puts it through the central's own outputs, hostname = the node), and
// acknowledged after that. Delivery is at-least-once: a message whose ack
// was lost (a server failing over) comes again; the source remembers the
// last kDedupeWindow message ids (Nats-Msg-Id, set by every node's
// publisher) and drops such repeats, counted as "duplicates".
//
// Counters (stats().counters): received, duplicates, redelivered,
// fetch_errors; drops "malformed" (not an alert subject or no body).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "fleet/nats_bus.h"
#include "sources/source.h"

struct __natsSubscription;

namespace kestrel::fleet {

struct ReceivedAlert {
  std::string node;    // from the subject kestrel.<node>.alerts
  std::string msg_id;  // Nats-Msg-Id ("" if the publisher set none)
  std::string json;    // the alert as the node published it (Falco's JSON)
};

// Returns an error for an alert it could not take (unparseable JSON): the
// message is still acknowledged (it would never parse) and counted.
using AlertHandler = std::function<Status(const ReceivedAlert&)>;

struct NatsAlertSourceOptions {
  NatsBusOptions bus;
  std::string durable = "kestrel-central";
  std::string subject = "kestrel.*.alerts";
  int fetch_batch = 256;
};

class NatsAlertSource : public Source {
 public:
  static constexpr size_t kDedupeWindow = 100000;

  NatsAlertSource(NatsAlertSourceOptions options, AlertHandler handler);
  ~NatsAlertSource() override;

  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  void close() override;

 private:
  // True the first time `id` is seen in the window.
  bool first_sighting(const std::string& id);

  NatsAlertSourceOptions options_;
  AlertHandler handler_;
  SourceCapabilities caps_;
  std::unique_ptr<NatsBus> bus_;
  __natsSubscription* sub_ = nullptr;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> seen_order_;
  std::atomic<uint64_t> received_{0}, duplicates_{0}, redelivered_{0}, malformed_{0}, rejected_{0},
      fetch_errors_{0};
};

}  // namespace kestrel::fleet
