// webhook_queue.h — what a webhook's server thread hands next_batch: a
// bounded queue the server thread never blocks on (a full queue is a 503
// for the sender, decided by the plugin). Header-only (see plugin_event.h).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace kestrel::plugin_kit {

// At most `capacity` items; a request's items are queued whole or not at all.
template <class Item>
class WebhookQueue {
 public:
  explicit WebhookQueue(size_t capacity) : capacity_(capacity) {}

  // False (nothing queued) when the items would overflow the queue.
  bool push_all(std::vector<Item>& items) {
    std::lock_guard lock(mu_);
    if (queue_.size() + items.size() > capacity_) return false;
    for (auto& item : items) queue_.push_back(std::move(item));
    return true;
  }

  // Up to `max` items, oldest first.
  std::vector<Item> take(size_t max) {
    std::lock_guard lock(mu_);
    std::vector<Item> out;
    while (!queue_.empty() && out.size() < max) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return out;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::deque<Item> queue_;
};

}  // namespace kestrel::plugin_kit
