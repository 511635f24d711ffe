#include "plugins/k8saudit/audit_webhook.h"

#include <httplib.h>

#include "plugins/plugin_kit/webhook_server.h"
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

using plugin_kit::answer;

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

AuditWebhook::AuditWebhook(WebhookCounters& counters)
    : counters_(counters), server_(std::make_unique<plugin_kit::WebhookServer>()) {}

AuditWebhook::~AuditWebhook() = default;

int AuditWebhook::port() const { return server_->port(); }

std::string AuditWebhook::start(const WebhookConfig& config) {
  plugin_kit::WebhookUrl url;
  if (std::string err = plugin_kit::parse_webhook_url(config.url, url); !err.empty()) return err;
  const std::string token = config.bearer_token;
  AuditLimits limits;
  limits.max_event_bytes = config.max_event_bytes;
  auto refused = [this](int status) {
    counters_.refuse(status == 413 ? WebhookRefusal::kTooLarge : WebhookRefusal::kNotFound);
  };
  auto routes = [this, token, limits](httplib::Server& server, const std::string& path) {
    // Authentication before the body is read: a stranger cannot make us
    // buffer webhookMaxBatchSize bytes.
    server.set_pre_routing_handler([this, token](const httplib::Request& req, httplib::Response& res) {
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
    server.Post(path, [this, limits](const httplib::Request& req, httplib::Response& res) {
      AuditParse parsed = parse_audit_events(req.body, limits);
      if (parsed.refusal != AuditRefusal::kNone) {
        counters_.refuse(from_audit_refusal(parsed.refusal));
        answer(res, parsed.refusal == AuditRefusal::kTooLarge ? 413 : 400, parsed.error);
        return;
      }
      const size_t n = parsed.events.size();
      if (!queue_.push_all(parsed.events)) {
        counters_.refuse(WebhookRefusal::kQueueFull);
        answer(res, 503, "queue full, retry later");
        return;
      }
      counters_.requests_accepted.fetch_add(1, std::memory_order_relaxed);
      counters_.events_accepted.fetch_add(n, std::memory_order_relaxed);
      res.status = 200;
    });
  };
  return server_->start(url, {config.ssl_certificate, config.max_body_bytes}, refused, routes);
}

std::vector<QueuedEvent> AuditWebhook::take(size_t max) { return queue_.take(max); }

}  // namespace kestrel::k8saudit
