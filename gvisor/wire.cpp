#include "gvisor/wire.h"

#include <cstring>
#include <string>

#include "gvisor/proto/common.pb.h"

namespace kestrel::gvisor {

namespace {
uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t load_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
void store_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

Result<WireHeader> parse_wire_header(std::span<const uint8_t> packet) {
  if (packet.size() < kWireHeaderSize)
    return Status(StatusCode::kTruncated, "gvisor packet of " + std::to_string(packet.size()) +
                                              " bytes is shorter than the 8-byte header");
  WireHeader h;
  h.header_size = load_u16(packet.data());
  h.message_type = load_u16(packet.data() + 2);
  h.dropped_count = load_u32(packet.data() + 4);
  if (h.header_size < kWireHeaderSize || h.header_size > packet.size())
    return Status(StatusCode::kCorrupt, "gvisor header size " + std::to_string(h.header_size) +
                                            " outside [8, " + std::to_string(packet.size()) + "]");
  return h;
}

std::vector<uint8_t> encode_wire_packet(uint16_t message_type, uint32_t dropped_count,
                                        std::span<const uint8_t> payload) {
  std::vector<uint8_t> out(kWireHeaderSize + payload.size());
  store_u16(out.data(), kWireHeaderSize);
  store_u16(out.data() + 2, message_type);
  store_u32(out.data() + 4, dropped_count);
  if (!payload.empty()) std::memcpy(out.data() + kWireHeaderSize, payload.data(), payload.size());
  return out;
}

Result<uint32_t> parse_handshake(std::span<const uint8_t> packet) {
  if (packet.size() > kMaxHandshakeSize)
    return Status(StatusCode::kCorrupt, "gvisor handshake of " + std::to_string(packet.size()) + " bytes is too large");
  common::Handshake hs;
  if (!hs.ParseFromArray(packet.data(), static_cast<int>(packet.size())))
    return Status(StatusCode::kCorrupt, "gvisor handshake is not a Handshake message");
  return hs.version();
}

std::vector<uint8_t> encode_handshake(uint32_t version) {
  common::Handshake hs;
  hs.set_version(version);
  std::string bytes = hs.SerializeAsString();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace kestrel::gvisor
