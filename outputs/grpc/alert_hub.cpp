#include "outputs/grpc/alert_hub.h"

#include <algorithm>

namespace kestrel::engine {

AlertHub::AlertHub(AlertHubOptions options) : options_(options) {}

std::shared_ptr<AlertHub::Subscription> AlertHub::subscribe() {
  auto sub = std::make_shared<Subscription>();
  std::lock_guard lock(mu_);
  subs_.push_back(sub);
  changed_.notify_all();
  return sub;
}

void AlertHub::unsubscribe(const std::shared_ptr<Subscription>& sub) {
  std::lock_guard lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
  changed_.notify_all();
}

AlertHub::PopResult AlertHub::pop(Subscription& sub, Alert& out, std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!changed_.wait_for(lock, wait, [&] { return closed_ || !sub.queue_.empty(); })) return PopResult::kTimeout;
  if (sub.queue_.empty()) return PopResult::kClosed;
  out = std::move(sub.queue_.front());
  sub.queue_.pop_front();
  // wait_drained() watches queues emptying.
  if (sub.queue_.empty()) changed_.notify_all();
  return PopResult::kAlert;
}

void AlertHub::publish(const Alert& alert) {
  std::lock_guard lock(mu_);
  ++stats_.published;
  for (auto& sub : subs_) {
    if (sub->queue_.size() >= options_.subscriber_queue) {
      ++stats_.subscriber_drops;
      continue;
    }
    sub->queue_.push_back(alert);
  }
  if (options_.get_buffer > 0) {
    if (buffered_.size() >= options_.get_buffer) {
      buffered_.pop_front();
      ++stats_.get_buffer_drops;
    }
    buffered_.push_back(alert);
  }
  changed_.notify_all();
}

std::vector<Alert> AlertHub::take_buffered() {
  std::lock_guard lock(mu_);
  std::vector<Alert> out(std::make_move_iterator(buffered_.begin()), std::make_move_iterator(buffered_.end()));
  buffered_.clear();
  return out;
}

bool AlertHub::wait_for_subscribers(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return subs_.size() >= count; });
}

bool AlertHub::wait_drained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return std::all_of(subs_.begin(), subs_.end(), [](const auto& s) { return s->queue_.empty(); });
  });
}

void AlertHub::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  changed_.notify_all();
}

AlertHubStats AlertHub::stats() const {
  std::lock_guard lock(mu_);
  AlertHubStats s = stats_;
  s.subscribers = subs_.size();
  return s;
}

}  // namespace kestrel::engine
