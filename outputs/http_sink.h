// http_sink.h — alerts POSTed as JSON (Falco's http_output, Falcosidekick).
//
// Each alert is POSTed on its own as Falco's JSON object (time, rule,
// priority, source, hostname, output, output_fields, tags) with
// Content-Type application/json, so Falcosidekick accepts it unchanged —
// whatever the line format of the other sinks is.
//
// write() runs on the sink's own worker (sink_worker.h), whose bounded
// queue (outputs.http.queue_capacity, the alert being retried included)
// holds what waits, so a slow or failing server never holds up the other
// sinks. A failed POST (connection error, timeout, HTTP 5xx, 429 or 408) is
// retried with exponential backoff (initial_backoff doubling up to
// max_backoff) *without* giving the alert up, so an outage loses nothing
// within the queue bound; only cancel() (the shutdown deadline) ends the
// retries, and the worker counts that alert as dropped at shutdown. Other
// 4xx answers mean the server will never take that alert: write() returns
// an error (counted as a failed delivery) and the sink counts it as
// "rejected".
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "outputs/alert_format.h"
#include "outputs/output_sink.h"

namespace kestrel::engine {

struct HttpSinkOptions {
  std::string url;
  std::string user_agent = "kestrel";
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds request_timeout{5000};
  AlertFormatOptions format{.json = true};  // `json` is forced on
};

// Counters (see OutputSink::counters): sent, retries, rejected.
std::unique_ptr<OutputSink> make_http_sink(HttpSinkOptions options);

}  // namespace kestrel::engine
