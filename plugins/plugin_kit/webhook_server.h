// webhook_server.h — the HTTP(S) serving skeleton our webhook plugins
// (k8saudit, github) share: bind from a "http[s]://[HOST]:PORT/PATH" URL
// (webhook_url.h), TLS from one PEM with certificate and key, a body limit
// the library enforces before reading, the library's own refusals (413,
// 404/405) reported to the plugin for counting, a serving thread stopped
// and joined on destruction. Each plugin supplies its request handling
// (routes), its counters, and a webhook_queue.h between the server thread
// and next_batch.
//
// Header-only like the rest of plugin_kit (see plugin_event.h); includes
// httplib.h, so only plugins that link cpp-httplib include it.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "plugins/plugin_kit/webhook_url.h"

namespace kestrel::plugin_kit {

// A plain-text reply (our refusals carry a body; see WebhookServer).
inline void answer(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text + "\n", "text/plain");
}

struct WebhookServerConfig {
  std::string ssl_certificate;  // PEM (certificate + key), for https://
  size_t max_body_bytes = 0;
};

class WebhookServer {
 public:
  // A refusal httplib made itself: 413 (body over the limit), 404 or 405.
  using LibraryRefusal = std::function<void(int status)>;
  // Installs the plugin's handlers on `server` for `path`.
  using Routes = std::function<void(httplib::Server& server, const std::string& path)>;

  WebhookServer() = default;
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;
  ~WebhookServer() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  // Binds `url` and starts serving; the error text, empty on success.
  std::string start(const WebhookUrl& url, const WebhookServerConfig& config, const LibraryRefusal& refused,
                    const Routes& routes) {
    if (url.tls) {
      if (config.ssl_certificate.empty())
        return "an https webhook needs sslCertificate (a PEM with certificate and key)";
      auto tls = std::make_unique<httplib::SSLServer>(config.ssl_certificate.c_str(), config.ssl_certificate.c_str());
      if (!tls->is_valid())
        return "cannot use sslCertificate '" + config.ssl_certificate +
               "': it must be a readable PEM file holding the certificate and its private key";
      server_ = std::move(tls);
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    server_->set_payload_max_length(config.max_body_bytes);
    // Refusals the library makes itself (413 for a body over the limit, 404
    // for another path) reach only this handler; ours carry a body already.
    server_->set_error_handler(httplib::Server::HandlerWithResponse(
        [refused](const httplib::Request&, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          if (res.status == 413 || res.status == 404 || res.status == 405) refused(res.status);
          return httplib::Server::HandlerResponse::Unhandled;
        }));
    routes(*server_, url.path);
    if (url.port == 0) {
      port_ = server_->bind_to_any_port(url.host);
      if (port_ <= 0) return "cannot listen on " + url.host + " (any port)";
    } else {
      if (!server_->bind_to_port(url.host, url.port))
        return "cannot listen on " + url.host + ":" + std::to_string(url.port);
      port_ = url.port;
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    return {};
  }

  // The port actually bound (useful with port 0).
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace kestrel::plugin_kit
