// webserver.h — the HTTP endpoint behind Falco's `webserver.*` keys.
//
//   GET /healthz  → 200 {"status":"ok"} while the collector runs
//   GET /metrics  → the latest MetricsSnapshot in Prometheus text format
//                   (text/plain; version=0.0.4); 503 before the first one
//   GET /metrics.json → the same snapshot as JSON
//   with a store: the web console and its API (console_api.h)
// The server runs on its own thread (cpp-httplib); snapshots are handed
// over through publish(), so the engine thread never waits for a scrape.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "app/console_api.h"
#include "app/metrics.h"
#include "base/status.h"

namespace httplib {
class Server;
}

namespace kestrel {

class Webserver {
 public:
  ~Webserver();
  // Binds `address`:`port` (port 0: any free port, see port()).
  // `healthz_path` is webserver.k8s_healthz_endpoint; /metrics (Prometheus
  // text) is served only with `prometheus` (webserver.prometheus_metrics_enabled).
  static Result<std::unique_ptr<Webserver>> start(const std::string& address, uint16_t port,
                                                  const std::string& healthz_path = "/healthz",
                                                  bool prometheus = true,
                                                  std::optional<ConsoleSetup> console = std::nullopt);
  uint16_t port() const { return port_; }
  void publish(MetricsSnapshot snapshot);
  void stop();

 private:
  Webserver();
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::optional<MetricsSnapshot> latest_;
  std::shared_ptr<store::LiveFeed> feed_;  // closed at stop(): event streams end
};

}  // namespace kestrel
