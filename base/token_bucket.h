// token_bucket.h — a token bucket on a clock the caller supplies.
//
// Used where Falco uses one: the alert rate limiter (outputs.rate /
// outputs.max_burst, on the steady clock) and the syscall event drop
// monitor's actions (syscall_event_drops.rate / .max_burst, on event time,
// so a replay decides the same however fast it runs).
//
// The bucket starts full (max_tokens) and gains rate_per_second tokens per
// second of the caller's clock, never more than max_tokens; a claim takes
// one token, or fails when less than one is left.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace kestrel {

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double max_tokens)
      : rate_(rate_per_second), max_(max_tokens), tokens_(max_tokens) {}

  // One token at `now_ns` (nanoseconds of the caller's clock). The first
  // claim starts the clock; a clock that goes back refills nothing.
  bool claim(uint64_t now_ns) {
    if (last_ns_ && now_ns > *last_ns_)
      tokens_ = std::min(max_, tokens_ + rate_ * static_cast<double>(now_ns - *last_ns_) / 1e9);
    if (!last_ns_ || now_ns > *last_ns_) last_ns_ = now_ns;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  double tokens() const { return tokens_; }

 private:
  double rate_, max_, tokens_;
  std::optional<uint64_t> last_ns_;
};

}  // namespace kestrel
