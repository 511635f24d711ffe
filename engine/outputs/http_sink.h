// http_sink.h — alerts POSTed as JSON (Falco's http_output, Falcosidekick).
//
// Each alert is POSTed on its own as Falco's JSON object (time, rule,
// priority, source, hostname, output, output_fields, tags) with
// Content-Type application/json, so Falcosidekick accepts it unchanged —
// whatever the line format of the other sinks is.
//
// The sink has its own bounded queue and sender thread, so a slow or failing
// server never holds up the other sinks. write() only queues: when
// `queue_capacity` alerts are already waiting (the one being sent counts)
// the new alert is dropped and counted as dropped_queue_full. A failed POST
// (connection error, timeout, HTTP 5xx or 429) is retried with exponential
// backoff (initial_backoff doubling up to max_backoff) *without* giving the
// alert up, so an outage loses nothing within the queue bound. Other 4xx
// answers mean the server will never take that alert: it is counted as
// rejected and skipped. flush() waits for the queue to drain up to
// drain_timeout; what is still queued when the sink is destroyed is counted
// as dropped_shutdown.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine/outputs/alert_format.h"
#include "engine/outputs/output_sink.h"

namespace kestrel::engine {

struct HttpSinkOptions {
  std::string url;
  std::string user_agent = "kestrel";
  size_t queue_capacity = 1024;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds drain_timeout{5000};
  AlertFormatOptions format{.json = true};  // `json` is forced on
};

// Counters (see OutputSink::counters): queued, sent, retries,
// dropped_queue_full, rejected, dropped_shutdown.
std::unique_ptr<OutputSink> make_http_sink(HttpSinkOptions options);

}  // namespace kestrel::engine
