// kcap_reader.h — reads a Kestrel capture file (.kcap or .kcap.gz) as a
// stream of validated, zero-copy event batches.
//
// A capture file is untrusted input. The reader never crashes and never
// trusts a length: frames are capped at kMaxFrameBytes, each frame's crc32
// is checked before Cap'n Proto sees it, Cap'n Proto runs with traversal
// and nesting limits, and every event record is validated with
// EventView::parse before a view of it is handed out. Any problem ends the
// read with a Status whose code is kTruncated (the file ends early: a cut
// copy, a writer that did not finish) or kCorrupt (bytes that do not follow
// the format), whose where().offset is the byte offset of the frame or
// record where it was found, and whose message names that offset too. For
// .kcap.gz files offsets count decompressed bytes.
//
// Memory: one frame buffer (grown to the largest frame read, at most
// kMaxFrameBytes) plus the snapshot. Not thread-safe: one reader thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/capture/byte_stream.h"
#include "sources/capture/kcap_format.h"
#include "sources/event/event_view.h"
#include "state/thread_info.h"

namespace kestrel::kcap {

enum class BatchOutcome {
  kBatch,  // `out` holds one or more events
  kEnd,    // the end frame was read and checked: the capture is complete
};

class KcapReader {
 public:
  KcapReader();
  ~KcapReader();
  KcapReader(const KcapReader&) = delete;
  KcapReader& operator=(const KcapReader&) = delete;

  // Opens `path`, checks the preamble and reads the header and every
  // snapshot frame. Errors: kNotFound / kPermissionDenied for the file;
  // kTruncated for an empty or short file; kCorrupt for a file that is not
  // a capture (the message says what it looks like) or is damaged;
  // kUnimplemented for a newer format version.
  Status open(const std::string& path);
  // The same on a stream already opened (`path` names it in messages): a
  // FIFO whose head was read to recognise it (prefixed_source).
  Status open(const std::string& path, std::unique_ptr<ByteSource> stream);

  // Valid after a successful open().
  const KcapHeader& header() const { return header_; }
  const std::vector<ThreadInfo>& snapshot() const { return snapshot_; }

  // Clears `out` and fills it with the next batch's records, in file
  // order. The views point into the reader's frame buffer: valid until the
  // next call to next_batch() or close(). After kEnd, further calls return
  // kEnd; after an error, further calls return the same error.
  Result<BatchOutcome> next_batch(std::vector<EventView>& out);

  // DomainId of the events of the last batch returned (0 = host).
  uint32_t batch_domain() const { return batch_domain_; }

  uint64_t events_read() const { return events_; }
  uint64_t batches_read() const { return batches_; }
  // Bytes consumed so far (decompressed bytes for .kcap.gz).
  uint64_t offset() const { return offset_; }
  bool compressed() const { return source_ && source_->compressed(); }

  // Thread-safe while open: a next_batch() waiting on a capture streamed
  // through a pipe returns an error now (ByteSource::interrupt).
  void interrupt() {
    if (source_) source_->interrupt();
  }

  // Releases the file and buffers. Idempotent.
  void close();

 private:
  enum class FrameKind { kNone, kHeader, kSnapshot, kEvents, kEnd, kUnknown };

  Status check_preamble();
  // Reads the next frame into buffer_ and checks its length and crc32.
  // false at a clean end of file (no byte of a next frame).
  Result<bool> read_frame();
  // Parses buffer_ as a Cap'n Proto message and hands its root to `fn`
  // (a callback over the generated Frame reader, see the .cpp), turning a
  // kj::Exception into kCorrupt at the frame's offset.
  template <typename Fn>
  Status with_frame(Fn&& fn);
  Result<FrameKind> frame_kind();
  Status decode_batch(std::vector<EventView>& out);
  Status decode_end();
  Status error_at(StatusCode code, const std::string& message, uint64_t offset) const;
  Status fail(Status st);

  std::string path_;
  std::unique_ptr<ByteSource> source_;
  Status error_;
  bool done_ = false;
  bool pending_ = false;  // buffer_ holds a read but unconsumed frame
  FrameKind pending_kind_ = FrameKind::kNone;

  // The current frame's payload; uint64_t keeps it word-aligned for
  // Cap'n Proto.
  std::vector<uint64_t> buffer_;
  size_t frame_bytes_ = 0;
  uint64_t frame_offset_ = 0;
  uint64_t offset_ = 0;

  KcapHeader header_;
  std::vector<ThreadInfo> snapshot_;
  uint32_t batch_domain_ = 0;
  uint64_t events_ = 0;
  uint64_t batches_ = 0;
};

}  // namespace kestrel::kcap
