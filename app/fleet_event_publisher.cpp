#include "app/fleet_event_publisher.h"

#include <nats/nats.h>

#include <chrono>

#include "sources/capture/kcap_writer.h"

namespace kestrel {
namespace {

// Collects what the kcap writer writes; the publisher takes it whole at
// frame boundaries (after the writer's flush).
class BufferSink final : public kcap::ByteSink {
 public:
  Status write(std::span<const uint8_t> data) override {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return ok_status();
  }
  Status finish() override { return ok_status(); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
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
                                        .max_snapshot_chunk_bytes = 512u << 10}),
        bus_(std::move(bus)),
        subject_(fleet::events_subject(node)),
        run_(std::to_string(now_ns())),
        flush_interval_(flush_interval) {}

  Status begin(const std::vector<ThreadInfo>& threads) override {
    auto sink = std::make_unique<BufferSink>();
    sink_ = sink.get();
    if (Status st = writer_.open(std::move(sink), subject_); !st.ok()) return st;
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
    if (!sink_) return Status(StatusCode::kInternal, "fleet events: append before begin");
    const uint64_t batches = writer_.batches_written();
    if (Status st = writer_.append(record, domain); !st.ok()) return st;
    // The writer cut a batch (full, or a new domain): those frames go now.
    if (writer_.batches_written() != batches) publish_pending();
    else if (std::chrono::steady_clock::now() - last_publish_ >= flush_interval_) flush();
    return ok_status();
  }

  Status close() override {
    if (!sink_) return ok_status();
    Status st = writer_.close();
    publish_pending();
    natsConnection_FlushTimeout(bus_->connection(), 2000);
    sink_ = nullptr;
    return st;
  }

  FleetEventCounters counters() const override { return counters_; }

 private:
  void flush() {
    (void)writer_.flush();
    publish_pending();
  }

  // Publishes what the writer has written (whole frames) as one message.
  void publish_pending() {
    last_publish_ = std::chrono::steady_clock::now();
    const uint64_t events = writer_.events_written() - events_framed_;
    events_framed_ = writer_.events_written();
    auto& bytes = sink_->bytes();
    if (bytes.empty()) return;
    const std::string seq = std::to_string(++seq_);
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject_.c_str(), nullptr, reinterpret_cast<const char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Kestrel-Run", run_.c_str());
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Kestrel-Seq", seq.c_str());
    if (s == NATS_OK) s = natsConnection_PublishMsg(bus_->connection(), msg);
    natsMsg_Destroy(msg);
    if (s == NATS_OK) {
      ++counters_.messages;
      counters_.bytes += bytes.size();
      counters_.events += events;
    } else {
      ++counters_.dropped_messages;
      counters_.dropped_events += events;
    }
    bytes.clear();
  }

  kcap::KcapWriter writer_;
  std::shared_ptr<fleet::NatsBus> bus_;
  std::string subject_;
  std::string run_;
  std::chrono::milliseconds flush_interval_;
  BufferSink* sink_ = nullptr;  // owned by writer_
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
