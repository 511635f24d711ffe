// kcap_writer.h — writes a Kestrel capture file (.kcap, layout in
// kcap_format.h and kcap.capnp) as a stream.
//
// Usage: open(path) -> write_header() -> write_snapshot() (optional, may be
// called more than once) -> append() for every event record -> close().
// Records are buffered into one batch at a time and written as a frame when
// the batch reaches max_batch_records or max_batch_bytes, when the domain
// changes, or on flush()/close(); memory use is one batch whatever the
// capture's length.
//
// Every method returns a Status and never throws. The first I/O error is
// sticky: later calls return it again, and the file is left without its end
// frame, so a reader reports it as truncated instead of silently short.
// Not thread-safe: one writer thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/capture/byte_stream.h"
#include "sources/capture/kcap_format.h"
#include "state/thread_info.h"

namespace capnp {
class MessageBuilder;
}

namespace kestrel::kcap {

struct KcapWriterOptions {
  size_t max_batch_records = 4096;
  // Clamped to kMaxFrameBytes / 2 so a full batch always fits one frame.
  size_t max_batch_bytes = 1u << 20;
  // Snapshot chunks are cut at about this size (estimate_encoded_bytes).
  size_t max_snapshot_chunk_bytes = 8u << 20;
  bool gzip = false;  // compress the whole file with zlib (.kcap.gz)
  // Stamp every batch with its stream sequence numbers (kcap.capnp
  // EventBatch.firstSequence = records written before it, produced = with
  // it): a stream published in pieces (app/fleet_event_publisher.h) lets a
  // receiver count the records of a lost piece (sources/remote/
  // stream_sequence.h). Files leave them 0.
  bool stream_sequence = false;
};

class KcapWriter {
 public:
  explicit KcapWriter(KcapWriterOptions options = {});
  ~KcapWriter();  // close()s, dropping its Status: call close() to see errors
  KcapWriter(const KcapWriter&) = delete;
  KcapWriter& operator=(const KcapWriter&) = delete;

  // Creates `path` (mode 0600) and writes the preamble.
  Status open(const std::string& path);
  // The same onto any byte sink (a bus publisher): `name` is what errors
  // call it. gzip is the sink's business then.
  Status open(std::unique_ptr<ByteSink> sink, const std::string& name);

  // Writes the header frame; must come right after open(). The format
  // version is always kFormatVersion, whatever header.format_version says.
  Status write_header(const KcapHeader& header);

  // Writes `threads` as one or more snapshot frames. Allowed after the
  // header and before the first append(). kInvalidArgument if a single
  // thread does not fit in a frame (kMaxFrameBytes).
  Status write_snapshot(const std::vector<ThreadInfo>& threads);

  // Copies one event record into the current batch. `record` must be a
  // valid record (EventView::parse) of at most kMaxFrameBytes / 2 bytes,
  // else kInvalidArgument and nothing is written. `domain` is the record's
  // DomainId (0 = host); a change of domain starts a new batch.
  Status append(std::span<const uint8_t> record, uint32_t domain = 0);

  // Writes the current batch, if any, as a frame.
  Status flush();

  // Flushes, writes the end frame and closes the file. Idempotent.
  Status close();

  uint64_t events_written() const { return events_; }
  uint64_t batches_written() const { return batches_; }
  // Bytes of the (uncompressed) stream written so far.
  uint64_t offset() const { return offset_; }

 private:
  enum class Stage { kClosed, kOpened, kHeader, kEvents, kFailed };

  Status write_frame(capnp::MessageBuilder& message);
  Status write_snapshot_chunk(std::span<const ThreadInfo> threads);
  Status fail(Status st);
  Status check_stage(bool allowed, const char* what);

  KcapWriterOptions options_;
  Stage stage_ = Stage::kClosed;
  Status error_;
  std::unique_ptr<ByteSink> sink_;
  std::string path_;
  std::vector<uint8_t> batch_;
  uint32_t batch_records_ = 0;
  uint32_t batch_domain_ = 0;
  uint64_t events_ = 0;
  uint64_t batches_ = 0;
  uint64_t offset_ = 0;
};

// Writes a whole capture in one call (tests, converters). `records` are
// host-domain event records.
Status write_capture(const std::string& path, const KcapHeader& header,
                     const std::vector<ThreadInfo>& snapshot,
                     const std::vector<std::vector<uint8_t>>& records,
                     KcapWriterOptions options = {});

}  // namespace kestrel::kcap
