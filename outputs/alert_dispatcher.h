// alert_dispatcher.h — the asynchronous path from the engine to the sinks.
//
// The engine thread calls submit(), which never blocks: the alert passes
// the optional token-bucket rate limiter (or is dropped and counted), then
// goes into every sink's own bounded queue (sink_worker.h). Each sink has
// its own worker thread, so a slow or blocked sink drops — counted, per
// sink — only its own alerts. The alert is formatted once, by the first
// worker that writes it.
//
// stop() lets every sink deliver what is queued until the shutdown
// deadline (`shutdown_timeout`, Falco's `output_timeout`), then counts what
// is left as dropped_shutdown and returns: a blocked output never holds up
// the exit. Afterwards, for every sink,
//   submitted - dropped_rate_limited = delivered + failed + dropped_queue_full + dropped_shutdown.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/token_bucket.h"
#include "outputs/alert_format.h"
#include "outputs/output_sink.h"
#include "outputs/sink_worker.h"

namespace kestrel::engine {

struct DispatcherOptions {
  size_t queue_capacity = 8192;  // alerts per sink
  // Per-sink queue sizes by sink name ("http": outputs.http.queue_capacity).
  std::map<std::string, size_t> sink_queue_capacity = {};
  AlertFormatOptions format{};
  // Token bucket (Falco's outputs.rate / outputs.max_burst); rate 0 = off.
  double rate_per_second = 0;
  double max_burst = 1000;
  // How long stop() lets the sinks deliver what is queued.
  std::chrono::milliseconds shutdown_timeout{2000};
  // Rare operational lines (write errors, time-outs); empty: none.
  std::function<void(const std::string&)> log = {};
};

struct DispatcherStats {
  uint64_t submitted = 0;
  uint64_t dropped_rate_limited = 0;  // before any sink saw them
  std::map<std::string, SinkDelivery> sinks;  // by sink name
  // Alerts lost on the way out, over every sink (an alert lost by two sinks
  // counts twice), rate-limited ones included.
  uint64_t dropped_total() const {
    uint64_t n = dropped_rate_limited;
    for (const auto& [name, s] : sinks) n += s.lost();
    return n;
  }
};

class AlertDispatcher {
 public:
  AlertDispatcher(DispatcherOptions options, std::vector<std::unique_ptr<OutputSink>> sinks);
  ~AlertDispatcher();
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Never blocks. False if a sink (or the rate limiter) dropped the alert.
  bool submit(Alert alert);
  // Ask every sink to reopen its files and connections (SIGHUP).
  void reopen();
  // Delivers what is queued until the shutdown deadline, counts the rest,
  // joins the workers. Idempotent. Alerts submitted afterwards are counted
  // as dropped_shutdown.
  void stop();
  DispatcherStats stats() const;

 private:
  bool take_token();

  DispatcherOptions options_;
  std::vector<std::unique_ptr<SinkWorker>> workers_;
  std::vector<bool> abandoned_;  // by worker: stuck in its sink at stop()
  mutable std::mutex mu_;  // the token bucket, the counters, stopped_
  bool stopped_ = false;
  uint64_t submitted_ = 0, dropped_rate_limited_ = 0;
  TokenBucket bucket_;  // on the steady clock
};

}  // namespace kestrel::engine
