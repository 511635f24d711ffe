#include "ebpf/epoch_clock.h"

#include <time.h>

#include <limits>

namespace kestrel::ebpf {
namespace {

uint64_t read_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

uint64_t boot_to_epoch_offset_ns() {
  // Bracket a realtime read between two boottime reads and keep the sample
  // with the narrowest bracket: its midpoint is the best estimate.
  uint64_t best_width = std::numeric_limits<uint64_t>::max();
  uint64_t best = 0;
  for (int i = 0; i < 5; ++i) {
    uint64_t b0 = read_ns(CLOCK_BOOTTIME);
    uint64_t rt = read_ns(CLOCK_REALTIME);
    uint64_t b1 = read_ns(CLOCK_BOOTTIME);
    if (b1 - b0 < best_width) {
      best_width = b1 - b0;
      best = rt - (b0 + (b1 - b0) / 2);
    }
  }
  return best;
}

}  // namespace kestrel::ebpf
