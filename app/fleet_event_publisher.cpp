#include "app/fleet_event_publisher.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "sources/capture/kcap_writer.h"

namespace kestrel {
namespace {

// The kcap writer owns its sink and drops it at close(); this one only
// appends to the publisher's buffer, which outlives it.
class BufferSink final : public kcap::ByteSink {
 public:
  explicit BufferSink(std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  Status write(std::span<const uint8_t> data) override {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return ok_status();
  }
  Status finish() override { return ok_status(); }

 private:
  std::vector<uint8_t>& bytes_;
};

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

class NatsEventPublisher final : public FleetEventPublisher {
 public:
  NatsEventPublisher(std::shared_ptr<fleet::NatsBus> bus, const std::string& node,
                     std::chrono::milliseconds flush_interval, size_t max_batch_records)
      // A message stays under NATS's default 1 MiB max_payload.
      : writer_(kcap::KcapWriterOptions{.max_batch_records = max_batch_records,
                                        .max_batch_bytes = 512u << 10,
                                        .max_snapshot_chunk_bytes = 512u << 10,
                                        .stream_sequence = true}),
        bus_(std::move(bus)),
        subject_(fleet::events_subject(node)),
        run_(std::to_string(now_ns())),
        flush_interval_(flush_interval) {
    jsOptions jo;
    jsOptions_Init(&jo);
    // At most kMaxPending messages wait for their ack; past that a publish
    // gives up after 1 ms (counted as dropped) rather than stall capture.
    jo.PublishAsync.MaxPending = kMaxPending;
    jo.PublishAsync.StallWait = 1;
    jo.PublishAsync.ErrHandler = &NatsEventPublisher::on_publish_error;
    jo.PublishAsync.ErrHandlerClosure = this;
    if (natsConnection_JetStream(&js_, bus_->connection(), &jo) != NATS_OK) js_ = nullptr;
  }

  ~NatsEventPublisher() override {
    (void)close();
    closing_.store(true);
    jsCtx_Destroy(js_);
    (void)discard_resends();
  }

  Status begin(const std::vector<ThreadInfo>& threads) override {
    if (!js_) return Status(StatusCode::kInternal, "fleet events: no JetStream context");
    if (Status st = writer_.open(std::make_unique<BufferSink>(bytes_), subject_); !st.ok()) return st;
    open_ = true;
    kcap::KcapHeader header;
    header.producer = "kestrel";
    header.created_ns = now_ns();
    header.machine = kcap::local_machine_info();
    if (Status st = writer_.write_header(header); !st.ok()) return st;
    if (Status st = writer_.write_snapshot(threads); !st.ok()) return st;
    publish_pending();
    last_publish_ = std::chrono::steady_clock::now();
    return ok_status();
  }

  Status append(std::span<const uint8_t> record, uint32_t domain, bool) override {
    if (!open_) return Status(StatusCode::kInternal, "fleet events: append before begin");
    const uint64_t batches = writer_.batches_written();
    if (Status st = writer_.append(record, domain); !st.ok()) return st;
    const auto now = std::chrono::steady_clock::now();
    // The writer cut a batch (full, or a new domain): those frames go now.
    if (writer_.batches_written() != batches) publish_pending();
    else if (now - last_publish_ >= flush_interval_) flush();
    if (resend_count_.load(std::memory_order_relaxed) && now >= resend_at_) resend(now);
    return ok_status();
  }

  // Publishes the last batch and waits (at most kCloseWait) for every
  // pending ack; what is still unacked then is counted as dropped.
  Status close() override {
    if (!open_) return ok_status();
    open_ = false;
    Status st = writer_.close();
    publish_pending();
    // Until every message is acked (none in flight, none waiting to be
    // sent again) or kCloseWait has passed.
    const auto deadline = std::chrono::steady_clock::now() + kCloseWait;
    bool acked = false;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = std::max<int64_t>(
          1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
      acked = js_PublishAsyncComplete(js_, &po) == NATS_OK;
      if (acked && resend_count_.load() == 0) break;
      acked = false;
      const auto wake = std::min(deadline, std::max(resend_at_, std::chrono::steady_clock::now()));
      std::this_thread::sleep_until(wake);
      if (std::chrono::steady_clock::now() < deadline) resend(std::chrono::steady_clock::now());
    }
    closing_.store(true);
    if (!acked) {
      natsMsgList pending{};
      if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
        dropped_messages_ += static_cast<uint64_t>(pending.Count);
        natsMsgList_Destroy(&pending);
      }
    }
    dropped_messages_ += discard_resends();
    return st;
  }

  FleetEventCounters counters() const override {
    FleetEventCounters c = counters_;
    c.dropped_messages += dropped_messages_.load();
    c.retries = retries_.load();
    return c;
  }

 private:
  void flush() {
    (void)writer_.flush();
    publish_pending();
  }

  // Publishes what the writer has written (whole frames) as one message,
  // acked asynchronously; a failed or timed-out one is sent again by
  // on_publish_error with the same Nats-Msg-Id (stored once).
  void publish_pending() {
    last_publish_ = std::chrono::steady_clock::now();
    const uint64_t events = writer_.events_written() - events_framed_;
    events_framed_ = writer_.events_written();
    if (bytes_.empty()) return;
    const std::string seq = std::to_string(++seq_);
    const std::string id = run_ + "-" + seq;
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject_.c_str(), nullptr, reinterpret_cast<const char*>(bytes_.data()),
                                  static_cast<int>(bytes_.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Kestrel-Run", run_.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Kestrel-Seq", seq.c_str());
    if (s == NATS_OK) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = id.c_str();
      po.MaxWait = kAckWait.count();
      s = js_PublishMsgAsync(js_, &msg, &po);  // takes the message on success
    }
    natsMsg_Destroy(msg);
    if (s == NATS_OK) {
      ++counters_.messages;
      counters_.bytes += bytes_.size();
      counters_.events += events;
    } else {
      ++counters_.dropped_messages;
      counters_.dropped_events += events;
    }
    bytes_.clear();
  }

  // On a client thread: no ack in time (a server lost) or an error answer.
  // The message is kept (same Nats-Msg-Id header) and sent again by the
  // engine thread (append, close) after a backoff. Not at once: while a
  // stream leader is being elected nothing subscribes to the stream's
  // subjects, the server answers "no responders" within microseconds,
  // and a message sent straight back went round ~17 000 times a second
  // (84 786 resends of ~25 KB messages in one 5 s election) — load that
  // on a 2-core host starved the servers' own election and API answers.
  static void on_publish_error(jsCtx*, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<NatsEventPublisher*>(closure);
    if (self->closing_.load()) {
      ++self->dropped_messages_;
      return;  // the library destroys the message
    }
    ++self->retries_;
    std::lock_guard lock(self->resend_mu_);
    self->resend_.push_back(pae->Msg);
    pae->Msg = nullptr;  // ours now: the library leaves it alone
    self->resend_count_.store(self->resend_.size());
  }

  // Sends again what failed; a message refused at once is dropped and
  // counted. Each round pushes the next one further out (kFirstBackoff
  // doubling to kMaxBackoff); a quiet spell starts over.
  void resend(std::chrono::steady_clock::time_point now) {
    std::vector<natsMsg*> batch;
    {
      std::lock_guard lock(resend_mu_);
      batch.swap(resend_);
      resend_count_.store(0);
    }
    if (now - last_resend_ > 2 * kMaxBackoff) backoff_ = kFirstBackoff;
    last_resend_ = now;
    resend_at_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    for (natsMsg* msg : batch) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = kAckWait.count();
      if (js_PublishMsgAsync(js_, &msg, &po) != NATS_OK) {  // takes the message on success
        natsMsg_Destroy(msg);
        ++dropped_messages_;
      }
    }
  }

  // What still waits to be sent again; returns how many.
  uint64_t discard_resends() {
    std::lock_guard lock(resend_mu_);
    for (natsMsg* msg : resend_) natsMsg_Destroy(msg);
    const uint64_t n = resend_.size();
    resend_.clear();
    resend_count_.store(0);
    return n;
  }

  static constexpr int64_t kMaxPending = 256;
  static constexpr std::chrono::milliseconds kAckWait{2000};
  static constexpr std::chrono::milliseconds kCloseWait{10000};
  static constexpr std::chrono::milliseconds kFirstBackoff{50};
  static constexpr std::chrono::milliseconds kMaxBackoff{1000};

  kcap::KcapWriter writer_;
  std::shared_ptr<fleet::NatsBus> bus_;
  std::string subject_;
  std::string run_;
  std::chrono::milliseconds flush_interval_;
  std::vector<uint8_t> bytes_;  // what the writer wrote since the last message
  bool open_ = false;
  jsCtx* js_ = nullptr;
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> dropped_messages_{0}, retries_{0};  // from the client's threads too
  std::mutex resend_mu_;
  std::vector<natsMsg*> resend_;          // failed publishes, guarded by resend_mu_
  std::atomic<size_t> resend_count_{0};   // resend_.size(), read without the lock
  std::chrono::steady_clock::time_point resend_at_, last_resend_;  // the engine thread's
  std::chrono::milliseconds backoff_{kFirstBackoff};
  uint64_t seq_ = 0;
  uint64_t events_framed_ = 0;  // writer_.events_written() at the last message
  std::chrono::steady_clock::time_point last_publish_;
  FleetEventCounters counters_;
};

}  // namespace

std::unique_ptr<FleetEventPublisher> make_fleet_event_publisher(std::shared_ptr<fleet::NatsBus> bus,
                                                                const std::string& node,
                                                                std::chrono::milliseconds flush_interval,
                                                                size_t max_batch_records) {
  return std::make_unique<NatsEventPublisher>(std::move(bus), node, flush_interval, max_batch_records);
}

}  // namespace kestrel
