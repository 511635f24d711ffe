// alert_hub.h — fan-out of alerts to gRPC subscribers (no gRPC here).
//
// The gRPC sink publishes every alert into the hub; each `sub` stream has
// its own bounded queue, so one slow client never holds up the others or
// the output thread (its overflow is dropped and counted). A separate
// bounded buffer keeps the alerts raised since the last `get` call (oldest
// dropped first, counted). close() ends every subscription once its queue
// is empty, so a clean shutdown delivers what was already queued.
// All methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/alert.h"

namespace kestrel::engine {

struct AlertHubOptions {
  size_t subscriber_queue = 4096;  // alerts per `sub` stream
  size_t get_buffer = 4096;        // alerts kept for `get`
};

struct AlertHubStats {
  uint64_t published = 0;
  uint64_t subscriber_drops = 0;  // a sub stream's queue was full
  uint64_t get_buffer_drops = 0;  // oldest buffered alert pushed out
  uint64_t subscribers = 0;       // currently connected
};

class AlertHub {
 public:
  class Subscription;
  enum class PopResult { kAlert, kTimeout, kClosed };

  explicit AlertHub(AlertHubOptions options = {});

  // A new subscription; it receives alerts published from now on.
  std::shared_ptr<Subscription> subscribe();
  void unsubscribe(const std::shared_ptr<Subscription>& sub);

  // Next alert of `sub`: kAlert (into `out`), kTimeout after `wait`, or
  // kClosed once the hub is closed and `sub`'s queue is empty.
  PopResult pop(Subscription& sub, Alert& out, std::chrono::milliseconds wait);

  void publish(const Alert& alert);
  // The alerts buffered since the previous call, oldest first.
  std::vector<Alert> take_buffered();

  // True once `count` subscriptions are open, false after `timeout`.
  bool wait_for_subscribers(size_t count, std::chrono::milliseconds timeout);
  // True once every subscription's queue is empty (sent), false after `timeout`.
  bool wait_drained(std::chrono::milliseconds timeout);
  void close();
  AlertHubStats stats() const;

  class Subscription {
   private:
    friend class AlertHub;
    std::deque<Alert> queue_;
  };

 private:
  AlertHubOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Subscription>> subs_;
  std::deque<Alert> buffered_;
  bool closed_ = false;
  AlertHubStats stats_;
};

}  // namespace kestrel::engine
