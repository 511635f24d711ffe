// audit_webhook.h — the k8saudit plugin's webhook input: an HTTP server
// the API server's webhook backend POSTs audit events to (an EventList, an
// Event or an array, as JSON), as with upstream's "http://:9765/k8s-audit".
//
// Events wait in a bounded queue (kMaxQueued) until next_batch takes them;
// a POST that would overflow it, is not JSON, or exceeds kMaxBody is
// refused (HTTP 503 / 400 / 413) and counted, never blocks the server.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
}

namespace kestrel::k8saudit {

inline constexpr size_t kMaxQueued = 100000;
inline constexpr size_t kMaxBody = 16u << 20;

// One queued audit event: compact JSON and its time (ns; UINT64_MAX: now).
using QueuedEvent = std::pair<std::string, uint64_t>;

class AuditWebhook {
 public:
  AuditWebhook();
  ~AuditWebhook();

  // Listens on "http://HOST:PORT/PATH" (empty HOST: all interfaces).
  // Returns an error text, empty on success.
  std::string start(const std::string& url);

  // Up to `max` queued events, oldest first.
  std::vector<QueuedEvent> take(size_t max);

  uint64_t refused() const;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::deque<QueuedEvent> queue_;
  uint64_t refused_ = 0;
};

}  // namespace kestrel::k8saudit
