// stream_sequence.h — per-sender sequence accounting of a forwarded stream
// (stream_codec.h): how many records a guest or node captured that never
// arrived, across its connections and restarts.
//
// Feed it what the decoder reports for one sender, in order, whatever the
// connection. Records are counted lost when:
//   - a batch's first sequence number jumps past the next expected one
//     (the sender dropped them: full buffer, disconnected);
//   - a hello of the same stream id says a next sequence past the expected
//     one (lost with a broken connection);
//   - a hello brings a new stream id (the sender restarted: a killed
//     guest): the old stream's last `produced` minus what arrived of it
//     (captured there, never received); the new stream's numbers restart.
// A batch starting before the expected number (a sender that repeats
// itself) is counted in `rewinds` and accepted.
// Not thread-safe: one per sender, used by the thread that decodes it.
#pragma once

#include <cstdint>

namespace kestrel::remote {

class StreamSequence {
 public:
  struct Counters {
    uint64_t received = 0;    // records that arrived
    uint64_t lost = 0;        // records known captured by the sender and never received
    uint64_t gaps = 0;        // occasions on which `lost` grew
    uint64_t connections = 0; // hellos
    uint64_t reconnects = 0;  // hellos of an already seen stream id
    uint64_t restarts = 0;    // hellos of a new stream id after the first
    uint64_t rewinds = 0;     // batches starting before the expected number
  };

  // Returns the records newly counted lost.
  uint64_t on_hello(uint64_t stream_id, uint64_t next_sequence);
  uint64_t on_batch(uint64_t first_sequence, uint32_t record_count, uint64_t produced);
  void on_progress(uint64_t produced);

  const Counters& counters() const { return counters_; }
  uint64_t stream_id() const { return stream_id_; }
  uint64_t expected() const { return expected_; }

 private:
  uint64_t lose(uint64_t n);

  Counters counters_;
  bool have_stream_ = false;
  uint64_t stream_id_ = 0;
  uint64_t expected_ = 0;  // sequence number of the next record of this stream
  uint64_t produced_ = 0;  // highest `produced` this stream reported
};

}  // namespace kestrel::remote
