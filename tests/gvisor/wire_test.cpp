#include "gvisor/wire.h"

#include <gtest/gtest.h>

#include <vector>

namespace kestrel::gvisor {
namespace {

TEST(WireHeader, ParsesLittleEndianFields) {
  // header_size 8, type 7 (open), dropped 0x01020304, then 2 payload bytes.
  const std::vector<uint8_t> pkt = {8, 0, 7, 0, 4, 3, 2, 1, 0xAA, 0xBB};
  auto h = parse_wire_header(pkt);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->header_size, 8);
  EXPECT_EQ(h->message_type, 7);
  EXPECT_EQ(h->dropped_count, 0x01020304u);
  auto payload = wire_payload(pkt, *h);
  ASSERT_EQ(payload.size(), 2u);
  EXPECT_EQ(payload[0], 0xAA);
}

TEST(WireHeader, LargerHeaderSkipsUnknownHeaderFields) {
  // A future runsc with a 12-byte header: payload starts at 12.
  const std::vector<uint8_t> pkt = {12, 0, 1, 0, 0, 0, 0, 0, 9, 9, 9, 9, 0x42};
  auto h = parse_wire_header(pkt);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(wire_payload(pkt, *h).size(), 1u);
  EXPECT_EQ(wire_payload(pkt, *h)[0], 0x42);
}

TEST(WireHeader, RejectsShortAndInconsistentPackets) {
  EXPECT_FALSE(parse_wire_header(std::vector<uint8_t>{8, 0, 7}).ok());
  EXPECT_FALSE(parse_wire_header(std::vector<uint8_t>{4, 0, 7, 0, 0, 0, 0, 0}).ok());     // size < 8
  EXPECT_FALSE(parse_wire_header(std::vector<uint8_t>{9, 0, 7, 0, 0, 0, 0, 0}).ok());     // beyond packet
  EXPECT_FALSE(parse_wire_header(std::vector<uint8_t>{0xff, 0xff, 7, 0, 0, 0, 0, 0}).ok());
  EXPECT_TRUE(parse_wire_header(std::vector<uint8_t>{8, 0, 7, 0, 0, 0, 0, 0}).ok());  // empty payload is fine
}

TEST(WireHeader, EncodeMatchesTheLayout) {
  const uint8_t payload[] = {1, 2};
  auto pkt = encode_wire_packet(34, 0xdeadbeef, payload);
  EXPECT_EQ(pkt, (std::vector<uint8_t>{8, 0, 34, 0, 0xef, 0xbe, 0xad, 0xde, 1, 2}));
}

TEST(Handshake, RoundTripsAndRejectsGarbage) {
  // Handshake{version: 1} is field 1, varint: bytes 08 01 (what runsc sent).
  EXPECT_EQ(encode_handshake(1), (std::vector<uint8_t>{0x08, 0x01}));
  auto v = parse_handshake(std::vector<uint8_t>{0x08, 0x02});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 2u);
  EXPECT_FALSE(parse_handshake(std::vector<uint8_t>{0x0a, 0x05, 1}).ok());  // truncated length-delimited
  EXPECT_FALSE(parse_handshake(std::vector<uint8_t>(2000, 0x08)).ok());     // too large
}

TEST(DropCounter, AccumulatesDeltasAcrossWrap) {
  DropCounter d;
  EXPECT_EQ(d.observe(0), 0u);
  EXPECT_EQ(d.observe(5), 5u);
  EXPECT_EQ(d.observe(5), 0u);
  // An honest counter reaches the top in steps no larger than the bound.
  uint64_t expected = 5;
  uint32_t v = 5;
  while (0xfffffffeu - v > kMaxDropsPerPacket) {
    v += kMaxDropsPerPacket;
    ASSERT_EQ(d.observe(v), kMaxDropsPerPacket);
    expected += kMaxDropsPerPacket;
  }
  EXPECT_EQ(d.observe(0xfffffffe), 0xfffffffeu - v);
  expected += 0xfffffffeu - v;
  EXPECT_EQ(d.observe(3), 5u);  // wrapped: 0xfffffffe -> 3 is 5 more drops
  EXPECT_EQ(d.total(), expected + 5);
  EXPECT_EQ(d.total(), uint64_t{0xfffffffe} + 5);
  EXPECT_EQ(d.clamped(), 0u);
}

// The counter is cumulative; one packet adds at most kMaxDropsPerPacket.
TEST(DropCounter, OnePacketAddsAtMostTheBound) {
  DropCounter d;
  EXPECT_EQ(d.observe(0xffffffffu), kMaxDropsPerPacket);  // a forged first packet
  EXPECT_EQ(d.clamped(), 1u);
  EXPECT_EQ(d.observe(0x7fffffffu), kMaxDropsPerPacket);  // forward again (by 2^31)
  EXPECT_EQ(d.total(), 2u * kMaxDropsPerPacket);
  EXPECT_EQ(d.clamped(), 2u);
}

// runsc reads the counter before writing and tasks send concurrently, so a
// value a little behind the highest seen is stale, not 4 billion drops.
TEST(DropCounter, AValueBehindTheHighestSeenAddsNothing) {
  DropCounter d;
  EXPECT_EQ(d.observe(7), 7u);
  EXPECT_EQ(d.observe(5), 0u);
  EXPECT_EQ(d.observe(6), 0u);
  EXPECT_EQ(d.stale(), 2u);
  EXPECT_EQ(d.observe(9), 2u);
  EXPECT_EQ(d.total(), 9u);
  EXPECT_EQ(d.clamped(), 0u);
}

}  // namespace
}  // namespace kestrel::gvisor
