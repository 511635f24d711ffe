#include "sources/remote/stream_sequence.h"

#include <algorithm>

namespace kestrel::remote {

uint64_t StreamSequence::lose(uint64_t n) {
  if (n == 0) return 0;
  counters_.lost += n;
  ++counters_.gaps;
  return n;
}

uint64_t StreamSequence::on_hello(uint64_t stream_id, uint64_t next_sequence) {
  ++counters_.connections;
  uint64_t lost = 0;
  if (have_stream_ && stream_id == stream_id_) {
    ++counters_.reconnects;
  } else {
    if (have_stream_) {
      ++counters_.restarts;
      // The old stream's tail: captured there (its last report), never received.
      lost += lose(produced_ > expected_ ? produced_ - expected_ : 0);
    }
    have_stream_ = true;
    stream_id_ = stream_id;
    expected_ = 0;
    produced_ = 0;
  }
  if (next_sequence > expected_) lost += lose(next_sequence - expected_);
  expected_ = std::max(expected_, next_sequence);
  produced_ = std::max(produced_, expected_);
  return lost;
}

uint64_t StreamSequence::on_batch(uint64_t first_sequence, uint32_t record_count, uint64_t produced) {
  uint64_t lost = 0;
  if (first_sequence > expected_)
    lost = lose(first_sequence - expected_);
  else if (first_sequence < expected_)
    ++counters_.rewinds;
  expected_ = first_sequence + record_count;
  produced_ = std::max({produced_, produced, expected_});
  counters_.received += record_count;
  return lost;
}

void StreamSequence::on_progress(uint64_t produced) { produced_ = std::max(produced_, produced); }

}  // namespace kestrel::remote
