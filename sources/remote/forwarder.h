// forwarder.h — `kestrel --forward URI`: sends this Kestrel's event stream
// (stream_codec.h) to a host or collector over a transport (transport.h).
//
// Two sides, two threads:
//   - the engine thread calls append() for every event record and
//     poll() once per loop; both only copy into the open batch and, when
//     it is full or old, move it into a bounded queue. They never block
//     and never do I/O: when the queue is full the batch is dropped and its
//     records counted (stats().dropped); the receiver sees the jump in
//     sequence numbers and counts the same loss.
//   - a sender thread connects (retrying with backoff), writes the
//     preamble and hello, asks the engine thread for a fresh snapshot of
//     its thread table (wants_snapshot() / give_snapshot(), answered at the
//     engine's next poll()), sends it, then sends queued batches in order;
//     a write error drops the connection and it starts again, so every
//     connection begins with a fresh snapshot.
//
// Sequence numbers count every record append() was given, sent or not.
// Only host-domain records (the machine's own) are forwarded; others
// (gVisor sandboxes on a forwarding node) are counted in
// stats().not_forwarded.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "sources/remote/stream_codec.h"
#include "sources/remote/transport.h"
#include "state/thread_info.h"

namespace kestrel::remote {

struct ForwarderOptions {
  Endpoint endpoint;
  TlsFiles tls;
  std::string name;  // forward.name: this machine's name for itself; empty: its hostname
  size_t buffer_bytes = 8u << 20;  // queued, encoded-to-be batches; beyond: drop
  size_t batch_records = 1024;
  size_t batch_bytes = 256u << 10;
  std::chrono::milliseconds flush_interval{50};   // an open batch older than this is queued
  std::chrono::milliseconds progress_interval{1000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds max_backoff{2000};
  // Lines about connections (made, lost), rate limited by the backoff.
  std::function<void(const std::string&)> log;
};

struct ForwarderStats {
  uint64_t produced = 0;       // records given to append() (host domain)
  uint64_t sent = 0;           // records written to a connection
  uint64_t dropped = 0;        // records dropped: queue full or lost with a connection
  uint64_t not_forwarded = 0;  // records of other domains
  uint64_t batches_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t connections = 0;    // successful connects
  uint64_t connect_failures = 0;
  uint64_t snapshots_sent = 0;
  bool connected = false;
  uint64_t queued_bytes = 0;
};

class Forwarder {
 public:
  explicit Forwarder(ForwarderOptions options);
  ~Forwarder();  // stop()s
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Starts the sender thread; `header` is sent in every hello (machine
  // info). Call once.
  void start(kcap::KcapHeader header);

  // Engine thread. One event record of `domain`; never blocks.
  void append(std::span<const uint8_t> record, uint32_t domain);
  // Engine thread, once per loop: queues an open batch older than the
  // flush interval; answers a pending snapshot request with `snapshot()`.
  template <typename SnapshotFn>
  void poll(SnapshotFn&& snapshot) {
    if (wants_snapshot_.load(std::memory_order_acquire)) give_snapshot(snapshot());
    poll_batch();
  }

  // Queues what is open, sends an end frame if connected (waiting up to
  // `drain` for the queue to empty), stops the sender. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(2000));

  ForwarderStats stats() const;

 private:
  struct Batch {
    uint64_t first_sequence = 0;
    uint32_t records = 0;
    std::vector<uint8_t> bytes;
  };
  void give_snapshot(std::vector<ThreadInfo> threads);
  void poll_batch();
  void seal_batch();
  void run_sender();
  Status send_connection(Connection& conn, uint32_t connection_number);

  ForwarderOptions options_;
  kcap::KcapHeader header_;
  uint64_t stream_id_ = 0;
  StreamEncoder encoder_;

  // Engine thread only.
  Batch open_;
  std::chrono::steady_clock::time_point open_since_{};
  uint64_t next_sequence_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  size_t queued_bytes_ = 0;
  std::optional<std::vector<ThreadInfo>> snapshot_;
  bool stopping_ = false;
  bool sent_end_ = false;

  std::atomic<bool> wants_snapshot_{false};
  std::atomic<uint64_t> produced_{0}, sent_{0}, dropped_{0}, not_forwarded_{0}, batches_sent_{0},
      bytes_sent_{0}, connections_{0}, connect_failures_{0}, snapshots_sent_{0};
  std::atomic<bool> connected_{false};
  std::atomic<int> current_fd_{-1};
  std::thread sender_;
};

}  // namespace kestrel::remote
