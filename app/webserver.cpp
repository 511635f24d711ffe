#include "app/webserver.h"

#include <httplib.h>

namespace kestrel {

Webserver::Webserver() : server_(std::make_unique<httplib::Server>()) {}

Webserver::~Webserver() { stop(); }

Result<std::unique_ptr<Webserver>> Webserver::start(const std::string& address, uint16_t port,
                                                    const std::string& healthz_path, bool prometheus,
                                                    std::optional<ConsoleSetup> console) {
  std::unique_ptr<Webserver> w(new Webserver());
  Webserver* self = w.get();
  w->server_->Get(healthz_path, [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  auto serve = [self](httplib::Response& res, bool json) {
    std::lock_guard lock(self->mu_);
    if (!self->latest_) {
      res.status = 503;
      res.set_content("no metrics yet\n", "text/plain");
      return;
    }
    if (json) res.set_content(metrics_json(*self->latest_), "application/json");
    else res.set_content(metrics_prometheus(*self->latest_), "text/plain; version=0.0.4");
  };
  if (prometheus)
    w->server_->Get("/metrics", [serve](const httplib::Request&, httplib::Response& res) { serve(res, false); });
  w->server_->Get("/metrics.json", [serve](const httplib::Request&, httplib::Response& res) { serve(res, true); });
  if (console) {
    w->feed_ = console->feed;
    add_console_routes(*w->server_, *console, [self]() -> std::optional<MetricsSnapshot> {
      std::lock_guard lock(self->mu_);
      return self->latest_;
    });
  }
  int bound = port == 0 ? w->server_->bind_to_any_port(address) : (w->server_->bind_to_port(address, port) ? port : -1);
  if (bound <= 0)
    return Status(StatusCode::kUnavailable,
                  "webserver: cannot listen on " + address + ":" + std::to_string(port) + " (port in use?)");
  w->port_ = static_cast<uint16_t>(bound);
  w->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return w;
}

void Webserver::publish(MetricsSnapshot snapshot) {
  std::lock_guard lock(mu_);
  latest_ = std::move(snapshot);
}

void Webserver::stop() {
  if (!thread_.joinable()) return;
  if (feed_) feed_->close();
  server_->stop();
  thread_.join();
}

}  // namespace kestrel
