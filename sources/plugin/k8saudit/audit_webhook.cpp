#include "sources/plugin/k8saudit/audit_webhook.h"

#include <httplib.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "sources/plugin/k8saudit/audit_fields.h"

namespace kestrel::k8saudit {
namespace {

void collect(const nlohmann::json& doc, std::vector<QueuedEvent>& out) {
  if (doc.is_array()) {
    for (const auto& e : doc) collect(e, out);
    return;
  }
  if (!doc.is_object()) return;
  if (doc.contains("kind") && doc["kind"] == "EventList" && doc.contains("items")) {
    collect(doc["items"], out);
    return;
  }
  out.emplace_back(doc.dump(), audit_event_time_ns(doc).value_or(UINT64_MAX));
}

}  // namespace

AuditWebhook::AuditWebhook() = default;

AuditWebhook::~AuditWebhook() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string AuditWebhook::start(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return "webhook URL must start with http://";
  std::string rest = url.substr(kScheme.size());
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) return "webhook URL needs a port: " + url;
  std::string host = hostport.substr(0, colon);
  int port = 0;
  auto [p, ec] = std::from_chars(hostport.data() + colon + 1, hostport.data() + hostport.size(), port);
  if (ec != std::errc() || p != hostport.data() + hostport.size() || port <= 0 || port > 65535)
    return "webhook URL has a bad port: " + url;
  if (host.empty()) host = "0.0.0.0";

  server_ = std::make_unique<httplib::Server>();
  server_->set_payload_max_length(kMaxBody);
  server_->Post(path, [this](const httplib::Request& req, httplib::Response& res) {
    auto doc = nlohmann::json::parse(req.body, nullptr, false);
    if (doc.is_discarded()) {
      std::lock_guard lock(mu_);
      ++refused_;
      res.status = 400;
      res.set_content("body is not JSON\n", "text/plain");
      return;
    }
    std::vector<QueuedEvent> events;
    collect(doc, events);
    std::lock_guard lock(mu_);
    if (queue_.size() + events.size() > kMaxQueued) {
      refused_ += events.size();
      res.status = 503;
      res.set_content("queue full\n", "text/plain");
      return;
    }
    for (auto& e : events) queue_.push_back(std::move(e));
    res.status = 200;
  });
  if (!server_->bind_to_port(host, port)) return "cannot listen on " + host + ":" + std::to_string(port);
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

uint64_t AuditWebhook::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace kestrel::k8saudit
