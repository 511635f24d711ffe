// event_second_clock.h — checkpoints once a second of *event* time.
//
// Falco's syscall event drop monitor checks at these points: the first
// event starts the clock (no check), and the first event whose timestamp
// is more than one second after the last checkpoint (or the start) is the
// next checkpoint, from which the next second is counted. On a replay
// this makes the checks, and so the drop monitor's counts, depend on the
// capture alone and not on how fast it is read.
#pragma once

#include <cstdint>
#include <optional>

namespace kestrel {

class EventSecondClock {
 public:
  static constexpr uint64_t kSecondNs = 1'000'000'000;

  // Whether passed(ts_ns) would answer true, with no effect.
  bool would_pass(uint64_t ts_ns) const { return next_ && ts_ns > *next_; }

  // True when the event at `ts_ns` is a checkpoint.
  bool passed(uint64_t ts_ns) {
    if (!next_) {
      next_ = ts_ns + kSecondNs;
      return false;
    }
    if (ts_ns <= *next_) return false;
    next_ = ts_ns + kSecondNs;
    return true;
  }

 private:
  std::optional<uint64_t> next_;
};

}  // namespace kestrel
