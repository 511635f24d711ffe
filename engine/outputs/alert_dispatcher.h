// alert_dispatcher.h — the asynchronous path from the engine to the sinks.
//
// The engine thread calls submit(), which never blocks: the alert goes into
// a bounded queue, or — when the queue is full or the optional token-bucket
// rate limiter is empty — it is dropped and counted. One output thread
// formats each alert once and hands it to every sink. stop() drains the
// queue and flushes the sinks, so a clean shutdown loses nothing queued.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/outputs/alert_format.h"
#include "engine/outputs/output_sink.h"

namespace kestrel::engine {

struct DispatcherOptions {
  size_t queue_capacity = 8192;  // alerts
  AlertFormatOptions format{};
  // Token bucket (Falco's outputs.rate / outputs.max_burst); rate 0 = off.
  double rate_per_second = 0;
  double max_burst = 1000;
};

struct DispatcherStats {
  uint64_t submitted = 0;
  uint64_t delivered = 0;        // written to every sink without error
  uint64_t dropped_queue_full = 0;
  uint64_t dropped_rate_limited = 0;
  std::map<std::string, uint64_t> sink_errors;  // by sink name
  // Each sink's own counters (OutputSink::counters), by sink name.
  std::map<std::string, std::map<std::string, uint64_t>> sink_counters;
};

class AlertDispatcher {
 public:
  AlertDispatcher(DispatcherOptions options, std::vector<std::unique_ptr<OutputSink>> sinks);
  ~AlertDispatcher();
  AlertDispatcher(const AlertDispatcher&) = delete;
  AlertDispatcher& operator=(const AlertDispatcher&) = delete;

  // Never blocks. False if the alert was dropped (and counted).
  bool submit(Alert alert);
  // Ask the output thread to reopen every sink (SIGHUP).
  void reopen();
  // Drains what is queued, flushes, joins the thread. Idempotent.
  void stop();
  DispatcherStats stats() const;

 private:
  void run();
  bool take_token();

  DispatcherOptions options_;
  std::vector<std::unique_ptr<OutputSink>> sinks_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Alert> queue_;
  bool stopping_ = false;
  bool reopen_requested_ = false;
  DispatcherStats stats_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_refill_;
  std::thread thread_;
};

}  // namespace kestrel::engine
