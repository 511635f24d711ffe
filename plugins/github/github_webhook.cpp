#include "plugins/github/github_webhook.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "plugins/bounded_json.h"
#include "plugins/plugin_kit/webhook_server.h"
#include "plugins/plugin_kit/webhook_url.h"

namespace kestrel::github {
namespace {

using plugin_kit::answer;

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

const char* refusal_name(Refusal r) {
  switch (r) {
    case Refusal::kUnsigned: return "unsigned";
    case Refusal::kBadSignature: return "bad_signature";
    case Refusal::kNotJson: return "not_json";
    case Refusal::kTooDeep: return "too_deep";
    case Refusal::kTooLarge: return "too_large";
    case Refusal::kQueueFull: return "queue_full";
    case Refusal::kNotFound: return "not_found";
    case Refusal::kCount: break;
  }
  return "?";
}

std::string signature_header(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bool signature_matches(const std::string& secret, const std::string& body, const std::string& header) {
  const std::string want = signature_header(secret, body);
  // Lengths are public (always 71 for a well-formed header); the bytes are
  // compared without an early exit.
  return header.size() == want.size() && CRYPTO_memcmp(header.data(), want.data(), want.size()) == 0;
}

GithubWebhook::GithubWebhook(Counters& counters)
    : counters_(counters), server_(std::make_unique<plugin_kit::WebhookServer>()) {}

GithubWebhook::~GithubWebhook() = default;

int GithubWebhook::port() const { return server_->port(); }

std::string GithubWebhook::start(const WebhookConfig& config) {
  if (config.secret.empty())
    return "the github webhook needs init_config.webhookSecret: without it anyone could post events";
  plugin_kit::WebhookUrl url;
  if (std::string err = plugin_kit::parse_webhook_url(config.url, url); !err.empty()) return err;
  auto refused = [this](int status) { counters_.refuse(status == 413 ? Refusal::kTooLarge : Refusal::kNotFound); };
  const std::string secret = config.secret;
  auto routes = [this, secret](httplib::Server& server, const std::string& path) {
    server.Post(path, [this, secret](const httplib::Request& req, httplib::Response& res) {
      // The signature first: nothing of an unauthenticated body is parsed.
      if (!req.has_header("X-Hub-Signature-256")) {
        counters_.refuse(Refusal::kUnsigned);
        answer(res, 401, "missing X-Hub-Signature-256");
        return;
      }
      if (!signature_matches(secret, req.body, req.get_header_value("X-Hub-Signature-256"))) {
        counters_.refuse(Refusal::kBadSignature);
        answer(res, 401, "X-Hub-Signature-256 does not match the body");
        return;
      }
      nlohmann::json payload;
      json_bounds::JsonError e = json_bounds::parse(req.body, payload);
      if (e.refusal != json_bounds::JsonRefusal::kNone || !payload.is_object()) {
        const bool deep = e.refusal == json_bounds::JsonRefusal::kTooDeep;
        counters_.refuse(deep ? Refusal::kTooDeep : Refusal::kNotJson);
        answer(res, 400, e.message.empty() ? "the payload must be a JSON object" : e.message);
        return;
      }
      payload["webhook_type"] = req.get_header_value("X-GitHub-Event");
      if (req.has_header("X-GitHub-Delivery")) payload["webhook_delivery"] = req.get_header_value("X-GitHub-Delivery");
      std::vector<Delivery> delivery;
      delivery.emplace_back(payload.dump(), now_ns());
      if (!queue_.push_all(delivery)) {
        counters_.refuse(Refusal::kQueueFull);
        answer(res, 503, "queue full, retry later");
        return;
      }
      counters_.accepted.fetch_add(1, std::memory_order_relaxed);
      res.status = 200;
    });
  };
  return server_->start(url, {config.ssl_certificate, config.max_body_bytes}, refused, routes);
}

std::vector<Delivery> GithubWebhook::take(size_t max) { return queue_.take(max); }

}  // namespace kestrel::github
