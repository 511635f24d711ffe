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
//        u32 dropped_count points the sandbox failed to send so far; wraps
//      followed by the protobuf payload (possibly empty: all defaults).
//
// Everything here treats input as hostile: lengths are checked before any
// read, nothing is trusted from the header beyond what it says.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sources/base/status.h"

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

// Turns the sandbox's cumulative, wrapping u32 drop counter into a running
// 64-bit total. The counter only grows (mod 2^32), so the delta since the
// last packet is (new - last) mod 2^32.
class DropCounter {
 public:
  // Records the counter from one packet; returns the drops it adds.
  uint64_t observe(uint32_t cumulative) {
    uint32_t delta = cumulative - last_;  // unsigned wrap is the point
    last_ = cumulative;
    total_ += delta;
    return delta;
  }
  uint64_t total() const { return total_; }

 private:
  uint32_t last_ = 0;
  uint64_t total_ = 0;
};

}  // namespace kestrel::gvisor
