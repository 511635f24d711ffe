#include "outputs/grpc/alert_hub.h"

namespace kestrel::engine {

AlertHub::AlertHub(AlertHubOptions options) : options_(options) {}

void AlertHub::publish(HubAlert item) {
  std::lock_guard lock(mu_);
  ++stats_.published;
  if (options_.capacity == 0) {
    ++stats_.queue_drops;
    return;
  }
  if (queue_.size() >= options_.capacity) {
    queue_.pop_front();
    ++stats_.queue_drops;
  }
  queue_.push_back(std::move(item));
  changed_.notify_all();
}

void AlertHub::subscribe() {
  std::lock_guard lock(mu_);
  ++subscribers_;
  changed_.notify_all();
}

void AlertHub::unsubscribe() {
  std::lock_guard lock(mu_);
  if (subscribers_) --subscribers_;
  changed_.notify_all();
}

AlertHub::PopResult AlertHub::pop(HubAlert& out, std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!changed_.wait_for(lock, wait, [&] { return closed_ || !queue_.empty(); })) return PopResult::kTimeout;
  if (queue_.empty()) return PopResult::kClosed;
  out = std::move(queue_.front());
  queue_.pop_front();
  // wait_drained() watches the queue empty.
  if (queue_.empty()) changed_.notify_all();
  return PopResult::kAlert;
}

std::vector<HubAlert> AlertHub::take_all() {
  std::lock_guard lock(mu_);
  std::vector<HubAlert> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  changed_.notify_all();
  return out;
}

bool AlertHub::wait_for_subscribers(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return subscribers_ >= count; });
}

bool AlertHub::wait_drained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return queue_.empty() || subscribers_ == 0; });
}

void AlertHub::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  changed_.notify_all();
}

AlertHubStats AlertHub::stats() const {
  std::lock_guard lock(mu_);
  AlertHubStats s = stats_;
  s.subscribers = subscribers_;
  return s;
}

}  // namespace kestrel::engine
