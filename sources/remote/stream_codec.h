// stream_codec.h — the framing of a forwarded Kestrel event stream (a VM
// guest to its host, a node to a message bus), shared by every transport.
//
// A forwarded stream is a .kcap capture (sources/capture/kcap.capnp) cut
// into connections. Each connection, whatever carries it (unix, tcp/TLS,
// virtio-serial, vsock, a NATS message payload), is a byte stream:
//
//   preamble   16 bytes: kStreamMagic "\x89KSTR\r\n\x1a", u32 kStreamVersion, u32 0
//   frames     each: u32 payload length, u32 crc32(payload), payload
//              (exactly the .kcap frame layout: kcap_format.h); payload =
//              one Cap'n Proto message whose root is kcap.capnp's Frame
//
// Frame order on one connection:
//   hello        exactly one, first: the sender's header (machine info,
//                with its environment), stream id, name, connection
//                number, and the sequence number of the next record
//   snapshot*    the sender's process table at (re)connection time: a
//                fresh one on every connection, so a receiver never needs
//                state from an earlier connection
//   (events | progress)*
//   end?         sent on orderly shutdown only
//
// Sequence numbers: every record the sender captures gets the next number
// of its stream (0, 1, 2, ...), whether or not it is sent. A batch says
// the number of its first record (firstSequence) and its records are
// consecutive; records the sender dropped (full buffer, disconnected) show
// as a jump in firstSequence. Every batch and progress frame also says how
// many records the sender had captured so far (`produced`), so a receiver
// learns of records lost at the end of a connection that ended abruptly.
// A new stream id is a new sender process: its numbers restart at 0.
//
// The encoder appends whole frames to a caller's byte vector (a transport
// writes them as they are; frames never depend on one another, so a
// sender may drop a whole encoded batch). The decoder is push-based: it
// takes bytes as they arrive, in pieces of any size, and calls a
// StreamVisitor per frame. It trusts nothing: lengths are capped
// (StreamLimits), crc32s checked, Cap'n Proto reads bounded, and every
// record is parsed (EventView::parse) before a visitor sees it.
//
// Thread-safety: none; one encoder per sending thread, one decoder per
// connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/capture/kcap_format.h"
#include "state/thread_info.h"

namespace kestrel::remote {

inline constexpr uint8_t kStreamMagic[8] = {0x89, 'K', 'S', 'T', 'R', '\r', '\n', 0x1a};
inline constexpr uint32_t kStreamVersion = 1;
inline constexpr size_t kStreamPreambleSize = 16;

// Caps a receiver applies to one untrusted connection.
struct StreamLimits {
  size_t max_frame_bytes = 16u << 20;  // a frame's payload
  size_t max_snapshot_threads = 1u << 20;  // per connection, all chunks together
};

// The hello frame (kcap.capnp StreamHello).
struct StreamHello {
  kcap::KcapHeader header;    // producer, created_ns, machine (+ environment)
  uint64_t stream_id = 0;     // random per sender process
  std::string name;           // the sender's own name for itself (untrusted)
  uint32_t connection = 0;    // 0, 1, 2, ... per reconnect of one stream id
  uint64_t next_sequence = 0; // number of the next record sent
};

// One event batch as the decoder hands it out. `records` are ABI records
// (kestrel_event.h), concatenated, each already checked by
// EventView::parse; the span is valid only during the visitor call.
struct StreamBatchView {
  uint64_t first_sequence = 0;
  uint64_t produced = 0;
  uint32_t record_count = 0;
  std::span<const uint8_t> records;
};

struct StreamProgress {
  uint64_t produced = 0;
  uint64_t dropped = 0;
};

// Appends encoded frames to `out`. Every function is total except for
// what Cap'n Proto itself refuses (a list over 2^29 entries), returned as
// kInternal; nothing is appended then.
class StreamEncoder {
 public:
  // Snapshot chunks are cut at about this many encoded bytes.
  explicit StreamEncoder(size_t max_snapshot_chunk_bytes = 4u << 20);

  static void append_preamble(std::vector<uint8_t>& out);
  Status append_hello(const StreamHello& hello, std::vector<uint8_t>& out) const;
  // One or more snapshot frames; none for an empty table.
  Status append_snapshot(std::span<const ThreadInfo> threads, std::vector<uint8_t>& out) const;
  // `records` holds `record_count` concatenated ABI records numbered
  // first_sequence, first_sequence + 1, ...
  Status append_batch(uint64_t first_sequence, uint64_t produced, uint32_t record_count,
                      std::span<const uint8_t> records, std::vector<uint8_t>& out) const;
  Status append_progress(const StreamProgress& progress, std::vector<uint8_t>& out) const;
  Status append_end(uint64_t batches, uint64_t events, std::vector<uint8_t>& out) const;

 private:
  size_t max_snapshot_chunk_bytes_;
};

// What a decoder reports, frame by frame. A visitor's Status other than
// ok stops the decoder (it becomes sticky, as a decode error would).
class StreamVisitor {
 public:
  virtual ~StreamVisitor() = default;
  virtual Status on_hello(const StreamHello& hello) = 0;
  virtual Status on_snapshot(std::vector<ThreadInfo> threads) = 0;
  virtual Status on_batch(const StreamBatchView& batch) = 0;
  virtual Status on_progress(const StreamProgress& progress) = 0;
  virtual Status on_end(uint64_t batches, uint64_t events) = 0;
};

// What a decoder expects at the start of its bytes.
//   kForward     a forwarded connection: kStreamMagic preamble, hello first
//   kKcap        a .kcap stream published in pieces (a node's
//                kestrel.<node>.events, app/fleet_event_publisher.h): the
//                .kcap preamble, then its header frame, which stands for
//                the hello: `origin` (stream id, name, next sequence 0)
//                with the header filled in is what on_hello sees
//   kKcapFrames  the frames of such a stream joined after its start (its
//                first piece is gone, or read by an earlier run of this
//                reader): on_hello(origin) comes before the first frame,
//                with next_sequence = that frame's first sequence when it
//                is a batch (earlier records are not counted lost) and the
//                machine info unknown
// Everything after the hello is the same in the three: snapshot chunks,
// event batches (with their sequence numbers), progress, end.
enum class StreamFraming { kForward, kKcap, kKcapFrames };

// Decodes one connection. Errors (kCorrupt with the byte offset in the
// connection, kTruncated never: a short read just waits for more) are
// sticky: the connection must be dropped.
class StreamDecoder {
 public:
  explicit StreamDecoder(StreamLimits limits = {});
  StreamDecoder(StreamLimits limits, StreamFraming framing, StreamHello origin);

  // Consumes `bytes`, calling `visitor` for every complete frame.
  Status feed(std::span<const uint8_t> bytes, StreamVisitor& visitor);

  bool saw_hello() const { return saw_hello_; }
  uint64_t bytes_consumed() const { return offset_; }

 private:
  Status decode_frame(std::span<const uint8_t> payload, StreamVisitor& visitor);
  Status fail(Status st);

  StreamLimits limits_;
  StreamFraming framing_ = StreamFraming::kForward;
  StreamHello origin_;  // kKcap, kKcapFrames: the hello the stream does not carry
  Status error_;
  std::vector<uint8_t> pending_;  // bytes of an incomplete preamble or frame
  bool saw_preamble_ = false;
  bool saw_hello_ = false;
  bool saw_events_ = false;
  size_t snapshot_threads_ = 0;
  uint64_t offset_ = 0;  // connection offset of pending_[0]
};

}  // namespace kestrel::remote
