#include "plugins/k8saudit/audit_webhook.h"

#include <httplib.h>

#include "plugins/plugin_kit/webhook_url.h"

namespace kestrel::k8saudit {
namespace {

// Constant-time comparison, so the token cannot be guessed byte by byte.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

WebhookRefusal from_audit_refusal(AuditRefusal r) {
  switch (r) {
    case AuditRefusal::kTooDeep: return WebhookRefusal::kTooDeep;
    case AuditRefusal::kTooLarge: return WebhookRefusal::kTooLarge;
    default: return WebhookRefusal::kNotJson;
  }
}

void answer(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text + "\n", "text/plain");
}

}  // namespace

const char* webhook_refusal_name(WebhookRefusal r) {
  switch (r) {
    case WebhookRefusal::kNotJson: return "not_json";
    case WebhookRefusal::kTooDeep: return "too_deep";
    case WebhookRefusal::kTooLarge: return "too_large";
    case WebhookRefusal::kQueueFull: return "queue_full";
    case WebhookRefusal::kUnauthorized: return "unauthorized";
    case WebhookRefusal::kNotFound: return "not_found";
    case WebhookRefusal::kCount: break;
  }
  return "?";
}

uint64_t WebhookCounters::refused_total() const {
  uint64_t n = 0;
  for (const auto& c : refused) n += c.load(std::memory_order_relaxed);
  return n;
}

AuditWebhook::AuditWebhook(WebhookCounters& counters) : counters_(counters) {}

AuditWebhook::~AuditWebhook() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string AuditWebhook::start(const WebhookConfig& config) {
  plugin_kit::WebhookUrl url;
  if (std::string err = plugin_kit::parse_webhook_url(config.url, url); !err.empty()) return err;
  if (url.tls) {
    if (config.ssl_certificate.empty()) return "https webhook needs sslCertificate (a PEM with certificate and key)";
    auto tls = std::make_unique<httplib::SSLServer>(config.ssl_certificate.c_str(), config.ssl_certificate.c_str());
    if (!tls->is_valid())
      return "cannot use sslCertificate '" + config.ssl_certificate +
             "': it must be a readable PEM file holding the certificate and its private key";
    server_ = std::move(tls);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  server_->set_payload_max_length(config.max_body_bytes);
  const std::string token = config.bearer_token;
  AuditLimits limits;
  limits.max_event_bytes = config.max_event_bytes;

  // Authentication before the body is read: a stranger cannot make us
  // buffer webhookMaxBatchSize bytes.
  server_->set_pre_routing_handler([this, token](const httplib::Request& req, httplib::Response& res) {
    if (token.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0 &&
        same_secret(std::string_view(auth).substr(kBearer.size()), token))
      return httplib::Server::HandlerResponse::Unhandled;
    counters_.refuse(WebhookRefusal::kUnauthorized);
    res.set_header("WWW-Authenticate", "Bearer");
    answer(res, 401, "missing or wrong bearer token");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Refusals the library makes itself (413 for a body over the limit, 404
  // for another path) reach only this handler; ours carry a body already.
  server_->set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413) counters_.refuse(WebhookRefusal::kTooLarge);
    else if (res.status == 404 || res.status == 405) counters_.refuse(WebhookRefusal::kNotFound);
    return httplib::Server::HandlerResponse::Unhandled;
  }));
  server_->Post(url.path, [this, limits](const httplib::Request& req, httplib::Response& res) {
    AuditParse parsed = parse_audit_events(req.body, limits);
    if (parsed.refusal != AuditRefusal::kNone) {
      counters_.refuse(from_audit_refusal(parsed.refusal));
      answer(res, parsed.refusal == AuditRefusal::kTooLarge ? 413 : 400, parsed.error);
      return;
    }
    {
      std::lock_guard lock(mu_);
      if (queue_.size() + parsed.events.size() > kMaxQueued) {
        counters_.refuse(WebhookRefusal::kQueueFull);
        answer(res, 503, "queue full, retry later");
        return;
      }
      for (auto& e : parsed.events) queue_.push_back(std::move(e));
    }
    counters_.requests_accepted.fetch_add(1, std::memory_order_relaxed);
    counters_.events_accepted.fetch_add(parsed.events.size(), std::memory_order_relaxed);
    res.status = 200;
  });
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

std::vector<QueuedEvent> AuditWebhook::take(size_t max) {
  std::lock_guard lock(mu_);
  std::vector<QueuedEvent> out;
  while (!queue_.empty() && out.size() < max) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

}  // namespace kestrel::k8saudit
