// The forwarded stream's framing (sources/remote/stream_codec.h): what the
// encoder writes the decoder gives back whole, however the bytes are cut;
// damage is refused with its offset; and the per-sender sequence accounting.
#include "sources/remote/stream_codec.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <random>

#include "sources/abi/kestrel_event.h"
#include "sources/capture/kcap_writer.h"
#include "sources/remote/stream_sequence.h"
#include "tests/capture/capture_test_data.h"

namespace kestrel::remote {
namespace {

using kcap::testing::Bytes;

struct Collected : StreamVisitor {
  std::vector<StreamHello> hellos;
  std::vector<ThreadInfo> snapshot;
  std::vector<Bytes> records;
  std::vector<std::pair<uint64_t, uint64_t>> batches;  // first sequence, produced
  std::vector<StreamProgress> progress;
  int ends = 0;
  Status on_hello(const StreamHello& h) override {
    hellos.push_back(h);
    return ok_status();
  }
  Status on_snapshot(std::vector<ThreadInfo> t) override {
    snapshot.insert(snapshot.end(), t.begin(), t.end());
    return ok_status();
  }
  Status on_batch(const StreamBatchView& b) override {
    batches.emplace_back(b.first_sequence, b.produced);
    size_t at = 0;
    while (at < b.records.size()) {
      uint32_t len = 0;
      std::memcpy(&len, b.records.data() + at + offsetof(kestrel_event_hdr, len), 4);
      records.emplace_back(b.records.begin() + at, b.records.begin() + at + len);
      at += len;
    }
    return ok_status();
  }
  Status on_progress(const StreamProgress& p) override {
    progress.push_back(p);
    return ok_status();
  }
  Status on_end(uint64_t, uint64_t) override {
    ++ends;
    return ok_status();
  }
};

// A whole connection: preamble, hello, snapshot, two batches, progress, end.
Bytes encode_connection(const std::vector<Bytes>& events, const std::vector<ThreadInfo>& snapshot,
                        size_t chunk_bytes = 4u << 20) {
  StreamEncoder enc(chunk_bytes);
  Bytes out;
  StreamEncoder::append_preamble(out);
  StreamHello hello;
  hello.header = kcap::testing::make_header();
  hello.header.machine.environment.kind = "vm";
  hello.header.machine.environment.hypervisor = "qemu";
  hello.header.machine.environment.cpuid_signature = "TCGTCGTCGTCG";
  hello.header.machine.environment.boot_id = "b00t";
  hello.stream_id = 0xfeedface12345678ull;
  hello.name = "guest-a";
  hello.connection = 3;
  hello.next_sequence = 10;
  EXPECT_TRUE(enc.append_hello(hello, out).ok());
  EXPECT_TRUE(enc.append_snapshot(snapshot, out).ok());
  Bytes first, second;
  size_t half = events.size() / 2;
  for (size_t i = 0; i < events.size(); ++i) {
    Bytes& b = i < half ? first : second;
    b.insert(b.end(), events[i].begin(), events[i].end());
  }
  EXPECT_TRUE(enc.append_batch(10, 10 + half, static_cast<uint32_t>(half), first, out).ok());
  EXPECT_TRUE(enc.append_batch(10 + half + 5, 10 + events.size() + 9, static_cast<uint32_t>(events.size() - half),
                               second, out)
                  .ok());
  EXPECT_TRUE(enc.append_progress({10 + events.size() + 9, 5}, out).ok());
  EXPECT_TRUE(enc.append_end(2, events.size(), out).ok());
  return out;
}

TEST(StreamCodec, RoundTripsEveryFrameKindAndEveryRecordByteForByte) {
  auto events = kcap::testing::make_events(200);
  auto snapshot = kcap::testing::make_snapshot();
  Bytes wire = encode_connection(events, snapshot);
  StreamDecoder dec;
  Collected got;
  ASSERT_TRUE(dec.feed(wire, got).ok());
  ASSERT_EQ(got.hellos.size(), 1u);
  const StreamHello& h = got.hellos[0];
  EXPECT_EQ(h.stream_id, 0xfeedface12345678ull);
  EXPECT_EQ(h.name, "guest-a");
  EXPECT_EQ(h.connection, 3u);
  EXPECT_EQ(h.next_sequence, 10u);
  EXPECT_EQ(h.header.machine.hostname, "host-a");
  EXPECT_EQ(h.header.machine.kernel_release, "6.1.0-test");
  EXPECT_EQ(h.header.machine.environment.kind, "vm");
  EXPECT_EQ(h.header.machine.environment.hypervisor, "qemu");
  EXPECT_EQ(h.header.machine.environment.cpuid_signature, "TCGTCGTCGTCG");
  EXPECT_EQ(h.header.machine.environment.boot_id, "b00t");
  ASSERT_EQ(got.snapshot.size(), snapshot.size());
  for (size_t i = 0; i < snapshot.size(); ++i) kcap::testing::expect_same_thread(snapshot[i], got.snapshot[i]);
  EXPECT_EQ(got.records, events);
  ASSERT_EQ(got.batches.size(), 2u);
  EXPECT_EQ(got.batches[0], std::make_pair(uint64_t{10}, uint64_t{110}));
  EXPECT_EQ(got.batches[1], std::make_pair(uint64_t{115}, uint64_t{219}));
  ASSERT_EQ(got.progress.size(), 1u);
  EXPECT_EQ(got.progress[0].dropped, 5u);
  EXPECT_EQ(got.ends, 1);
  EXPECT_EQ(dec.bytes_consumed(), wire.size());
}

TEST(StreamCodec, DecodesTheSameWhateverSizeThePiecesArriveIn) {
  auto events = kcap::testing::make_events(120, 7);
  Bytes wire = encode_connection(events, kcap::testing::make_snapshot(), 600);  // several snapshot chunks
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    StreamDecoder dec;
    Collected got;
    size_t at = 0;
    while (at < wire.size()) {
      size_t n = std::min<size_t>(wire.size() - at, 1 + rng() % (round < 5 ? 3 : 5000));
      ASSERT_TRUE(dec.feed(std::span(wire).subspan(at, n), got).ok()) << "round " << round << " at " << at;
      at += n;
    }
    EXPECT_EQ(got.records, events);
    EXPECT_EQ(got.snapshot.size(), kcap::testing::make_snapshot().size());
  }
}

TEST(StreamCodec, RefusesAForeignPeerWithoutReadingFurther) {
  Bytes wire = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'};
  StreamDecoder dec;
  Collected got;
  Status st = dec.feed(wire, got);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("stream magic"), std::string::npos) << st.message();
}

TEST(StreamCodec, AFlippedBitAnywhereInAFrameIsReportedWithItsOffset) {
  auto events = kcap::testing::make_events(30);
  Bytes clean = encode_connection(events, kcap::testing::make_snapshot());
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    Bytes wire = clean;
    size_t at = kStreamPreambleSize + rng() % (wire.size() - kStreamPreambleSize);
    wire[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    StreamDecoder dec;
    Collected got;
    Status st = dec.feed(wire, got);
    if (st.ok()) {
      // A flip in a length that still fits the cap makes the decoder wait
      // for bytes that never come: it then delivers nothing past that frame.
      EXPECT_EQ(got.ends, 0) << "flip at " << at;
      continue;
    }
    EXPECT_NE(st.message().find("offset"), std::string::npos) << st.message();
    // Sticky: more bytes do not revive it.
    EXPECT_FALSE(dec.feed(clean, got).ok());
  }
}

TEST(StreamCodec, ABatchWhoseRecordCountLiesIsRefused) {
  auto events = kcap::testing::make_events(4);
  StreamEncoder enc;
  Bytes wire;
  StreamEncoder::append_preamble(wire);
  ASSERT_TRUE(enc.append_hello({}, wire).ok());
  Bytes blob;
  for (auto& e : events) blob.insert(blob.end(), e.begin(), e.end());
  ASSERT_TRUE(enc.append_batch(0, 5, 5, blob, wire).ok());
  StreamDecoder dec;
  Collected got;
  Status st = dec.feed(wire, got);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("says 5 records and holds 4"), std::string::npos) << st.message();
  EXPECT_TRUE(got.records.empty());
}

TEST(StreamCodec, FramesBeforeTheHelloOrASecondHelloAreRefused) {
  StreamEncoder enc;
  Bytes wire;
  StreamEncoder::append_preamble(wire);
  ASSERT_TRUE(enc.append_progress({1, 0}, wire).ok());
  StreamDecoder dec;
  Collected got;
  EXPECT_NE(dec.feed(wire, got).message().find("first frame is not a hello"), std::string::npos);

  Bytes two;
  StreamEncoder::append_preamble(two);
  ASSERT_TRUE(enc.append_hello({}, two).ok());
  ASSERT_TRUE(enc.append_hello({}, two).ok());
  StreamDecoder dec2;
  EXPECT_NE(dec2.feed(two, got).message().find("second hello"), std::string::npos);
}

TEST(StreamCodec, AnOversizedFrameLengthIsRefusedBeforeAnyAllocation) {
  Bytes wire;
  StreamEncoder::append_preamble(wire);
  Bytes header = {0, 0, 0, 0x40, 0, 0, 0, 0};  // 1 GiB
  wire.insert(wire.end(), header.begin(), header.end());
  StreamDecoder dec;
  Collected got;
  Status st = dec.feed(wire, got);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("claims 1073741824 bytes"), std::string::npos) << st.message();
}

// A node's published event stream is a .kcap stream cut at frame
// boundaries (app/fleet_event_publisher.h); the same decoder reads it.
class MemorySink final : public kcap::ByteSink {
 public:
  explicit MemorySink(Bytes& out) : out_(out) {}
  Status write(std::span<const uint8_t> d) override {
    out_.insert(out_.end(), d.begin(), d.end());
    return ok_status();
  }
  Status finish() override { return ok_status(); }

 private:
  Bytes& out_;
};

TEST(StreamCodec, AKcapStreamsHeaderIsItsHelloAndItsBatchesCarryTheirSequenceNumbers) {
  auto events = kcap::testing::make_events(100, 3);
  Bytes wire;
  kcap::KcapWriter w(kcap::KcapWriterOptions{.max_batch_records = 30, .stream_sequence = true});
  ASSERT_TRUE(w.open(std::make_unique<MemorySink>(wire), "memory").ok());
  ASSERT_TRUE(w.write_header(kcap::testing::make_header()).ok());
  ASSERT_TRUE(w.write_snapshot(kcap::testing::make_snapshot()).ok());
  std::vector<size_t> cuts;  // where each batch frame ends: a publisher's message boundaries
  for (const Bytes& e : events) {
    const uint64_t before = w.batches_written();
    ASSERT_TRUE(w.append(e).ok());
    if (w.batches_written() != before) cuts.push_back(wire.size());
  }
  ASSERT_TRUE(w.close().ok());
  ASSERT_EQ(cuts.size(), 3u);  // 30, 60, 90; the last 10 with the end frame

  StreamHello origin;
  origin.stream_id = 77;
  origin.name = "node-a";
  StreamDecoder dec({}, StreamFraming::kKcap, origin);
  Collected got;
  ASSERT_TRUE(dec.feed(wire, got).ok());
  ASSERT_EQ(got.hellos.size(), 1u);
  EXPECT_EQ(got.hellos[0].stream_id, 77u);
  EXPECT_EQ(got.hellos[0].name, "node-a");
  EXPECT_EQ(got.hellos[0].next_sequence, 0u);
  EXPECT_EQ(got.hellos[0].header.machine.hostname, "host-a");
  EXPECT_EQ(got.snapshot.size(), kcap::testing::make_snapshot().size());
  EXPECT_EQ(got.records, events);
  ASSERT_EQ(got.batches.size(), 4u);
  EXPECT_EQ(got.batches[1], std::make_pair(uint64_t{30}, uint64_t{60}));
  EXPECT_EQ(got.batches[3], std::make_pair(uint64_t{90}, uint64_t{100}));
  EXPECT_EQ(got.ends, 1);

  // The forward framing refuses it: it is not a forwarder's connection.
  StreamDecoder forward;
  Collected none;
  EXPECT_FALSE(forward.feed(wire, none).ok());

  // Joined after the first two batches: numbering starts at the third, so
  // what came before is not lost; the second message missing then shows as
  // 30 records lost.
  StreamDecoder joined({}, StreamFraming::kKcapFrames, origin);
  Collected late;
  ASSERT_TRUE(joined.feed(std::span(wire).subspan(cuts[1]), late).ok());
  ASSERT_EQ(late.hellos.size(), 1u);
  EXPECT_EQ(late.hellos[0].next_sequence, 60u);
  EXPECT_EQ(late.records, std::vector<Bytes>(events.begin() + 60, events.end()));
  StreamSequence seq;
  EXPECT_EQ(seq.on_hello(77, 0), 0u);
  StreamDecoder whole({}, StreamFraming::kKcap, origin);
  struct Counting : Collected {
    StreamSequence* seq = nullptr;
    Status on_batch(const StreamBatchView& b) override {
      seq->on_batch(b.first_sequence, b.record_count, b.produced);
      return Collected::on_batch(b);
    }
  } counting;
  counting.seq = &seq;
  ASSERT_TRUE(whole.feed(std::span(wire).first(cuts[0]), counting).ok());
  ASSERT_TRUE(whole.feed(std::span(wire).subspan(cuts[1]), counting).ok());  // the second message never came
  EXPECT_EQ(seq.counters().lost, 30u);
  EXPECT_EQ(seq.counters().received, 70u);
}

TEST(StreamSequence, JumpsInABatchSequenceAreCountedAsLostRecords) {
  StreamSequence s;
  EXPECT_EQ(s.on_hello(1, 0), 0u);
  EXPECT_EQ(s.on_batch(0, 10, 10), 0u);
  EXPECT_EQ(s.on_batch(10, 5, 15), 0u);
  EXPECT_EQ(s.on_batch(22, 3, 30), 7u);  // 15..21 dropped by the sender
  EXPECT_EQ(s.counters().lost, 7u);
  EXPECT_EQ(s.counters().gaps, 1u);
  EXPECT_EQ(s.counters().received, 18u);
  EXPECT_EQ(s.expected(), 25u);
}

TEST(StreamSequence, AReconnectOfTheSameStreamCountsWhatTheBrokenConnectionLost) {
  StreamSequence s;
  s.on_hello(9, 0);
  s.on_batch(0, 100, 140);
  EXPECT_EQ(s.on_hello(9, 130), 30u);  // 100..129 were in flight
  EXPECT_EQ(s.counters().reconnects, 1u);
  EXPECT_EQ(s.counters().restarts, 0u);
  EXPECT_EQ(s.on_batch(130, 10, 140), 0u);
  EXPECT_EQ(s.counters().lost, 30u);
}

TEST(StreamSequence, ARestartedSenderLosesTheOldStreamsReportedTailAndStartsAgainAtZero) {
  StreamSequence s;
  s.on_hello(1, 0);
  s.on_batch(0, 50, 80);  // 80 captured, 50 arrived
  s.on_progress(90);       // then 90
  EXPECT_EQ(s.on_hello(2, 0), 40u);
  EXPECT_EQ(s.counters().restarts, 1u);
  EXPECT_EQ(s.on_batch(0, 5, 5), 0u);
  EXPECT_EQ(s.counters().lost, 40u);
  EXPECT_EQ(s.counters().received, 55u);
}

TEST(StreamSequence, RecordsDroppedBeforeTheFirstConnectionAreLostToo) {
  StreamSequence s;
  EXPECT_EQ(s.on_hello(5, 12), 12u);
  EXPECT_EQ(s.on_batch(12, 1, 13), 0u);
  EXPECT_EQ(s.on_batch(5, 1, 13), 0u);  // a sender repeating itself
  EXPECT_EQ(s.counters().rewinds, 1u);
}

}  // namespace
}  // namespace kestrel::remote
