// fleet_statuses.h — the nodes' statuses (node_status.h) as a reader of the
// bus sees them: the last one each node published, read back from the
// stream (`kestrel fleet status`; a central as it starts), and every new
// one as it is published (a central, for its nodes table).
//
// Both hand over the node's JSON exactly as it was published next to its
// parsed form, so what a reader stores or prints is what the node said.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fleet/nats_bus.h"
#include "fleet/node_status.h"

struct __natsSubscription;

namespace kestrel::fleet {

struct PublishedStatus {
  NodeStatus status;
  std::string json;  // the message body as the node published it
};

// The last kestrel.<node>.status of every node the stream holds: the
// stream's info filtered by subject, then each subject's last message.
// Direct reads, no consumer, so they work while a cluster server is down.
// kUnavailable when the stream cannot be read; a subject whose last
// message cannot be read or parsed is left out and named in `problems`.
Result<std::map<std::string, PublishedStatus>> read_last_statuses(NatsBus& bus, std::vector<std::string>& problems);

// Every status published from now on (a core subscription to
// kestrel.*.status on the bus's connection; nothing is acknowledged and
// nothing is kept on the server for it), handed to `on_status` on nats.c's
// delivery thread. start() first subscribes, then hands over the stream's
// last status of every node (read_last_statuses) on the calling thread, so
// a node that reported, or exited, before the reader started is known too.
// `on_status` may therefore run on two threads at once and, for one node,
// see an older status after a newer one: it must keep the newest by
// status.time_ns. Unparseable messages are counted, never handed over.
class NodeStatusWatch {
 public:
  using Handler = std::function<void(const PublishedStatus&)>;

  // `bus` must outlive the watch.
  static Result<std::unique_ptr<NodeStatusWatch>> start(NatsBus& bus, Handler on_status);
  // Unsubscribes and waits (up to 2 s) for a delivery in progress.
  ~NodeStatusWatch();
  NodeStatusWatch(const NodeStatusWatch&) = delete;
  NodeStatusWatch& operator=(const NodeStatusWatch&) = delete;

  uint64_t received() const { return received_.load(); }    // handed over, the start-up ones included
  uint64_t malformed() const { return malformed_.load(); }  // not a node status

  // One message body (the subscription's callback; public for it only).
  void deliver(const char* data, int length);

 private:
  explicit NodeStatusWatch(Handler on_status) : on_status_(std::move(on_status)) {}

  Handler on_status_;
  __natsSubscription* sub_ = nullptr;
  std::atomic<uint64_t> received_{0}, malformed_{0};
};

}  // namespace kestrel::fleet
