// What a KcapWriter writes, a KcapReader reads back unchanged.
#include <gtest/gtest.h>
#include <time.h>

#include "sources/capture/kcap_reader.h"
#include "sources/capture/kcap_writer.h"
#include "sources/event/event_builder.h"
#include "tests/capture/capture_test_data.h"
#include "tests/support/record_conformance.h"

namespace kestrel::kcap {
namespace {

using testing::Bytes;

void expect_same_events(const std::vector<Bytes>& want, const std::vector<Bytes>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(want[i], got[i]) << "event " << i;
}

TEST(KcapRoundTrip, HeaderSnapshotAndEveryEventComeBackIdentical) {
  testing::TempDir dir;
  auto events = testing::make_events(400);
  auto snapshot = testing::make_snapshot();
  auto header = testing::make_header();
  header.format_version = 99;  // the writer always writes its own version
  std::string path = dir.file("a.kcap");
  ASSERT_TRUE(write_capture(path, header, snapshot, events).ok());

  auto got = testing::read_capture(path);
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  EXPECT_EQ(got.header.format_version, kFormatVersion);
  EXPECT_EQ(got.header.producer, "kestrel test");
  EXPECT_EQ(got.header.created_ns, header.created_ns);
  EXPECT_EQ(got.header.machine.hostname, "host-a");
  EXPECT_EQ(got.header.machine.kernel_release, "6.1.0-test");
  EXPECT_EQ(got.header.machine.kernel_version, "#1 SMP PREEMPT_DYNAMIC");
  EXPECT_EQ(got.header.machine.arch, "x86_64");
  EXPECT_EQ(got.header.machine.boot_time_ns, header.machine.boot_time_ns);
  EXPECT_EQ(got.header.machine.cpu_count, 12u);
  ASSERT_EQ(got.snapshot.size(), snapshot.size());
  for (size_t i = 0; i < snapshot.size(); ++i) testing::expect_same_thread(snapshot[i], got.snapshot[i]);
  expect_same_events(events, got.events);
}

// The test builders' records (every kind make_events writes) conform before
// they are written and as the reader hands them back.
TEST(KcapRoundTrip, EveryRecordConformsBeforeAndAfter) {
  testing::TempDir dir;
  auto events = testing::make_events(2000);
  for (const auto& e : events) ASSERT_EQ(test::describe_problems(test::record_problems(e)), "");
  std::string path = dir.file("c.kcap");
  ASSERT_TRUE(write_capture(path, testing::make_header(), {}, events).ok());
  KcapReader reader;
  ASSERT_TRUE(reader.open(path).ok());
  std::vector<EventView> views;
  size_t seen = 0;
  for (;;) {
    auto r = reader.next_batch(views);
    ASSERT_TRUE(r.ok());
    if (*r == BatchOutcome::kEnd) break;
    for (const EventView& v : views) EXPECT_EQ(test::describe_problems(test::record_problems(v)), "");
    seen += views.size();
  }
  EXPECT_EQ(seen, events.size());
}

TEST(KcapRoundTrip, ReaderCountsAndStaysAtEnd) {
  testing::TempDir dir;
  auto events = testing::make_events(50);
  std::string path = dir.file("a.kcap");
  ASSERT_TRUE(write_capture(path, testing::make_header(), {}, events).ok());
  KcapReader reader;
  ASSERT_TRUE(reader.open(path).ok());
  EXPECT_TRUE(reader.snapshot().empty());
  std::vector<EventView> views;
  auto r = reader.next_batch(views);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, BatchOutcome::kBatch);
  EXPECT_EQ(views.size(), 50u);
  EXPECT_EQ(views[3].type(), KE_CONNECT);
  EXPECT_EQ(views[8].type(), KE_PROCEXIT);
  for (const EventView& v : views) EXPECT_EQ(test::describe_problems(test::record_problems(v)), "");
  for (int i = 0; i < 2; ++i) {
    r = reader.next_batch(views);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, BatchOutcome::kEnd);
    EXPECT_TRUE(views.empty());
  }
  EXPECT_EQ(reader.events_read(), 50u);
  EXPECT_EQ(reader.batches_read(), 1u);
  EXPECT_EQ(reader.offset(), testing::read_file(path).size());
}

TEST(KcapRoundTrip, SmallBatchesStreamInOrder) {
  testing::TempDir dir;
  auto events = testing::make_events(1000, 7);
  std::string path = dir.file("small.kcap");
  KcapWriterOptions opt;
  opt.max_batch_records = 7;
  KcapWriter w(opt);
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.write_header(testing::make_header()).ok());
  for (const auto& e : events) ASSERT_TRUE(w.append(e).ok());
  ASSERT_TRUE(w.close().ok());
  EXPECT_EQ(w.batches_written(), 143u);  // ceil(1000 / 7)
  EXPECT_EQ(w.events_written(), 1000u);

  auto got = testing::read_capture(path);
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  ASSERT_EQ(got.batch_sizes.size(), 143u);
  for (size_t i = 0; i + 1 < got.batch_sizes.size(); ++i) EXPECT_EQ(got.batch_sizes[i], 7u);
  EXPECT_EQ(got.batch_sizes.back(), 1000u % 7);
  expect_same_events(events, got.events);
}

TEST(KcapRoundTrip, BatchesAreCutBySize) {
  testing::TempDir dir;
  auto events = testing::make_events(300, 3);
  std::string path = dir.file("bytes.kcap");
  KcapWriterOptions opt;
  opt.max_batch_bytes = 600;
  ASSERT_TRUE(write_capture(path, testing::make_header(), {}, events, opt).ok());
  auto got = testing::read_capture(path);
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  expect_same_events(events, got.events);
  // Every batch but one holding a single big record stays within the limit.
  size_t i = 0;
  for (size_t n : got.batch_sizes) {
    size_t bytes = 0;
    for (size_t k = 0; k < n; ++k) bytes += events[i + k].size();
    if (n > 1) {
      EXPECT_LE(bytes, 600u);
    }
    i += n;
  }
  EXPECT_GT(got.batch_sizes.size(), 300u / 10);
}

TEST(KcapRoundTrip, DomainChangesStartNewBatches) {
  testing::TempDir dir;
  auto events = testing::make_events(6);
  std::string path = dir.file("dom.kcap");
  KcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.write_header(testing::make_header()).ok());
  const uint32_t domains[] = {0, 0, 5, 5, 5, 0};
  for (size_t i = 0; i < events.size(); ++i) ASSERT_TRUE(w.append(events[i], domains[i]).ok());
  ASSERT_TRUE(w.close().ok());
  auto got = testing::read_capture(path);
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  EXPECT_EQ(got.batch_sizes, (std::vector<size_t>{2, 3, 1}));
  EXPECT_EQ(got.batch_domains, (std::vector<uint32_t>{0, 5, 0}));
  expect_same_events(events, got.events);
}

TEST(KcapRoundTrip, GzipCompressedFile) {
  testing::TempDir dir;
  auto events = testing::make_events(500, 11);
  auto snapshot = testing::make_snapshot();
  std::string path = dir.file("a.kcap.gz");
  KcapWriterOptions opt;
  opt.gzip = true;
  opt.max_batch_records = 64;
  ASSERT_TRUE(write_capture(path, testing::make_header(), snapshot, events, opt).ok());
  auto raw = testing::read_file(path);
  ASSERT_GE(raw.size(), 2u);
  EXPECT_EQ(raw[0], 0x1f);
  EXPECT_EQ(raw[1], 0x8b);
  KcapReader reader;
  ASSERT_TRUE(reader.open(path).ok());
  EXPECT_TRUE(reader.compressed());
  auto got = testing::read_capture(path);
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  ASSERT_EQ(got.snapshot.size(), snapshot.size());
  for (size_t i = 0; i < snapshot.size(); ++i) testing::expect_same_thread(snapshot[i], got.snapshot[i]);
  expect_same_events(events, got.events);
}

TEST(KcapRoundTrip, LargeSnapshotSpansSeveralFrames) {
  testing::TempDir dir;
  std::vector<ThreadInfo> snapshot;
  auto base = testing::make_snapshot();
  for (int i = 0; i < 2000; ++i) {
    ThreadInfo t = base[i % base.size()];
    t.tid = 10000 + i;
    t.env.push_back("BIG=" + std::string(1000, static_cast<char>('a' + i % 26)));
    snapshot.push_back(t);
  }
  std::string path = dir.file("snap.kcap");
  KcapWriterOptions opt;
  opt.max_snapshot_chunk_bytes = 64 * 1024;
  ASSERT_TRUE(write_capture(path, testing::make_header(), snapshot, testing::make_events(10), opt).ok());
  // header + snapshot chunks + 1 batch + end: ~2.6 MB / 64 KiB chunks.
  EXPECT_GT(testing::frame_offsets(testing::read_file(path)).size(), 30u);
  auto got = testing::read_capture(path);
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  ASSERT_EQ(got.snapshot.size(), snapshot.size());
  for (size_t i = 0; i < snapshot.size(); ++i) testing::expect_same_thread(snapshot[i], got.snapshot[i]);
  EXPECT_EQ(got.events.size(), 10u);
}

TEST(KcapRoundTrip, HeaderOnlyCaptureIsComplete) {
  testing::TempDir dir;
  std::string path = dir.file("empty.kcap");
  ASSERT_TRUE(write_capture(path, testing::make_header(), {}, {}).ok());
  auto got = testing::read_capture(path);
  EXPECT_TRUE(got.status.ok()) << got.status.to_string();
  EXPECT_TRUE(got.events.empty());
  EXPECT_TRUE(got.batch_sizes.empty());
}

TEST(KcapWriter, RejectsMalformedRecordsAndMisorderedCalls) {
  testing::TempDir dir;
  KcapWriter w;
  EXPECT_EQ(w.write_header(testing::make_header()).code(), StatusCode::kInvalidArgument);  // not open
  ASSERT_TRUE(w.open(dir.file("w.kcap")).ok());
  EXPECT_EQ(w.append(testing::make_events(1)[0]).code(), StatusCode::kInvalidArgument);  // no header yet
  ASSERT_TRUE(w.write_header(testing::make_header()).ok());
  EXPECT_EQ(w.write_header(testing::make_header()).code(), StatusCode::kInvalidArgument);
  auto rec = testing::make_events(1)[0];
  rec.pop_back();  // len no longer matches
  EXPECT_EQ(w.append(rec).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.append(Bytes(10, 0)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(w.append(testing::make_events(1)[0]).ok());
  EXPECT_EQ(w.write_snapshot(testing::make_snapshot()).code(), StatusCode::kInvalidArgument);  // after events
  ASSERT_TRUE(w.close().ok());
  EXPECT_TRUE(w.close().ok());  // idempotent
  auto got = testing::read_capture(dir.file("w.kcap"));
  ASSERT_TRUE(got.status.ok()) << got.status.to_string();
  EXPECT_EQ(got.events.size(), 1u);  // the rejected records were not written
}

TEST(KcapWriter, ReportsUnwritablePath) {
  KcapWriter w;
  Status st = w.open("/nonexistent-dir/x.kcap");
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.to_string().find("/nonexistent-dir/x.kcap"), std::string::npos);
}

TEST(KcapFormat, LocalMachineInfoDescribesThisHost) {
  MachineInfo m = local_machine_info();
  EXPECT_FALSE(m.hostname.empty());
  EXPECT_FALSE(m.kernel_release.empty());
  EXPECT_FALSE(m.arch.empty());
  EXPECT_GT(m.cpu_count, 0u);
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  EXPECT_GT(m.boot_time_ns, 1'000'000'000ull * 1'500'000'000ull);  // after 2017
  EXPECT_LT(m.boot_time_ns, static_cast<uint64_t>(now.tv_sec) * 1'000'000'000ull);
}

// The codec persists every field of ThreadInfo and FdInfo by name (but
// FdInfo::plugin_values, plugins' own state, as libs' captures keep no
// dynamic fields). A new
// field changes these sizes: add it to kcap.capnp, kcap_codec.cpp and
// testing::expect_same_thread, then update the numbers here.
TEST(KcapFormat, ThreadInfoLayoutIsTheOneTheCodecKnows) {
#if defined(__x86_64__) && defined(__GLIBCXX__)
  EXPECT_EQ(sizeof(FdInfo), 208u);
  EXPECT_EQ(sizeof(ThreadInfo), 544u);
#else
  GTEST_SKIP() << "sizes recorded for x86_64 libstdc++ only";
#endif
}

}  // namespace
}  // namespace kestrel::kcap
