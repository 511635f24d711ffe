// multiplexer.h — several sources at once, one stream of events.
//
// Each added Source gets its own reader thread that copies what next()
// yields into a chunk (or, for a batch whose records live in its own
// storage, takes the batch's buffers: no copy, no second parse) and queues
// it; the consumer (the engine thread) takes chunks in arrival order, and
// spent chunks go back to the readers for reuse. Every event is tagged with its source id (the
// order sources were added) and keeps the domain its source gave it.
//
// Queues are bounded per source (bytes). When a live source's queue is full
// its new events are dropped and counted as "queue_full" in that source's
// report — capture never blocks the kernel side. A replay source (live =
// false) is instead made to wait, so a capture file loses nothing.
//
// A source that fails ends its own reader; its error is kept in its report
// and the others keep running. next() returns kEof once every source has
// ended and every queued event has been consumed.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sources/source.h"

namespace kestrel {

struct MultiplexerOptions {
  size_t queue_bytes_per_source = 64u << 20;
  std::chrono::milliseconds poll_wait{50};  // how long a reader waits in Source::next
};

struct SourceReport {
  uint16_t id = 0;
  std::string name;
  SourceStats stats;         // the source's own counters
  uint64_t queue_drops = 0;  // events dropped because our queue was full
  // Events the source delivered that were never processed because capture
  // stopped first (still queued here, or in a reader's hands). After
  // stop(): stats.events = processed + queue_drops + dropped_at_exit.
  uint64_t dropped_at_exit = 0;
  bool ended = false;
  Status error;              // why it ended, if it failed
};

class Multiplexer {
 public:
  explicit Multiplexer(MultiplexerOptions options = {});
  ~Multiplexer();
  Multiplexer(const Multiplexer&) = delete;
  Multiplexer& operator=(const Multiplexer&) = delete;

  // Before start(): takes ownership, returns the id its events will carry.
  uint16_t add(std::unique_ptr<Source> source);

  // Before start(), with exactly one source: that source is read on the
  // consumer's thread, inside next(), with no reader thread and no queue,
  // and asks `judge` about the exit records it is about to build
  // (EventPrejudge). False, and nothing changed, when there is not exactly
  // one source or it does not take a judge.
  bool read_directly(EventPrejudge* judge);

  // Opens every source (in order; the first failure is returned and nothing
  // is left running), collects their initial state, starts the readers.
  Status start();

  // Threads that existed before capture, per source, as gathered by start().
  const std::vector<std::pair<uint16_t, std::vector<ThreadInfo>>>& initial_states() const { return initial_; }
  // The sources' capture_users(), from start(): those that have them.
  const std::vector<CaptureUsers>& capture_users() const { return capture_users_; }

  // True when there is a source and every one is live (SourceCapabilities::
  // live): no replay, so host pids name processes of this machine now.
  bool all_live() const;

  // Consumer side. Views in `out` stay valid until the next call.
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait);

  // Stops the readers and joins them; the sources stay open. What they had
  // already queued is still handed out by next(), which then says kEof: a
  // stop drains, so events taken from the kernel are evaluated rather than
  // dropped. Idempotent; stop() calls it.
  void stop_reading();

  // stop_reading(), then closes the sources; what is still queued is
  // counted as each source's dropped_at_exit. Idempotent.
  void stop();

  std::vector<SourceReport> reports() const;

  // Asks each source, in order, what it knows of process `pid` of `domain`
  // (Source::describe_process); the first answer wins. Thread-safe.
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const;
  // A domain's own users (Source::domain_users); the first answer wins.
  // Thread-safe.
  std::optional<CaptureUsers> domain_users(DomainId domain) const;
  // Gives every source the new in-kernel filters (Source::
  // update_kernel_filters); the first error, naming its source. Callable
  // while running: each source guards its own filter.
  Status update_kernel_filters(const KernelFilterSet& filters);

 private:
  // A batch of one source: its records' bytes and the events viewing them
  // (already tagged with the source id).
  struct Chunk {
    uint16_t source_id = 0;
    std::vector<uint8_t> bytes;
    std::vector<Event> events;
    // Or records still to view (EventBatch::consumer_views), viewed by next().
    std::vector<EventBatch::Record> records;
    size_t size() const { return events.size() + records.size(); }
  };
  struct Slot {
    std::unique_ptr<Source> source;
    size_t queued_bytes = 0;
    uint64_t queue_drops = 0;
    uint64_t dropped_at_exit = 0;
    bool ended = false;
    Status error{};
  };

  void read_loop(uint16_t id);
  // Fills `chunk` from `batch`: takes its buffers when its records live in
  // its storage, else copies them.
  static void fill_chunk(uint16_t id, EventBatch& batch, Chunk& chunk);

  MultiplexerOptions options_;
  std::vector<Slot> slots_;
  std::vector<std::thread> readers_;
  std::vector<std::pair<uint16_t, std::vector<ThreadInfo>>> initial_;
  std::vector<CaptureUsers> capture_users_;
  mutable std::mutex mu_;
  std::condition_variable ready_;  // a chunk was queued or a reader ended
  std::condition_variable space_;  // a chunk was consumed
  std::deque<Chunk> queue_;
  Chunk current_;
  std::vector<Chunk> spare_;  // consumed chunks, emptied, for the readers to refill
  bool stopping_ = false;
  bool started_ = false;
  bool direct_ = false;  // read_directly(): the one source is read in next()
  EventBatch direct_batch_;
  // The batch last handed out (source id, events): consumed() once the
  // consumer comes back for the next one.
  std::pair<uint16_t, size_t> handed_out_{0, 0};
  void release_handed_out();
  Result<NextOutcome> next_direct(EventBatch& out, std::chrono::milliseconds wait);
};

}  // namespace kestrel
