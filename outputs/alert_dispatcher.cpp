#include "outputs/alert_dispatcher.h"

#include <algorithm>

namespace kestrel::engine {

AlertDispatcher::AlertDispatcher(DispatcherOptions options, std::vector<std::unique_ptr<OutputSink>> sinks)
    : options_(std::move(options)), bucket_(options_.rate_per_second, options_.max_burst) {
  for (auto& sink : sinks) {
    auto it = options_.sink_queue_capacity.find(std::string(sink->name()));
    size_t capacity = it != options_.sink_queue_capacity.end() ? it->second : options_.queue_capacity;
    workers_.push_back(std::make_unique<SinkWorker>(std::move(sink), capacity, options_.log));
  }
  abandoned_.assign(workers_.size(), false);
}

AlertDispatcher::~AlertDispatcher() {
  stop();
  // A worker whose thread is stuck in its sink is still in use by that
  // thread: leak it (the process is on its way out).
  for (size_t i = 0; i < workers_.size(); ++i)
    if (abandoned_[i]) (void)workers_[i].release();
}

bool AlertDispatcher::take_token() {
  if (options_.rate_per_second <= 0) return true;
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return bucket_.claim(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
}

bool AlertDispatcher::submit(Alert alert) {
  {
    std::lock_guard lock(mu_);
    ++submitted_;
    if (!take_token()) {
      ++dropped_rate_limited_;
      return false;
    }
  }
  // A stopped worker counts the offer as dropped_shutdown itself.
  auto item = std::make_shared<const QueuedAlert>(std::move(alert), options_.format);
  bool all = true;
  for (auto& w : workers_) all = w->offer(item) && all;
  return all;
}

void AlertDispatcher::reopen() {
  for (auto& w : workers_) w->reopen();
}

void AlertDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  // One deadline for all sinks: they drain in parallel, each on its thread.
  const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_timeout;
  for (size_t i = 0; i < workers_.size(); ++i) abandoned_[i] = !workers_[i]->finish(deadline);
}

DispatcherStats AlertDispatcher::stats() const {
  DispatcherStats out;
  {
    std::lock_guard lock(mu_);
    out.submitted = submitted_;
    out.dropped_rate_limited = dropped_rate_limited_;
  }
  for (const auto& w : workers_) out.sinks[w->name()] = w->stats();
  return out;
}

}  // namespace kestrel::engine
