// wire.h — framing of gVisor's remote-sink protocol (runsc monitoring socket).
//
// The protocol, as runsc's remote sink speaks it (pkg/sentry/seccheck/sinks/
// remote in gVisor):
//   1. The sandbox connects to our unix SOCK_SEQPACKET socket and sends a
//      Handshake{version} protobuf with no header. We reject versions below
//      kMinSandboxVersion and answer with Handshake{kWireVersion}. From then
//      on the sandbox only writes and we only read.
//   2. Every later packet is one point: an 8-byte little-endian header
//        u16 header_size   payload starts at this offset (>= 8; larger
//                          values leave room for future header fields)
//        u16 message_type  common.proto MessageType
//        u32 dropped_count points the sandbox failed to send so far on this
//                          connection (cumulative); wraps (DropCounter)
//      followed by the protobuf payload (possibly empty: all defaults).
//
// Everything here treats input as hostile: lengths are checked before any
// read, nothing is trusted from the header beyond what it says.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"

namespace kestrel::gvisor {

// The protocol version we implement and announce in our handshake reply.
inline constexpr uint32_t kWireVersion = 1;
// Sandboxes announcing an older version are refused.
inline constexpr uint32_t kMinSandboxVersion = 1;
inline constexpr size_t kWireHeaderSize = 8;
// A handshake is a few bytes; anything larger is not a handshake.
inline constexpr size_t kMaxHandshakeSize = 1024;

struct WireHeader {
  uint16_t header_size = 0;
  uint16_t message_type = 0;
  uint32_t dropped_count = 0;
};

// Reads the header of one packet. Fails (kCorrupt/kTruncated) when the packet
// is shorter than 8 bytes or header_size is < 8 or beyond the packet.
Result<WireHeader> parse_wire_header(std::span<const uint8_t> packet);

// The payload of a packet whose header parse_wire_header accepted.
inline std::span<const uint8_t> wire_payload(std::span<const uint8_t> packet, const WireHeader& h) {
  return packet.subspan(h.header_size);
}

// Builds a packet (header + payload) as runsc would; for tests and replays.
std::vector<uint8_t> encode_wire_packet(uint16_t message_type, uint32_t dropped_count,
                                        std::span<const uint8_t> payload);

// Parses a sandbox's Handshake; returns its version. Fails when the bytes
// are not a Handshake or are larger than kMaxHandshakeSize.
Result<uint32_t> parse_handshake(std::span<const uint8_t> packet);
// Our Handshake{version} reply.
std::vector<uint8_t> encode_handshake(uint32_t version);

// At most this many drops are added by one packet, whatever its header
// claims (DropCounter). runsc sends points at 3-11 k/s here (README,
// "Measured"), so 65,536 is several seconds of a sandbox's whole output
// lost between two packets that did arrive; a claim beyond it is clamped
// and counted (DropCounter::clamped()), so the total is then a lower bound.
inline constexpr uint32_t kMaxDropsPerPacket = 65536;

// Turns the sandbox's drop counter into a running 64-bit total.
//
// What the header's dropped_count is (runsc pkg/sentry/seccheck/sinks/
// remote: remote.go, wire/wire.go): ONE u32 per connection, starting at 0,
// +1 for every point runsc failed to send, wrapping after 2^32-1; every
// packet carries its value at the time the packet was built. So it is
// cumulative, not per message. runsc reads the counter before it writes the
// packet and many tasks send concurrently, so an honest value can arrive
// slightly behind one already seen.
//
// The sandbox is untrusted, so observe() believes it only so far:
//   d = highest - value (mod 2^32)  with 0 < d <= the counter's advance so
//       far (and < 2^31): a stale value, adds 0, counted in stale();
//   otherwise the counter moved forward by delta = value - highest (mod
//       2^32): adds min(delta, kMaxDropsPerPacket) (clamped() counts the
//       packets that claimed more) and `value` becomes the highest seen.
// A counter cannot be behind by more than it has advanced, so the first
// packet is always "forward" from 0: a forged first packet claiming
// 0xffffffff adds kMaxDropsPerPacket, not 4 billion.
class DropCounter {
 public:
  // Records the counter from one packet; returns the drops it adds.
  uint64_t observe(uint32_t value) {
    const uint32_t behind = highest_ - value;  // unsigned wrap is the point
    if (behind != 0 && behind < (1u << 31) && behind <= advanced_) {
      ++stale_;
      return 0;
    }
    const uint32_t delta = value - highest_;
    highest_ = value;
    advanced_ += delta;
    uint64_t added = delta;
    if (added > kMaxDropsPerPacket) {
      added = kMaxDropsPerPacket;
      ++clamped_;
    }
    total_ += added;
    return added;
  }
  // Drops counted (each packet's share clamped to kMaxDropsPerPacket).
  uint64_t total() const { return total_; }
  // Packets whose claim exceeded kMaxDropsPerPacket.
  uint64_t clamped() const { return clamped_; }
  // Packets whose counter was behind one already seen.
  uint64_t stale() const { return stale_; }

 private:
  uint32_t highest_ = 0;
  uint64_t advanced_ = 0;  // sum of forward deltas as claimed (unclamped)
  uint64_t total_ = 0, clamped_ = 0, stale_ = 0;
};

}  // namespace kestrel::gvisor
