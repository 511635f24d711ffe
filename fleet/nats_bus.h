// nats_bus.h — one connection to a NATS JetStream cluster, and the names
// Kestrel uses on it.
//
// Subjects (one node = one Kestrel, named by nats.node, default hostname):
//   kestrel.<node>.alerts  every alert, Falco's JSON, one message each,
//                          with a Nats-Msg-Id so JetStream drops a publish
//                          retried after a lost ack (duplicate window)
//   kestrel.<node>.events  the node's event stream, .kcap frames (fleet/README.md)
//   kestrel.<node>.status  a NodeStatus (node_status.h) every status_interval
// All three are kept by one stream (nats.stream, default KESTREL) over
// `kestrel.>`; connect() creates it when missing, so a fresh cluster needs
// no set-up.
//
// The connection reconnects for ever (to any server in the list, the
// cluster's gossiped ones included); publishing while disconnected fails
// fast or is buffered by the client, never blocks for longer than the
// publish timeout. One NatsBus may be shared by threads (nats.c's
// connection and JetStream context are thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

struct __natsConnection;
struct __jsCtx;
struct __natsSubscription;
struct jsOptions;

namespace kestrel::fleet {

struct NatsBusOptions {
  std::vector<std::string> servers;  // nats://host:port, tls://host:port
  std::string stream = "KESTREL";
  int replicas = 1;               // of the stream, when connect() creates it
  std::string creds;              // a .creds file (JWT + nkey seed); empty: none
  std::string tls_ca;             // CA to verify the servers against; empty: no TLS unless tls:// urls
  std::string tls_cert, tls_key;  // client certificate for mutual TLS
  std::string client_name = "kestrel";
  std::chrono::milliseconds connect_timeout{2000};
  // How long to wait for the first connection: the client keeps retrying
  // in the background after that, so a node started before its bus works.
  bool wait_for_first_connection = true;
  // How long a stored message is kept (the stream's max age); 0: for ever.
  std::chrono::hours max_age{24 * 7};
  // JetStream's duplicate window: a retried publish with the same
  // Nats-Msg-Id inside it is stored once.
  std::chrono::seconds duplicate_window{120};
};

// A node name usable as one subject token: '.', '*', '>' and white space
// become '_'; empty becomes "unnamed".
std::string subject_token(const std::string& node);
std::string alerts_subject(const std::string& node);
std::string events_subject(const std::string& node);
std::string status_subject(const std::string& node);
// The node a kestrel.<node>.<kind> subject names ("" if it is not one).
std::string node_of_subject(const std::string& subject);

class NatsBus {
 public:
  // Connects and makes sure the stream exists (created with `replicas` and
  // the subjects above when missing). kUnavailable naming the servers when
  // none answers within connect_timeout (nats.servers empty: kInvalidArgument).
  static Result<std::unique_ptr<NatsBus>> connect(const NatsBusOptions& options);
  ~NatsBus();
  NatsBus(const NatsBus&) = delete;
  NatsBus& operator=(const NatsBus&) = delete;

  __natsConnection* connection() const { return conn_; }
  __jsCtx* jetstream() const { return js_; }
  const NatsBusOptions& options() const { return options_; }
  // The stream's replicas as the cluster has it: an existing stream keeps
  // the replicas of whoever made it (another node, an operator), which
  // may be fewer than options().replicas; 0 if unknown.
  int stream_replicas() const { return stream_replicas_; }
  // The server currently connected to ("" while disconnected).
  std::string connected_url() const;
  uint64_t reconnects() const;

 private:
  explicit NatsBus(NatsBusOptions options) : options_(std::move(options)) {}
  Status ensure_stream();

  NatsBusOptions options_;
  __natsConnection* conn_ = nullptr;
  __jsCtx* js_ = nullptr;
  int stream_replicas_ = 0;
};

// A JetStream API request that may go unanswered for minutes after a
// server died without saying so (SIGKILL, a crash, a pulled cable), tried
// with a short wait, again and again, until it is answered (anything but
// NATS_TIMEOUT) or `budget` has passed. Why: nats-server 2.9 places a new
// consumer on the stream's peers without asking whether they are alive:
// an R1 consumer lands on the dead server about one time in three, for
// minutes after it died, and that create is never answered (R3 creates
// time out as often; measured: README, Fleet). `attempt` passes the jsOptions it
// is given (Wait set to `per_try`) to the nats.c call; it may set more
// fields on them. Returns the last status.
struct UnansweredRetry {
  std::chrono::milliseconds per_try{3000};
  std::chrono::milliseconds budget{30000};
};
int retry_unanswered(const std::function<int(jsOptions*)>& attempt, UnansweredRetry limits = {});

// A durable pull consumer named `durable` on `subject` of the bus's stream,
// explicit acks (the nats source's alerts, its events); an existing one is
// resumed where it stopped. Its create may go unanswered while a server is
// down (retry_unanswered). `what` names the caller in the error.
Result<__natsSubscription*> durable_pull_subscribe(NatsBus& bus, const std::string& subject,
                                                   const std::string& durable, const std::string& what);

// "what: <nats status text> (<jetstream error code>)" for error messages.
std::string nats_error(const std::string& what, int nats_status, int js_error = 0);

}  // namespace kestrel::fleet
