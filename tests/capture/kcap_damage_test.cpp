// Damaged, cut and foreign files: the reader reports where, never crashes.
#include <gtest/gtest.h>

#include <random>

#include "sources/capture/kcap_reader.h"
#include "sources/capture/kcap_writer.h"
#include "sources/event/event_builder.h"
#include "tests/capture/capture_test_data.h"

namespace kestrel::kcap {
namespace {

using testing::Bytes;

class KcapDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    events_ = testing::make_events(300, 5);
    KcapWriterOptions opt;
    opt.max_batch_records = 40;  // several event frames
    good_path_ = dir_.file("good.kcap");
    ASSERT_TRUE(write_capture(good_path_, testing::make_header(), testing::make_snapshot(), events_, opt).ok());
    good_ = testing::read_file(good_path_);
  }

  testing::ReadOutcome read_bytes(const Bytes& bytes) {
    std::string path = dir_.file("damaged.kcap");
    testing::write_file(path, bytes);
    return testing::read_capture(path);
  }

  // The status names its offset, in the message and in where().
  static void expect_offset_named(const Status& st, uint64_t max_offset) {
    ASSERT_TRUE(st.where().offset.has_value()) << st.to_string();
    EXPECT_LE(*st.where().offset, max_offset) << st.to_string();
    EXPECT_NE(st.message().find(std::to_string(*st.where().offset)), std::string::npos) << st.to_string();
  }

  // What was delivered before the error is a prefix of what was written.
  void expect_prefix(const std::vector<Bytes>& got) {
    ASSERT_LE(got.size(), events_.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], events_[i]) << "event " << i;
  }

  testing::TempDir dir_;
  std::vector<Bytes> events_;
  std::string good_path_;
  Bytes good_;
};

TEST_F(KcapDamage, EmptyFile) {
  auto got = read_bytes({});
  EXPECT_EQ(got.status.code(), StatusCode::kTruncated);
  EXPECT_NE(got.status.message().find("empty"), std::string::npos);
  EXPECT_EQ(got.status.where().offset, 0u);
  EXPECT_EQ(got.status.where().file, dir_.file("damaged.kcap"));
}

TEST_F(KcapDamage, ForeignFiles) {
  std::string text = "- rule: not a capture\n  condition: evt.type = open\n";
  auto got = read_bytes(Bytes(text.begin(), text.end()));
  EXPECT_EQ(got.status.code(), StatusCode::kCorrupt);
  EXPECT_NE(got.status.message().find("not a Kestrel capture"), std::string::npos) << got.status.to_string();
  EXPECT_NE(got.status.message().find("text"), std::string::npos) << got.status.to_string();

  Bytes scap = {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0, 0};
  got = read_bytes(scap);
  EXPECT_EQ(got.status.code(), StatusCode::kCorrupt);
  EXPECT_NE(got.status.message().find(".scap"), std::string::npos) << got.status.to_string();

  got = testing::read_capture(dir_.file("does-not-exist.kcap"));
  EXPECT_EQ(got.status.code(), StatusCode::kNotFound);
}

TEST_F(KcapDamage, NewerFormatVersionIsRefusedClearly) {
  Bytes b = good_;
  b[8] = 2;
  auto got = read_bytes(b);
  EXPECT_EQ(got.status.code(), StatusCode::kUnimplemented);
  EXPECT_NE(got.status.message().find("version 2"), std::string::npos) << got.status.to_string();
}

TEST_F(KcapDamage, EveryCutPointIsReportedAsTruncated) {
  ASSERT_TRUE(read_bytes(good_).status.ok());
  size_t checked = 0;
  for (size_t cut = 0; cut < good_.size(); cut += (cut < 200 ? 1 : 13)) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    auto got = read_bytes(Bytes(good_.begin(), good_.begin() + static_cast<long>(cut)));
    ASSERT_EQ(got.status.code(), StatusCode::kTruncated) << got.status.to_string();
    expect_offset_named(got.status, cut);
    expect_prefix(got.events);
    ++checked;
  }
  // Cuts at every frame boundary too (a file cut between two frames).
  for (size_t off : testing::frame_offsets(good_)) {
    auto got = read_bytes(Bytes(good_.begin(), good_.begin() + static_cast<long>(off)));
    EXPECT_EQ(got.status.code(), StatusCode::kTruncated) << "cut at frame " << off;
    ++checked;
  }
  EXPECT_GT(checked, 500u);
}

TEST_F(KcapDamage, EverySingleByteFlipIsDetected) {
  // The crc32 covers every payload byte; the preamble and frame headers are
  // checked field by field. So no single damaged byte passes unnoticed.
  for (size_t pos = 0; pos < good_.size(); pos += (pos < 300 ? 1 : 7)) {
    Bytes b = good_;
    b[pos] ^= 0x5a;
    auto got = read_bytes(b);
    ASSERT_FALSE(got.status.ok()) << "flip at " << pos << " went unnoticed";
    EXPECT_TRUE(got.status.code() == StatusCode::kCorrupt || got.status.code() == StatusCode::kTruncated ||
                got.status.code() == StatusCode::kUnimplemented)
        << got.status.to_string();
    ASSERT_TRUE(got.status.where().offset.has_value()) << got.status.to_string();
    expect_prefix(got.events);
  }
}

TEST_F(KcapDamage, ChecksumCatchesAFlipInsideEventData) {
  const Bytes& target = events_[42];
  size_t at = testing::find_bytes(good_, target);
  ASSERT_NE(at, SIZE_MAX);
  Bytes b = good_;
  b[at + target.size() - 3] ^= 0x01;  // inside the last param's data: the record still parses
  auto got = read_bytes(b);
  ASSERT_EQ(got.status.code(), StatusCode::kCorrupt);
  EXPECT_NE(got.status.message().find("crc32"), std::string::npos) << got.status.to_string();
  // Reported at the start of the frame holding the record; batches before it were delivered.
  auto frames = testing::frame_offsets(good_);
  size_t frame = 0;
  for (size_t f : frames)
    if (f < at) frame = f;
  EXPECT_EQ(got.status.where().offset, frame);
  EXPECT_EQ(got.events.size(), 40u);  // batch 0 (records 0..39) came through
  expect_prefix(got.events);
}

TEST_F(KcapDamage, BadRecordWithValidChecksumIsReportedAtTheRecord) {
  // A writer bug rather than disk damage: the crc matches but a record lies
  // about its param count. EventView validation catches it, at its offset.
  const Bytes& target = events_[45];
  size_t at = testing::find_bytes(good_, target);
  ASSERT_NE(at, SIZE_MAX);
  Bytes b = good_;
  b[at + 22] = 200;  // nparams
  size_t frame = 0;
  for (size_t f : testing::frame_offsets(good_))
    if (f < at) frame = f;
  testing::fix_frame_crc(b, frame);
  auto got = read_bytes(b);
  ASSERT_EQ(got.status.code(), StatusCode::kCorrupt) << got.status.to_string();
  EXPECT_EQ(got.status.where().offset, at) << got.status.to_string();
  EXPECT_NE(got.status.message().find("params"), std::string::npos) << got.status.to_string();
  expect_offset_named(got.status, at);
}

TEST_F(KcapDamage, GarbageMessagesWithValidChecksumsNeverCrash) {
  // Random bytes inside payloads with the crc recomputed: this reaches
  // Cap'n Proto's own validation (segment table, pointers, limits).
  std::mt19937 rng(1234);
  auto frames = testing::frame_offsets(good_);
  int errors = 0;
  for (int round = 0; round < 600; ++round) {
    Bytes b = good_;
    size_t f = frames[rng() % frames.size()];
    uint32_t len;
    std::memcpy(&len, b.data() + f, 4);
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips; ++k) {
      // Bias towards the first words: segment table and root pointers.
      size_t span = rng() % 2 ? std::min<size_t>(len, 64) : len;
      b[f + kFrameHeaderSize + rng() % span] = static_cast<uint8_t>(rng());
    }
    testing::fix_frame_crc(b, f);
    auto got = read_bytes(b);
    if (!got.status.ok()) {
      ++errors;
      EXPECT_TRUE(got.status.code() == StatusCode::kCorrupt || got.status.code() == StatusCode::kTruncated)
          << got.status.to_string();
      EXPECT_TRUE(got.status.where().offset.has_value());
    }
  }
  EXPECT_GT(errors, 100);
}

TEST_F(KcapDamage, OversizedFrameLengthIsRejectedBeforeAllocating) {
  Bytes b = good_;
  size_t f = testing::frame_offsets(good_)[1];
  uint32_t huge = 0xfffffff8u;
  std::memcpy(b.data() + f, &huge, 4);
  auto got = read_bytes(b);
  EXPECT_EQ(got.status.code(), StatusCode::kCorrupt);
  EXPECT_EQ(got.status.where().offset, f);
  EXPECT_NE(got.status.message().find("at most"), std::string::npos) << got.status.to_string();

  // Within the cap but past the end of the file: truncated.
  uint32_t big = 60u << 20;
  std::memcpy(b.data() + f, &big, 4);
  got = read_bytes(b);
  EXPECT_EQ(got.status.code(), StatusCode::kTruncated);
  EXPECT_EQ(got.status.where().offset, f);
}

TEST_F(KcapDamage, MissingOrExtraFramesAreNoticed) {
  auto frames = testing::frame_offsets(good_);
  ASSERT_GE(frames.size(), 6u);
  // Drop the third frame from the end (an event batch).
  size_t from = frames[frames.size() - 3], to = frames[frames.size() - 2];
  Bytes b(good_.begin(), good_.begin() + static_cast<long>(from));
  b.insert(b.end(), good_.begin() + static_cast<long>(to), good_.end());
  auto got = read_bytes(b);
  EXPECT_EQ(got.status.code(), StatusCode::kCorrupt);
  EXPECT_NE(got.status.message().find("missing"), std::string::npos) << got.status.to_string();

  // Bytes after the end frame.
  b = good_;
  b.push_back(0);
  got = read_bytes(b);
  EXPECT_EQ(got.status.code(), StatusCode::kCorrupt);
  EXPECT_EQ(got.status.where().offset, good_.size());
  EXPECT_EQ(got.events.size(), events_.size());
}

TEST_F(KcapDamage, CutGzipFilesFailCleanly) {
  std::string gz = dir_.file("a.kcap.gz");
  KcapWriterOptions opt;
  opt.gzip = true;
  ASSERT_TRUE(write_capture(gz, testing::make_header(), testing::make_snapshot(), events_, opt).ok());
  Bytes whole = testing::read_file(gz);
  for (size_t cut = 2; cut < whole.size(); cut += 97) {
    auto got = read_bytes(Bytes(whole.begin(), whole.begin() + static_cast<long>(cut)));
    ASSERT_FALSE(got.status.ok()) << "cut at " << cut;
    EXPECT_TRUE(got.status.code() == StatusCode::kTruncated || got.status.code() == StatusCode::kCorrupt)
        << got.status.to_string();
    expect_offset_named(got.status, UINT64_MAX);
    expect_prefix(got.events);
  }
  // Only the gzip trailer (crc32 + size) missing.
  auto got = read_bytes(Bytes(whole.begin(), whole.end() - 8));
  EXPECT_EQ(got.status.code(), StatusCode::kTruncated) << got.status.to_string();
  EXPECT_EQ(got.events.size(), events_.size());
  for (size_t pos = 20; pos < whole.size(); pos += 131) {
    Bytes b = whole;
    b[pos] ^= 0xff;
    auto got = read_bytes(b);
    EXPECT_FALSE(got.status.ok()) << "flip at " << pos;
    expect_prefix(got.events);
  }
}

}  // namespace
}  // namespace kestrel::kcap
