// retry_wait.h — how a sink that keeps an alert until it is delivered
// (http, nats) waits between tries: the delay doubles from the first up to
// a cap, and cancel() (the dispatcher's exit deadline) ends a wait at once
// and every later one, so shutting down never waits out a backoff.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kestrel::engine {

class RetryWait {
 public:
  // Called by cancel() of the sink, from another thread.
  void cancel() {
    std::lock_guard lock(mu_);
    cancelled_.store(true);
    cancelled_cv_.notify_all();
  }

  bool cancelled() const { return cancelled_.load(); }

  // Sleeps `delay` and doubles it up to `cap` for the next try; false when
  // cancelled before or during the wait.
  bool wait(std::chrono::milliseconds& delay, std::chrono::milliseconds cap) {
    std::unique_lock lock(mu_);
    if (cancelled_cv_.wait_for(lock, delay, [&] { return cancelled_.load(); })) return false;
    delay = std::min(delay * 2, cap);
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cancelled_cv_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace kestrel::engine
