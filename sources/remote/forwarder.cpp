#include "sources/remote/forwarder.h"

#include <sys/socket.h>

#include <random>

namespace kestrel::remote {

namespace {

uint64_t random_stream_id() {
  std::random_device rd;
  uint64_t id = (uint64_t{rd()} << 32) ^ rd();
  return id == 0 ? 1 : id;
}

}  // namespace

Forwarder::Forwarder(ForwarderOptions options) : options_(std::move(options)), stream_id_(random_stream_id()) {
  if (options_.batch_records == 0) options_.batch_records = 1;
}

Forwarder::~Forwarder() { stop(std::chrono::milliseconds(0)); }

void Forwarder::start(kcap::KcapHeader header) {
  header_ = std::move(header);
  if (options_.name.empty()) options_.name = header_.machine.hostname;
  sender_ = std::thread([this] { run_sender(); });
}

void Forwarder::append(std::span<const uint8_t> record, uint32_t domain) {
  if (domain != 0) {
    not_forwarded_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  produced_.fetch_add(1, std::memory_order_relaxed);
  if (open_.records == 0) {
    open_.first_sequence = next_sequence_;
    open_since_ = std::chrono::steady_clock::now();
  }
  open_.bytes.insert(open_.bytes.end(), record.begin(), record.end());
  ++open_.records;
  ++next_sequence_;
  if (open_.records >= options_.batch_records || open_.bytes.size() >= options_.batch_bytes) seal_batch();
}

void Forwarder::poll_batch() {
  if (open_.records > 0 && std::chrono::steady_clock::now() - open_since_ >= options_.flush_interval) seal_batch();
}

void Forwarder::seal_batch() {
  if (open_.records == 0) return;
  const size_t bytes = open_.bytes.size();
  {
    std::lock_guard lock(mu_);
    if (queued_bytes_ + bytes > options_.buffer_bytes) {
      // Back-pressure never reaches capture: the batch goes, counted; its
      // sequence numbers stay used, so the receiver counts the same gap.
      dropped_.fetch_add(open_.records, std::memory_order_relaxed);
      open_.bytes.clear();
      open_.records = 0;
      return;
    }
    queued_bytes_ += bytes;
    queue_.push_back(std::move(open_));
  }
  cv_.notify_one();
  open_ = Batch{};
  open_.bytes.reserve(std::min(options_.batch_bytes, bytes * 2));
}

void Forwarder::give_snapshot(std::vector<ThreadInfo> threads) {
  seal_batch();  // what came before the snapshot goes before it, in order
  {
    std::lock_guard lock(mu_);
    snapshot_ = std::move(threads);
    wants_snapshot_.store(false, std::memory_order_release);
  }
  cv_.notify_one();
}

void Forwarder::run_sender() {
  auto backoff = std::chrono::milliseconds(100);
  uint32_t connection_number = 0;
  bool logged_failure = false;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto conn = connect_endpoint(options_.endpoint, options_.tls, options_.connect_timeout);
    if (!conn.ok()) {
      connect_failures_.fetch_add(1, std::memory_order_relaxed);
      if (!logged_failure && options_.log)
        options_.log("forward: cannot connect to " + options_.endpoint.uri + ": " + conn.status().to_string() +
                     " (retrying; records are buffered, then dropped and counted)");
      logged_failure = true;
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, backoff, [&] { return stopping_; });
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    logged_failure = false;
    backoff = std::chrono::milliseconds(100);
    connections_.fetch_add(1, std::memory_order_relaxed);
    connected_.store(true);
    if (options_.log)
      options_.log("forward: connected to " + options_.endpoint.uri + " (connection " +
                   std::to_string(connection_number) + ")");
    current_fd_.store((*conn)->fd());
    Status st = send_connection(**conn, connection_number++);
    current_fd_.store(-1);
    connected_.store(false);
    if (!st.ok() && options_.log) options_.log("forward: connection lost: " + st.to_string());
  }
}

Status Forwarder::send_connection(Connection& conn, uint32_t connection_number) {
  // A fresh snapshot of the engine's tables for every connection.
  std::vector<ThreadInfo> snapshot;
  uint64_t next_sequence = 0;
  {
    std::unique_lock lock(mu_);
    snapshot_.reset();
    wants_snapshot_.store(true, std::memory_order_release);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return snapshot_.has_value() || stopping_; });
    wants_snapshot_.store(false, std::memory_order_release);
    if (snapshot_) snapshot = std::move(*snapshot_);
    snapshot_.reset();
    // The hello names the first record that follows: the oldest queued
    // batch's, or the next record the engine will append.
    next_sequence = queue_.empty() ? produced_.load() : queue_.front().first_sequence;
  }
  std::vector<uint8_t> out;
  StreamEncoder::append_preamble(out);
  StreamHello hello;
  hello.header = header_;
  hello.stream_id = stream_id_;
  hello.name = options_.name;
  hello.connection = connection_number;
  hello.next_sequence = next_sequence;
  if (Status st = encoder_.append_hello(hello, out); !st.ok()) return st;
  if (Status st = encoder_.append_snapshot(snapshot, out); !st.ok()) return st;
  if (Status st = conn.write_all(out); !st.ok()) return st;
  snapshots_sent_.fetch_add(1, std::memory_order_relaxed);
  bytes_sent_.fetch_add(out.size(), std::memory_order_relaxed);

  auto last_write = std::chrono::steady_clock::now();
  for (;;) {
    std::optional<Batch> batch;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.progress_interval, [&] { return !queue_.empty() || stopping_; });
      if (!queue_.empty()) {
        batch = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= batch->bytes.size();
      }
      stopping = stopping_ && queue_.empty();
    }
    out.clear();
    if (batch) {
      Status st = encoder_.append_batch(batch->first_sequence, produced_.load(std::memory_order_relaxed), batch->records,
                                        batch->bytes, out);
      if (st.ok()) st = conn.write_all(out);
      if (!st.ok()) {
        dropped_.fetch_add(batch->records, std::memory_order_relaxed);
        return st;
      }
      sent_.fetch_add(batch->records, std::memory_order_relaxed);
      batches_sent_.fetch_add(1, std::memory_order_relaxed);
      bytes_sent_.fetch_add(out.size(), std::memory_order_relaxed);
      last_write = std::chrono::steady_clock::now();
    } else if (!stopping && std::chrono::steady_clock::now() - last_write >= options_.progress_interval) {
      // Idle: tell the receiver how far the stream got (records dropped
      // with no batch after them would otherwise go unseen).
      if (Status st = encoder_.append_progress({produced_.load(), dropped_.load()}, out); !st.ok()) return st;
      if (Status st = conn.write_all(out); !st.ok()) return st;
      last_write = std::chrono::steady_clock::now();
    }
    if (stopping) {
      out.clear();
      if (Status st = encoder_.append_end(batches_sent_.load(), sent_.load(), out); !st.ok()) return st;
      Status st = conn.write_all(out);
      std::lock_guard lock(mu_);
      sent_end_ = st.ok();
      return st;
    }
  }
}

void Forwarder::stop(std::chrono::milliseconds drain) {
  if (!sender_.joinable()) return;
  seal_batch();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (drain.count() == 0) {
      dropped_.fetch_add([&] {
        uint64_t n = 0;
        for (const auto& b : queue_) n += b.records;
        return n;
      }(), std::memory_order_relaxed);
      queue_.clear();
      queued_bytes_ = 0;
    }
  }
  cv_.notify_all();
  // The sender drains the queue and sends the end frame, unless the
  // receiver does not read: then it is left behind after `drain`.
  auto deadline = std::chrono::steady_clock::now() + drain;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      if (sent_end_ || (queue_.empty() && !connected_.load())) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // A receiver that does not read must not hold exit: cut the connection
  // (its write fails), then the sender returns.
  if (int fd = current_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  sender_.join();
}

ForwarderStats Forwarder::stats() const {
  ForwarderStats s;
  s.produced = produced_.load();
  s.sent = sent_.load();
  s.dropped = dropped_.load();
  s.not_forwarded = not_forwarded_.load();
  s.batches_sent = batches_sent_.load();
  s.bytes_sent = bytes_sent_.load();
  s.connections = connections_.load();
  s.connect_failures = connect_failures_.load();
  s.snapshots_sent = snapshots_sent_.load();
  s.connected = connected_.load();
  std::lock_guard lock(mu_);
  s.queued_bytes = queued_bytes_;
  return s;
}

}  // namespace kestrel::remote
