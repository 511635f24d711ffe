// sink_worker.h — one output sink with its own bounded queue and thread.
//
// The dispatcher (alert_dispatcher.h) gives every sink a SinkWorker, so a
// slow or blocked sink (a program that never reads, an HTTP server that is
// down) fills and drops only its own queue: the other sinks keep receiving
// every alert.
//
// Accounting: every alert offered to a worker ends in exactly one counter
// once the worker has finished —
//   offered = delivered + failed + dropped_queue_full + dropped_shutdown
// (while it runs, the alerts still queued make up the difference: `queued`).
// The alert being written stays in the queue, so it counts against the
// bound and, if the shutdown deadline interrupts it, as dropped_shutdown.
//
// Threads: offer(), reopen(), stats() from any thread; finish() once, from
// the thread that owns the dispatcher.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "outputs/alert_format.h"
#include "outputs/output_sink.h"

namespace kestrel::engine {

// An alert shared by every sink's queue; its line is formatted once, by the
// first worker that needs it.
class QueuedAlert {
 public:
  QueuedAlert(Alert alert, AlertFormatOptions format) : alert_(std::move(alert)), format_(format) {}
  const Alert& alert() const { return alert_; }
  const std::string& line() const {
    std::call_once(formatted_, [this] { line_ = format_alert(alert_, format_); });
    return line_;
  }

 private:
  Alert alert_;
  AlertFormatOptions format_;
  mutable std::once_flag formatted_;
  mutable std::string line_;
};

// What happened to the alerts offered to one sink (see the header comment).
struct SinkDelivery {
  uint64_t offered = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;              // write() returned an error: the alert is lost
  uint64_t dropped_queue_full = 0;  // the sink's queue was full when offered
  uint64_t dropped_shutdown = 0;    // still queued (or being written) at the shutdown deadline
  uint64_t queued = 0;              // waiting now
  std::map<std::string, uint64_t> counters = {};  // the sink's own (OutputSink::counters)
  uint64_t lost() const { return failed + dropped_queue_full + dropped_shutdown; }
  // The same losses by the reason the summary and /metrics name them.
  std::map<std::string, uint64_t> lost_by_reason() const {
    return {{"queue_full", dropped_queue_full}, {"write_error", failed}, {"shutdown", dropped_shutdown}};
  }
};

class SinkWorker {
 public:
  // `log` receives rare operational lines (first write error, time-outs).
  SinkWorker(std::unique_ptr<OutputSink> sink, size_t capacity, std::function<void(const std::string&)> log);
  ~SinkWorker();
  SinkWorker(const SinkWorker&) = delete;
  SinkWorker& operator=(const SinkWorker&) = delete;

  std::string name() const { return name_; }
  // Never blocks. False if the alert was dropped (counted).
  bool offer(const std::shared_ptr<const QueuedAlert>& alert);
  void reopen();
  // Stops taking alerts and lets the worker deliver what is queued until
  // `deadline`; then cancels the sink's write in progress, counts what is
  // left as dropped_shutdown and joins the thread. A sink that does not
  // return from a write within `grace` after cancel() is abandoned (its
  // thread detached) so shutdown never hangs: finish() then returns false
  // and the caller must leak this worker, which that thread still uses.
  bool finish(std::chrono::steady_clock::time_point deadline,
              std::chrono::milliseconds grace = std::chrono::milliseconds(1000));
  SinkDelivery stats() const;

 private:
  void run();
  void note_failure(const Status& s);

  std::unique_ptr<OutputSink> sink_;
  const std::string name_;
  const size_t capacity_;
  std::function<void(const std::string&)> log_;

  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<std::shared_ptr<const QueuedAlert>> queue_;
  bool stopping_ = false, reopen_requested_ = false, abandoned_ = false, done_ = false;
  SinkDelivery stats_;
  std::chrono::steady_clock::time_point last_error_log_{};
  std::thread thread_;
};

}  // namespace kestrel::engine
