#include "engine/outputs/alert_dispatcher.h"

#include <algorithm>

namespace kestrel::engine {

AlertDispatcher::AlertDispatcher(DispatcherOptions options, std::vector<std::unique_ptr<OutputSink>> sinks)
    : options_(options), sinks_(std::move(sinks)), tokens_(options.max_burst),
      last_refill_(std::chrono::steady_clock::now()) {
  thread_ = std::thread(&AlertDispatcher::run, this);
}

AlertDispatcher::~AlertDispatcher() { stop(); }

bool AlertDispatcher::take_token() {
  if (options_.rate_per_second <= 0) return true;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - last_refill_).count();
  last_refill_ = now;
  tokens_ = std::min(options_.max_burst, tokens_ + elapsed * options_.rate_per_second);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool AlertDispatcher::submit(Alert alert) {
  std::lock_guard lock(mu_);
  ++stats_.submitted;
  if (!take_token()) {
    ++stats_.dropped_rate_limited;
    return false;
  }
  if (queue_.size() >= options_.queue_capacity || stopping_) {
    ++stats_.dropped_queue_full;
    return false;
  }
  queue_.push_back(std::move(alert));
  wake_.notify_one();
  return true;
}

void AlertDispatcher::reopen() {
  std::lock_guard lock(mu_);
  reopen_requested_ = true;
  wake_.notify_one();
}

void AlertDispatcher::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || reopen_requested_ || !queue_.empty(); });
    if (reopen_requested_) {
      reopen_requested_ = false;
      lock.unlock();
      for (auto& sink : sinks_) sink->reopen();
      lock.lock();
    }
    if (queue_.empty()) {
      if (stopping_) break;
      continue;
    }
    Alert alert = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const std::string line = format_alert(alert, options_.format);
    std::vector<std::string> failed;
    for (auto& sink : sinks_)
      if (!sink->write(alert, line).ok()) failed.emplace_back(sink->name());
    lock.lock();
    for (const auto& name : failed) ++stats_.sink_errors[name];
    if (failed.empty()) ++stats_.delivered;
  }
  lock.unlock();
  for (auto& sink : sinks_) sink->flush();
}

void AlertDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

DispatcherStats AlertDispatcher::stats() const {
  DispatcherStats out;
  {
    std::lock_guard lock(mu_);
    out = stats_;
  }
  for (const auto& sink : sinks_) {
    auto counters = sink->counters();
    if (!counters.empty()) out.sink_counters[std::string(sink->name())] = std::move(counters);
  }
  return out;
}

}  // namespace kestrel::engine
