// alert_hub.h — the one queue of alerts the gRPC outputs service drains
// (no gRPC here).
//
// As Falco's gRPC server: every alert goes into one shared queue, and
// every `sub` stream and every `get` call take from it, so an alert reaches
// exactly one consumer (two `sub` clients split the stream; a `get` takes
// what is queued at that moment). Alerts raised while nobody consumes wait
// in the queue; it is bounded (`capacity`): when full the oldest is dropped
// and counted. close() ends every `sub` once the queue is empty, so a clean
// shutdown delivers what was already queued. All methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "engine/alert.h"

namespace kestrel::engine {

struct AlertHubOptions {
  size_t capacity = 4096;  // alerts waiting for a consumer
};

struct AlertHubStats {
  uint64_t published = 0;
  uint64_t queue_drops = 0;  // oldest queued alert pushed out by a full queue
  uint64_t subscribers = 0;  // `sub` streams open now
};

// One queued alert and the text Falco's gRPC `output` carries for it (the
// formatted alert line: text, or the JSON object with json_output).
struct HubAlert {
  Alert alert;
  std::string output;
  bool iso_time = false;  // time_format_iso_8601: output_fields name the time evt.time.iso8601
};

class AlertHub {
 public:
  enum class PopResult { kAlert, kTimeout, kClosed };

  explicit AlertHub(AlertHubOptions options = {});

  void publish(HubAlert item);

  // A `sub` stream opens / ends (counted for wait_for_subscribers).
  void subscribe();
  void unsubscribe();
  // The next queued alert, for whichever consumer asks first: kAlert (into
  // `out`), kTimeout after `wait`, or kClosed once closed and empty.
  PopResult pop(HubAlert& out, std::chrono::milliseconds wait);
  // Everything queued now, oldest first (`get`).
  std::vector<HubAlert> take_all();

  // True once `count` `sub` streams are open, false after `timeout`.
  bool wait_for_subscribers(size_t count, std::chrono::milliseconds timeout);
  // True once the queue is empty (every alert taken) or no `sub` stream is
  // open to take the rest (what waits for a later `get` is not waited
  // for), false after `timeout`.
  bool wait_drained(std::chrono::milliseconds timeout);
  void close();
  AlertHubStats stats() const;

 private:
  AlertHubOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<HubAlert> queue_;
  size_t subscribers_ = 0;
  bool closed_ = false;
  AlertHubStats stats_;
};

}  // namespace kestrel::engine
