#include "sources/capture/kcap_writer.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/io.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "sources/capture/kcap_codec.h"
#include "sources/event/event_view.h"

namespace kestrel::kcap {

namespace {

// First pass over a message: only its crc32, so the frame header (which
// precedes the payload) can carry it without copying the payload.
class Crc32Stream final : public kj::OutputStream {
 public:
  void write(const void* buffer, size_t size) override {
    crc_ = crc32_z(crc_, static_cast<const Bytef*>(buffer), size);
  }
  uint32_t crc() const { return static_cast<uint32_t>(crc_); }

 private:
  uLong crc_ = crc32_z(0, nullptr, 0);
};

// Second pass: into the sink. kj streams report errors by throwing; this
// one records the first error instead and drops the rest.
class SinkStream final : public kj::OutputStream {
 public:
  explicit SinkStream(ByteSink& sink) : sink_(sink) {}
  void write(const void* buffer, size_t size) override {
    if (status_.ok()) status_ = sink_.write({static_cast<const uint8_t*>(buffer), size});
  }
  const Status& status() const { return status_; }

 private:
  ByteSink& sink_;
  Status status_;
};

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Cap'n Proto builders throw kj::Exception (and std::bad_alloc) on limits
// such as a list over 2^29 elements; the writer's callers get a Status.
template <typename F>
Status guarded(const char* what, F&& f) {
  try {
    return f();
  } catch (const kj::Exception& e) {
    return Status(StatusCode::kInternal, std::string(what) + ": " + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, std::string(what) + ": " + e.what());
  }
}

}  // namespace

KcapWriter::KcapWriter(KcapWriterOptions options) : options_(options) {
  options_.max_batch_bytes = std::clamp<size_t>(options_.max_batch_bytes, 1, kMaxFrameBytes / 2);
  options_.max_batch_records = std::clamp<size_t>(options_.max_batch_records, 1, UINT32_MAX);
  options_.max_snapshot_chunk_bytes =
      std::clamp<size_t>(options_.max_snapshot_chunk_bytes, 1, kMaxFrameBytes / 2);
}

KcapWriter::~KcapWriter() { (void)close(); }

Status KcapWriter::fail(Status st) {
  stage_ = Stage::kFailed;
  error_ = st;
  return st;
}

Status KcapWriter::check_stage(bool allowed, const char* what) {
  if (stage_ == Stage::kFailed) return error_;
  if (!allowed)
    return Status(StatusCode::kInvalidArgument,
                  std::string("kcap writer: ") + what + " called out of order (open, write_header, "
                  "write_snapshot, append, close)", SourcePosition{path_});
  return ok_status();
}

Status KcapWriter::open(const std::string& path) {
  if (Status st = check_stage(stage_ == Stage::kClosed, "open"); !st.ok()) return st;
  auto sink = open_byte_sink(path, options_.gzip);
  if (!sink.ok()) return sink.status();
  return open(std::move(sink.value()), path);
}

Status KcapWriter::open(std::unique_ptr<ByteSink> sink, const std::string& name) {
  if (Status st = check_stage(stage_ == Stage::kClosed, "open"); !st.ok()) return st;
  path_ = name;
  sink_ = std::move(sink);
  uint8_t preamble[kPreambleSize] = {};
  std::memcpy(preamble, kMagic, sizeof kMagic);
  put_u32(preamble + 8, kFormatVersion);
  stage_ = Stage::kOpened;
  if (Status st = sink_->write(preamble); !st.ok()) return fail(st);
  offset_ = kPreambleSize;
  batch_.reserve(options_.max_batch_bytes);
  return ok_status();
}

Status KcapWriter::write_frame(capnp::MessageBuilder& message) {
  size_t bytes = capnp::computeSerializedSizeInWords(message) * sizeof(capnp::word);
  if (bytes > kMaxFrameBytes)
    return Status(StatusCode::kInvalidArgument, "kcap frame of " + std::to_string(bytes) +
                      " bytes exceeds the " + std::to_string(kMaxFrameBytes) + "-byte frame cap",
                  SourcePosition{path_});
  Crc32Stream crc;
  capnp::writeMessage(crc, message);
  uint8_t header[kFrameHeaderSize];
  put_u32(header, static_cast<uint32_t>(bytes));
  put_u32(header + 4, crc.crc());
  if (Status st = sink_->write(header); !st.ok()) return fail(st);
  SinkStream out(*sink_);
  capnp::writeMessage(out, message);
  if (!out.status().ok()) return fail(out.status());
  offset_ += kFrameHeaderSize + bytes;
  return ok_status();
}

Status KcapWriter::write_header(const KcapHeader& header) {
  if (Status st = check_stage(stage_ == Stage::kOpened, "write_header"); !st.ok()) return st;
  Status st = guarded("kcap header", [&] {
    capnp::MallocMessageBuilder message;
    KcapHeader h = header;
    h.format_version = kFormatVersion;
    write_header_message(h, message.initRoot<schema::Frame>().initHeader());
    return write_frame(message);
  });
  if (st.ok()) stage_ = Stage::kHeader;
  return st;
}

Status KcapWriter::write_snapshot_chunk(std::span<const ThreadInfo> threads) {
  return guarded("kcap snapshot", [&] {
    capnp::MallocMessageBuilder message;
    auto list = message.initRoot<schema::Frame>().initSnapshot().initThreads(
        static_cast<unsigned>(threads.size()));
    for (unsigned i = 0; i < threads.size(); ++i) write_thread(threads[i], list[i]);
    return write_frame(message);
  });
}

Status KcapWriter::write_snapshot(const std::vector<ThreadInfo>& threads) {
  if (Status st = check_stage(stage_ == Stage::kHeader, "write_snapshot"); !st.ok()) return st;
  size_t start = 0, chunk_bytes = 0;
  for (size_t i = 0; i < threads.size(); ++i) {
    size_t b = estimate_encoded_bytes(threads[i]);
    if (i > start && chunk_bytes + b > options_.max_snapshot_chunk_bytes) {
      Status st = write_snapshot_chunk(std::span(threads).subspan(start, i - start));
      if (!st.ok()) return st;
      start = i;
      chunk_bytes = 0;
    }
    chunk_bytes += b;
  }
  if (start < threads.size()) return write_snapshot_chunk(std::span(threads).subspan(start));
  return ok_status();
}

Status KcapWriter::append(std::span<const uint8_t> record, uint32_t domain) {
  if (Status st = check_stage(stage_ == Stage::kHeader || stage_ == Stage::kEvents, "append"); !st.ok())
    return st;
  if (record.size() > kMaxFrameBytes / 2)
    return Status(StatusCode::kInvalidArgument,
                  "event record of " + std::to_string(record.size()) + " bytes is too large for a capture");
  if (auto v = EventView::parse(record); !v.ok())
    return Status(StatusCode::kInvalidArgument, "not writing a malformed event record: " + v.status().message());
  stage_ = Stage::kEvents;
  bool full = batch_.size() + record.size() > options_.max_batch_bytes;
  if (batch_records_ > 0 && (full || domain != batch_domain_)) {
    if (Status st = flush(); !st.ok()) return st;
  }
  batch_domain_ = domain;
  batch_.insert(batch_.end(), record.begin(), record.end());
  ++batch_records_;
  if (batch_records_ >= options_.max_batch_records || batch_.size() >= options_.max_batch_bytes) return flush();
  return ok_status();
}

Status KcapWriter::flush() {
  if (stage_ == Stage::kFailed) return error_;
  if (batch_records_ == 0) return ok_status();
  Status st = guarded("kcap event batch", [&] {
    // One segment big enough for the whole batch keeps the frame a single
    // contiguous segment.
    capnp::MallocMessageBuilder message(static_cast<unsigned>(batch_.size() / sizeof(capnp::word) + 64));
    auto ev = message.initRoot<schema::Frame>().initEvents();
    ev.setIndex(batches_);
    ev.setDomain(batch_domain_);
    ev.setRecordCount(batch_records_);
    if (options_.stream_sequence) {
      ev.setFirstSequence(events_);
      ev.setProduced(events_ + batch_records_);
    }
    auto data = ev.initRecords(static_cast<unsigned>(batch_.size()));
    std::memcpy(data.begin(), batch_.data(), batch_.size());
    return write_frame(message);
  });
  if (!st.ok()) return st;
  events_ += batch_records_;
  ++batches_;
  batch_.clear();
  batch_records_ = 0;
  return ok_status();
}

Status KcapWriter::close() {
  if (stage_ == Stage::kClosed) return ok_status();
  Status st = stage_ == Stage::kFailed ? error_ : ok_status();
  if (stage_ == Stage::kHeader || stage_ == Stage::kEvents) {
    st = flush();
    if (st.ok()) {
      st = guarded("kcap end", [&] {
        capnp::MallocMessageBuilder message;
        auto end = message.initRoot<schema::Frame>().initEnd();
        end.setBatches(batches_);
        end.setEvents(events_);
        return write_frame(message);
      });
    }
  }
  Status closed = sink_ ? sink_->finish() : ok_status();
  if (st.ok()) st = closed;
  sink_.reset();
  stage_ = Stage::kClosed;
  error_ = ok_status();
  return st;
}

Status write_capture(const std::string& path, const KcapHeader& header,
                     const std::vector<ThreadInfo>& snapshot,
                     const std::vector<std::vector<uint8_t>>& records, KcapWriterOptions options) {
  KcapWriter w(options);
  Status st = w.open(path);
  if (st.ok()) st = w.write_header(header);
  if (st.ok()) st = w.write_snapshot(snapshot);
  for (size_t i = 0; st.ok() && i < records.size(); ++i) st = w.append(records[i]);
  Status closed = w.close();
  return st.ok() ? closed : st;
}

}  // namespace kestrel::kcap
