#include "outputs/store/live_feed.h"

namespace kestrel::store {

LiveFeed::Subscription::~Subscription() {
  std::lock_guard lock(feed_->mu_);
  feed_->readers_.erase(it_);
}

std::optional<std::string> LiveFeed::Subscription::next(std::chrono::milliseconds wait) {
  std::unique_lock lock(feed_->mu_);
  feed_->changed_.wait_for(lock, wait, [&] { return feed_->closed_ || !it_->backlog.empty(); });
  if (feed_->closed_ || it_->backlog.empty()) return std::nullopt;
  std::string line = std::move(it_->backlog.front());
  it_->backlog.pop_front();
  return line;
}

uint64_t LiveFeed::Subscription::missed() const {
  std::lock_guard lock(feed_->mu_);
  return it_->missed;
}

bool LiveFeed::Subscription::closed() const {
  std::lock_guard lock(feed_->mu_);
  return feed_->closed_;
}

void LiveFeed::publish(const std::string& line) {
  {
    std::lock_guard lock(mu_);
    if (readers_.empty()) return;
    for (auto& r : readers_) {
      if (r.backlog.size() >= kBacklog) {
        r.backlog.pop_front();
        ++r.missed;
      }
      r.backlog.push_back(line);
    }
  }
  changed_.notify_all();
}

std::unique_ptr<LiveFeed::Subscription> LiveFeed::subscribe(const std::shared_ptr<LiveFeed>& feed) {
  std::lock_guard lock(feed->mu_);
  auto it = feed->readers_.emplace(feed->readers_.end());
  return std::make_unique<Subscription>(feed, it);
}

void LiveFeed::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  changed_.notify_all();
}

size_t LiveFeed::subscribers() const {
  std::lock_guard lock(mu_);
  return readers_.size();
}

}  // namespace kestrel::store
