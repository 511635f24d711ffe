// github_webhook.h — the github plugin's input: an HTTP(S) server GitHub's
// webhooks POST to (application/json payloads), each delivery checked
// against the shared secret before anything else is done with it.
//
// Authentication (GitHub's "Validating webhook deliveries"): the
// X-Hub-Signature-256 header must be "sha256=" followed by the hex
// HMAC-SHA256 of the raw body keyed with the webhook's secret. It is
// compared in constant time (CRYPTO_memcmp). A delivery without the
// header, or with a wrong one, gets 401 and is counted; it never becomes
// an event. There is no unauthenticated mode: start() refuses an empty
// secret.
//
// Exposure, as the k8saudit webhook (plugins/k8saudit/audit_webhook.h): an
// empty host ("http://:8080/webhook") listens on 127.0.0.1 only; https://
// serves TLS with sslCertificate (one PEM with certificate and key).
//
// What becomes an event: the payload (a JSON object) with the delivery's
// X-GitHub-Event header added as "webhook_type" (where the upstream
// plugin's events carry it, so github.type reads it) and X-GitHub-Delivery
// as "webhook_delivery". Bounds: a body over max_body_bytes gets 413
// before it is read whole; a body that is not a JSON object, or nests
// beyond json_bounds::kMaxJsonDepth, 400; a full queue 503. The server
// thread never blocks on the consumer.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "plugins/plugin_kit/webhook_queue.h"

namespace kestrel::plugin_kit {
class WebhookServer;
}

namespace kestrel::github {

inline constexpr size_t kMaxQueued = 10000;
// GitHub caps webhook payloads at 25 MB.
inline constexpr size_t kDefaultMaxBodyBytes = 25u << 20;

enum class Refusal : size_t {
  kUnsigned,      // 401: no X-Hub-Signature-256
  kBadSignature,  // 401: signature does not match
  kNotJson,       // 400
  kTooDeep,       // 400
  kTooLarge,      // 413
  kQueueFull,     // 503
  kNotFound,      // 404/405: another path or method
  kCount,
};
// "unsigned", "bad_signature", ...: the metric is "webhook_refused_<name>".
const char* refusal_name(Refusal r);

struct Counters {
  std::atomic<uint64_t> accepted{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Refusal::kCount)> refused{};
  void refuse(Refusal r) { refused[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
};

struct WebhookConfig {
  std::string url;              // "http[s]://[HOST]:PORT/PATH"
  std::string secret;           // the webhook's secret; required
  std::string ssl_certificate;  // PEM (certificate + key), for https://
  size_t max_body_bytes = kDefaultMaxBodyBytes;
};

// One accepted delivery: the event JSON and its arrival time (ns).
using Delivery = std::pair<std::string, uint64_t>;

// "sha256=<hex>" for `body` under `secret` (what GitHub sends).
std::string signature_header(const std::string& secret, const std::string& body);

// Whether `header` is the right X-Hub-Signature-256 for `body`, compared
// in constant time.
bool signature_matches(const std::string& secret, const std::string& body, const std::string& header);

class GithubWebhook {
 public:
  explicit GithubWebhook(Counters& counters);  // `counters` must outlive it
  ~GithubWebhook();

  // Binds and starts serving; the error text, empty on success.
  std::string start(const WebhookConfig& config);
  int port() const;

  // Up to `max` accepted deliveries, oldest first.
  std::vector<Delivery> take(size_t max);

 private:
  Counters& counters_;
  plugin_kit::WebhookQueue<Delivery> queue_{kMaxQueued};
  std::unique_ptr<plugin_kit::WebhookServer> server_;  // stopped first: its handlers use queue_
};

}  // namespace kestrel::github
