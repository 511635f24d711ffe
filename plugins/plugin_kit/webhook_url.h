// webhook_url.h — "http[s]://[HOST]:PORT/PATH" as our webhook plugins take
// it in open_params. Header-only (see plugin_event.h).
//
// An empty host means 127.0.0.1: listening on every interface must be
// asked for ("http://0.0.0.0:PORT/..."). IPv6 hosts come in brackets.
// Port 0 asks for any free port.
#pragma once

#include <charconv>
#include <string>

namespace kestrel::plugin_kit {

struct WebhookUrl {
  bool tls = false;
  std::string host, path;
  int port = 0;
};

// Fills `out`; the error text, empty on success.
inline std::string parse_webhook_url(const std::string& url, WebhookUrl& out) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    out.tls = true;
  } else {
    return "webhook URL must start with http:// or https://: " + url;
  }
  const auto slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos) return "webhook URL needs a port: " + url;
  out.host = hostport.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  auto [p, ec] = std::from_chars(hostport.data() + colon + 1, hostport.data() + hostport.size(), out.port);
  if (ec != std::errc() || p != hostport.data() + hostport.size() || out.port < 0 || out.port > 65535)
    return "webhook URL has a bad port: " + url;
  if (out.host.empty()) out.host = "127.0.0.1";
  return {};
}

}  // namespace kestrel::plugin_kit
