// audit_webhook.h — the k8saudit plugin's webhook input: an HTTP(S) server
// the API server's webhook backend POSTs audit events to (an EventList, an
// Event or an array, as JSON), as with upstream's "http://:9765/k8s-audit".
//
// Exposure: an empty host ("http://:9765/...") listens on 127.0.0.1 only;
// give an address ("http://0.0.0.0:9765/...") to listen elsewhere. With a
// bearer token configured, a request without "Authorization: Bearer
// <token>" gets 401. "https://" serves TLS with the PEM file named by
// sslCertificate (certificate and private key in one file, as upstream).
//
// Bounds: a body above webhookMaxBatchSize gets 413 (before it is parsed);
// a body that is not JSON 400, nested beyond json_bounds::kMaxJsonDepth 400,
// with one event above maxEventSize 413 (audit_json.h does the parsing);
// events that would overflow the queue (kMaxQueued) 503. A request is taken
// whole or refused whole, so nothing the sender was told is accepted is
// ever dropped here. Every outcome is counted in WebhookCounters; the
// server thread never blocks on the consumer.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "plugins/k8saudit/audit_json.h"
#include "plugins/plugin_kit/webhook_queue.h"

namespace kestrel::plugin_kit {
class WebhookServer;
}

namespace kestrel::k8saudit {

inline constexpr size_t kMaxQueued = 100000;
// Upstream's webhookMaxBatchSize default: k8s' 10 MiB batch limit + ~20%.
inline constexpr size_t kDefaultMaxBodyBytes = 12u << 20;

// Why a request was refused (the metric name is "webhook_refused_<name>").
enum class WebhookRefusal : size_t {
  kNotJson,       // 400
  kTooDeep,       // 400
  kTooLarge,      // 413: body or one event
  kQueueFull,     // 503
  kUnauthorized,  // 401
  kNotFound,      // 404/405: another path or method
  kCount,
};
const char* webhook_refusal_name(WebhookRefusal r);

// Lock-free counters, owned by the plugin state so they outlive an open
// instance and can be read by plugin_get_metrics at any time.
struct WebhookCounters {
  std::atomic<uint64_t> requests_accepted{0};
  std::atomic<uint64_t> events_accepted{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(WebhookRefusal::kCount)> refused{};
  void refuse(WebhookRefusal r) { refused[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t refused_total() const;
};

struct WebhookConfig {
  std::string url;              // "http[s]://[HOST]:PORT/PATH"
  std::string ssl_certificate;  // PEM (certificate + key), for https://
  std::string bearer_token;     // empty: no authentication
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  size_t max_event_bytes = kDefaultMaxEventBytes;
};

class AuditWebhook {
 public:
  // `counters` must outlive the webhook.
  explicit AuditWebhook(WebhookCounters& counters);
  ~AuditWebhook();

  // Binds and starts serving. Returns an error text, empty on success.
  std::string start(const WebhookConfig& config);

  // The port actually bound (useful with port 0).
  int port() const;

  // Up to `max` queued events, oldest first.
  std::vector<QueuedEvent> take(size_t max);

 private:
  WebhookCounters& counters_;
  plugin_kit::WebhookQueue<QueuedEvent> queue_{kMaxQueued};
  std::unique_ptr<plugin_kit::WebhookServer> server_;  // stopped first: its handlers use queue_
};

}  // namespace kestrel::k8saudit
