#include "outputs/sink_worker.h"

namespace kestrel::engine {

namespace {
// At most one logged write error per sink in this interval; all are counted.
constexpr auto kErrorLogInterval = std::chrono::seconds(10);
}  // namespace

SinkWorker::SinkWorker(std::unique_ptr<OutputSink> sink, size_t capacity, std::function<void(const std::string&)> log)
    : sink_(std::move(sink)), name_(sink_->name()), capacity_(capacity == 0 ? 1 : capacity), log_(std::move(log)) {
  thread_ = std::thread(&SinkWorker::run, this);
}

SinkWorker::~SinkWorker() {
  if (thread_.joinable()) finish(std::chrono::steady_clock::now());
}

bool SinkWorker::offer(const std::shared_ptr<const QueuedAlert>& alert) {
  std::lock_guard lock(mu_);
  ++stats_.offered;
  if (stopping_ || queue_.size() >= capacity_) {
    // An alert offered once finish() began (submitted during or after
    // shutdown) is lost to the shutdown.
    ++(stopping_ ? stats_.dropped_shutdown : stats_.dropped_queue_full);
    return false;
  }
  queue_.push_back(alert);
  wake_.notify_one();
  return true;
}

void SinkWorker::reopen() {
  std::lock_guard lock(mu_);
  reopen_requested_ = true;
  wake_.notify_one();
}

void SinkWorker::note_failure(const Status& s) {
  const auto now = std::chrono::steady_clock::now();
  if (!log_ || (stats_.failed > 1 && now - last_error_log_ < kErrorLogInterval)) return;
  last_error_log_ = now;
  log_("output " + name_ + ": " + s.message() + " (" + std::to_string(stats_.failed) + " alerts lost so far)");
}

void SinkWorker::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || reopen_requested_ || !queue_.empty(); });
    if (abandoned_) break;
    if (reopen_requested_) {
      reopen_requested_ = false;
      lock.unlock();
      sink_->reopen();
      lock.lock();
      continue;
    }
    if (queue_.empty()) break;  // stopping, and everything delivered
    // The front stays queued while it is written: it counts against the
    // bound, and as dropped_shutdown if the deadline cuts the write short.
    std::shared_ptr<const QueuedAlert> item = queue_.front();
    lock.unlock();
    Status written = sink_->write(item->alert(), item->line());
    lock.lock();
    if (abandoned_) break;  // finish() already counted it
    queue_.pop_front();
    if (written.ok()) {
      ++stats_.delivered;
    } else {
      ++stats_.failed;
      note_failure(written);
    }
    if (queue_.empty()) {
      lock.unlock();
      sink_->queue_drained();
      lock.lock();
    }
  }
  if (!abandoned_) {
    lock.unlock();
    sink_->flush();
    lock.lock();
  }
  done_ = true;
  idle_.notify_all();
}

bool SinkWorker::finish(std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds grace) {
  if (!thread_.joinable()) return true;
  std::unique_lock lock(mu_);
  stopping_ = true;
  wake_.notify_one();
  if (!idle_.wait_until(lock, deadline, [&] { return done_; })) {
    // Deadline: what is still queued (the alert being written included) is
    // lost; the sink is told to give up its write or flush.
    abandoned_ = true;
    stats_.dropped_shutdown += queue_.size();
    if (log_ && !queue_.empty())
      log_("output " + name_ + ": shutdown deadline reached, " + std::to_string(queue_.size()) +
           " alerts not delivered");
    queue_.clear();
    wake_.notify_one();
    lock.unlock();
    sink_->cancel();
    lock.lock();
    if (!idle_.wait_for(lock, grace, [&] { return done_; })) {
      if (log_) log_("output " + name_ + ": does not return from a blocked write; abandoned");
      lock.unlock();
      thread_.detach();
      return false;
    }
  }
  lock.unlock();
  thread_.join();
  return true;
}

SinkDelivery SinkWorker::stats() const {
  SinkDelivery out;
  {
    std::lock_guard lock(mu_);
    out = stats_;
    out.queued = queue_.size();
  }
  out.counters = sink_->counters();
  return out;
}

}  // namespace kestrel::engine
