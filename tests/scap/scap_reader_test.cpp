// Tests of the .scap reader on Falco's own regression traces and on cut and
// damaged copies of them. Expected counts and values were taken from the
// traces independently of the code under test: block counts by walking the
// block headers (u32 type, u32 length) in a separate script, machine, user
// and process-list values by decoding those blocks by hand from
// falcosecurity/libs' layouts, and process facts from sysdig's output.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sources/capture/capture_source.h"
#include "sources/capture/scap_format.h"
#include "sources/capture/scap_reader.h"
#include "sources/capture/scap_source.h"
#include "sources/capture/streamed_capture_source.h"
#include "tests/scap/synthetic_scap.h"

#ifndef KESTREL_FALCO_TRACES
#error "KESTREL_FALCO_TRACES must name the falco-regression trace_files directory"
#endif

namespace kestrel {
namespace {

std::string trace(const std::string& name) { return std::string(KESTREL_FALCO_TRACES) + "/" + name; }

std::vector<uint8_t> gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  std::vector<uint8_t> out;
  if (!f) return out;
  uint8_t buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(f);
  return out;
}

std::string write_temp(const std::vector<uint8_t>& bytes, const std::string& tag, bool gzip = false) {
  std::string path = ::testing::TempDir() + "scap_" + tag + (gzip ? ".scap.gz" : ".scap");
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return path;
}

uint32_t u32_at(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

// Block offsets by walking headers: independent of ScapReader.
struct Block {
  size_t offset;
  uint32_t type;
  uint32_t length;
};
std::vector<Block> walk_blocks(const std::vector<uint8_t>& b) {
  std::vector<Block> out;
  for (size_t o = 0; o + 8 <= b.size();) {
    uint32_t len = u32_at(b, o + 4);
    out.push_back({o, u32_at(b, o), len});
    if (len < 12) break;
    o += len;
  }
  return out;
}

struct TraceFacts {
  std::string name;
  std::map<uint32_t, uint64_t> blocks;
  uint32_t num_cpus;
  std::string hostname;
  size_t users;
  size_t groups;
  size_t threads;
};

const std::vector<TraceFacts>& facts() {
  static const std::vector<TraceFacts> f = {
      {"cat_write.scap",
       {{0x0A0D0D0A, 1}, {0x201, 1}, {0x205, 1}, {0x206, 1}, {0x212, 1}, {0x203, 73}, {0x204, 345}},
       2, "ubuntu", 32, 61, 73},
      {"connect_localhost.scap",
       {{0x0A0D0D0A, 1}, {0x201, 1}, {0x205, 1}, {0x206, 1}, {0x213, 1}, {0x203, 184}, {0x204, 374}},
       2, "ubuntu", 41, 71, 184},
      {"empty.scap",
       {{0x0A0D0D0A, 1}, {0x201, 1}, {0x219, 1}, {0x220, 1}, {0x215, 1}, {0x218, 218}, {0x216, 143}},
       4, "ubuntu", 45, 77, 218},
      {"open-multiple-files.scap",
       {{0x0A0D0D0A, 1}, {0x201, 1}, {0x205, 1}, {0x206, 1}, {0x212, 1}, {0x203, 128}, {0x204, 1272}},
       1, "ubuntu", 40, 70, 128},
      {"ping_sendto.scap",
       {{0x0A0D0D0A, 1}, {0x201, 1}, {0x219, 1}, {0x220, 1}, {0x215, 1}, {0x218, 136}, {0x216, 1526}},
       4, "ubuntu", 42, 72, 136},
      {"syscall.scap",
       {{0x0A0D0D0A, 1}, {0x201, 1}, {0x205, 1}, {0x206, 1}, {0x214, 1}, {0x203, 229}, {0x204, 368}},
       2, "ubuntu", 41, 71, 229},
  };
  return f;
}

TEST(ScapReader, ReadsEveryBlockOfFalcosTraces) {
  for (const TraceFacts& f : facts()) {
    SCOPED_TRACE(f.name);
    scap::ScapReader r;
    ASSERT_TRUE(r.open(trace(f.name)).ok());
    EXPECT_TRUE(r.compressed());
    EXPECT_EQ(r.major_version(), 1);
    scap::RawEvent ev;
    uint64_t events = 0;
    for (;;) {
      auto n = r.next(ev);
      ASSERT_TRUE(n.ok()) << n.status().to_string();
      if (*n == scap::NextResult::kEnd) break;
      ++events;
    }
    EXPECT_EQ(r.block_counts(), f.blocks);
    uint64_t event_blocks = 0;
    for (auto [type, n] : f.blocks)
      if (scap::is_event_block(type)) event_blocks += n;
    EXPECT_EQ(events + r.malformed_events(), event_blocks);
    EXPECT_EQ(r.malformed_events(), 0u);
    EXPECT_EQ(r.unknown_blocks(), 0u);
    EXPECT_EQ(r.machine().num_cpus, f.num_cpus);
    EXPECT_EQ(r.machine().hostname, f.hostname);
    EXPECT_EQ(r.users().size(), f.users);
    EXPECT_EQ(r.groups().size(), f.groups);
    ASSERT_FALSE(r.users().empty());
    EXPECT_EQ(r.users()[0].uid, 0u);
    EXPECT_EQ(r.users()[0].name, "root");
    EXPECT_EQ(r.thread_count(), f.threads);
  }
}

const ThreadInfo* find_tid(const std::vector<ThreadInfo>& ts, int64_t tid) {
  auto it = std::find_if(ts.begin(), ts.end(), [&](const ThreadInfo& t) { return t.tid == tid; });
  return it == ts.end() ? nullptr : &*it;
}

TEST(ScapReader, ProcessListsOfOldAndNewVersionsSeedThreads) {
  {  // proclist v9 (entries with their own length)
    scap::ScapReader r;
    ASSERT_TRUE(r.open(trace("ping_sendto.scap")).ok());
    auto ts = r.take_threads();
    const ThreadInfo* t = find_tid(ts, 459);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->pid, 459);
    EXPECT_EQ(t->ptid, 1);
    EXPECT_EQ(t->sid, 459);
    EXPECT_EQ(t->comm, "lvmetad");
    EXPECT_EQ(t->exe, "/sbin/lvmetad");
    EXPECT_EQ(t->exepath, "/sbin/lvmetad");
    EXPECT_EQ(t->args, std::vector<std::string>{"-f"});
    EXPECT_EQ(t->cwd, "/");
    EXPECT_EQ(t->uid, 0u);
    const ThreadInfo* init = find_tid(ts, 1);
    ASSERT_NE(init, nullptr);
    EXPECT_EQ(init->exepath, "/lib/systemd/systemd");
  }
  {  // proclist v7; the values sysdig prints for udevd's events
    scap::ScapReader r;
    ASSERT_TRUE(r.open(trace("connect_localhost.scap")).ok());
    auto ts = r.take_threads();
    const ThreadInfo* t = find_tid(ts, 466);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->comm, "systemd-udevd");
    EXPECT_EQ(t->exe, "/lib/systemd/systemd-udevd");
    EXPECT_EQ(t->ptid, 1);
    EXPECT_EQ(t->cwd, "/");
    EXPECT_EQ(t->uid, 0u);
    // fd lists hang on the thread-group leader; init's fd 0 is /dev/null.
    const ThreadInfo* init = find_tid(ts, 1);
    ASSERT_NE(init, nullptr);
    auto fd0 = std::find_if(init->fds.begin(), init->fds.end(), [](const FdInfo& f) { return f.fd == 0; });
    ASSERT_NE(fd0, init->fds.end());
    EXPECT_EQ(fd0->name, "/dev/null");
    EXPECT_EQ(fd0->type, FdType::kFile);
  }
  {  // proclist v6: bash, the parent of the cat in cat_write (sysdig: proc.pcmdline)
    scap::ScapReader r;
    ASSERT_TRUE(r.open(trace("cat_write.scap")).ok());
    auto ts = r.take_threads();
    const ThreadInfo* t = find_tid(ts, 11310);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->comm, "bash");
    EXPECT_EQ(t->args, (std::vector<std::string>{"--noediting", "-i"}));
  }
}

TEST(ScapReader, PlainFilesReadLikeCompressedOnes) {
  auto bytes = gunzip(trace("cat_write.scap"));
  std::string path = write_temp(bytes, "plain");
  scap::ScapReader r;
  ASSERT_TRUE(r.open(path).ok());
  EXPECT_FALSE(r.compressed());
  EXPECT_EQ(r.thread_count(), 73u);
}

// All events a source delivers, and how it ended.
struct Replay {
  std::vector<std::vector<uint8_t>> records;
  std::vector<bool> enter;
  Status end;
};
Replay replay(const std::string& path) {
  Replay out;
  auto src = make_capture_source(path);
  out.end = src->open();
  if (!out.end.ok()) return out;
  EventBatch batch;
  for (;;) {
    auto n = src->next(batch, std::chrono::milliseconds(0));
    if (!n.ok()) {
      out.end = n.status();
      break;
    }
    if (*n == NextOutcome::kEof) break;
    for (const Event& e : batch.events) {
      out.records.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
      out.enter.push_back(e.enter);
    }
  }
  return out;
}

TEST(ScapSource, ACutFileDeliversEverythingBeforeTheCutThenNamesTheOffset) {
  auto bytes = gunzip(trace("cat_write.scap"));
  const auto blocks = walk_blocks(bytes);
  const Replay full = replay(write_temp(bytes, "full"));
  ASSERT_TRUE(full.end.ok()) << full.end.to_string();
  // As the differential test: every event sysdig prints (85): the modelled
  // ones, scap's generic events and the syscalls the table has no Kestrel
  // type for, as generic records.
  ASSERT_EQ(full.records.size(), 85u);

  // Cut inside the event block holding the 20th delivered record.
  auto ts_of = [](const std::vector<uint8_t>& rec) {
    uint64_t ts;
    std::memcpy(&ts, rec.data(), 8);
    return ts;
  };
  const uint64_t cut_ts = ts_of(full.records[20]);
  const Block* cut = nullptr;
  for (const Block& b : blocks) {
    if (b.type != 0x204) continue;
    uint64_t ts;
    std::memcpy(&ts, bytes.data() + b.offset + 8 + 2, 8);  // block header, cpu id, then ts
    if (ts == cut_ts) cut = &b;
  }
  ASSERT_NE(cut, nullptr);
  for (bool gz : {false, true}) {
    SCOPED_TRACE(gz ? "gzip" : "plain");
    std::vector<uint8_t> head(bytes.begin(), bytes.begin() + cut->offset + cut->length / 2);
    const Replay part = replay(write_temp(head, "cut", gz));
    EXPECT_EQ(part.end.code(), StatusCode::kTruncated) << part.end.to_string();
    ASSERT_TRUE(part.end.where().offset.has_value());
    EXPECT_EQ(*part.end.where().offset, cut->offset) << part.end.to_string();
    ASSERT_EQ(part.records.size(), 20u);
    for (size_t i = 0; i < part.records.size(); ++i) EXPECT_EQ(part.records[i], full.records[i]) << i;
  }
}

TEST(ScapSource, ADamagedBlockLengthIsAnErrorAtItsOffset) {
  auto bytes = gunzip(trace("open-multiple-files.scap"));
  const auto blocks = walk_blocks(bytes);
  // The 1200th event block's trailer no longer matches its header (most
  // earlier ones are procinfo, which Kestrel does not model).
  size_t seen = 0;
  const Block* victim = nullptr;
  for (const Block& b : blocks)
    if (b.type == 0x204 && ++seen == 1200) victim = &b;
  ASSERT_NE(victim, nullptr);
  std::vector<uint8_t> bad = bytes;
  const size_t trailer = victim->offset + victim->length - 4;
  bad[trailer] ^= 0x5a;
  const Replay r = replay(write_temp(bad, "trailer"));
  EXPECT_EQ(r.end.code(), StatusCode::kCorrupt) << r.end.to_string();
  ASSERT_TRUE(r.end.where().offset.has_value());
  EXPECT_EQ(*r.end.where().offset, trailer);
  EXPECT_FALSE(r.records.empty());

  // A header length that points past the end of the file.
  bad = bytes;
  const uint32_t huge = 0x00fffff0;
  std::memcpy(bad.data() + victim->offset + 4, &huge, 4);
  const Replay r2 = replay(write_temp(bad, "length"));
  EXPECT_EQ(r2.end.code(), StatusCode::kTruncated) << r2.end.to_string();
  ASSERT_TRUE(r2.end.where().offset.has_value());
  EXPECT_EQ(*r2.end.where().offset, victim->offset);
  EXPECT_EQ(r2.records.size(), r.records.size());
}

TEST(ScapSource, UnknownBlocksAreSkippedAndCounted) {
  auto bytes = gunzip(trace("cat_write.scap"));
  const auto blocks = walk_blocks(bytes);
  // A block of a type no libscap defines, before the machine info and
  // between two event blocks.
  std::vector<uint8_t> unknown(24, 0xab);
  const uint32_t type = 0x7777, len = 24;
  std::memcpy(unknown.data(), &type, 4);
  std::memcpy(unknown.data() + 4, &len, 4);
  std::memcpy(unknown.data() + 20, &len, 4);
  std::vector<uint8_t> edited;
  size_t events = 0;
  for (const Block& b : blocks) {
    if (b.type == 0x201 || (b.type == 0x204 && ++events == 50)) edited.insert(edited.end(), unknown.begin(), unknown.end());
    edited.insert(edited.end(), bytes.begin() + b.offset, bytes.begin() + b.offset + b.length);
  }
  const std::string path = write_temp(edited, "unknown");
  ScapSource src(path);
  ASSERT_TRUE(src.open().ok());
  EventBatch batch;
  size_t delivered = 0;
  for (;;) {
    auto n = src.next(batch, std::chrono::milliseconds(0));
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    if (*n == NextOutcome::kEof) break;
    delivered += batch.events.size();
  }
  EXPECT_EQ(delivered, 85u);
  EXPECT_EQ(src.reader().unknown_blocks(), 2u);
  EXPECT_EQ(src.stats().counters.at("scap_unknown_blocks"), 2u);
}

TEST(ScapSource, IsChosenByContentNotByExtension) {
  auto bytes = gunzip(trace("cat_write.scap"));
  std::string odd = ::testing::TempDir() + "scap_named_like.kcap";
  std::ofstream(odd, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  EXPECT_TRUE(is_scap_file(odd));
  EXPECT_TRUE(is_scap_file(trace("cat_write.scap")));
  const Replay r = replay(odd);
  EXPECT_TRUE(r.end.ok()) << r.end.to_string();
  EXPECT_EQ(r.records.size(), 85u);
  // Not a capture at all: the .kcap reader explains.
  std::string text = write_temp(std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', '\n'}, "text");
  EXPECT_FALSE(is_scap_file(text));
  auto src = make_capture_source(text);
  EXPECT_FALSE(src->open().ok());
}

// Feeds `bytes` into a FIFO at `path` from another thread, as a process
// streaming a capture would: the reader opens the FIFO, then reads.
class FifoWriter {
 public:
  FifoWriter(const std::string& path, std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {
    ::unlink(path.c_str());
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
    thread_ = std::thread([this, path] {
      int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);  // waits for the reader
      for (size_t done = 0; fd >= 0 && done < bytes_.size();) {
        // Small writes: the reader meets the stream in pieces.
        ssize_t n = ::write(fd, bytes_.data() + done, std::min<size_t>(4096, bytes_.size() - done));
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      if (fd >= 0) ::close(fd);
    });
  }
  ~FifoWriter() { thread_.join(); }

 private:
  std::vector<uint8_t> bytes_;
  std::thread thread_;
};

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

TEST(ScapSource, AFifoIsRecognisedByContentPlainOrGzip) {
  const Replay file = replay(trace("cat_write.scap"));
  ASSERT_TRUE(file.end.ok()) << file.end.to_string();
  ASSERT_EQ(file.records.size(), 85u);
  for (bool gz : {false, true}) {
    SCOPED_TRACE(gz ? "gzip through the FIFO" : "plain through the FIFO");
    const std::string fifo = ::testing::TempDir() + "scap_fifo_" + (gz ? "gz" : "plain");
    FifoWriter writer(fifo, gz ? file_bytes(trace("cat_write.scap")) : gunzip(trace("cat_write.scap")));
    EXPECT_FALSE(is_scap_file(fifo));  // not read twice: the head is looked at once, at open()
    auto src = make_capture_source(fifo);
    auto* streamed = dynamic_cast<StreamedCaptureSource*>(src.get());
    ASSERT_NE(streamed, nullptr);
    ASSERT_TRUE(src->open().ok());
    EXPECT_EQ(streamed->format(), "scap");
    EXPECT_EQ(src->initial_state().size(), 73u);
    ASSERT_TRUE(src->capture_users().has_value());
    Replay got;
    EventBatch batch;
    for (;;) {
      auto n = src->next(batch, std::chrono::milliseconds(0));
      ASSERT_TRUE(n.ok()) << n.status().to_string();
      if (*n == NextOutcome::kEof) break;
      for (const Event& e : batch.events) got.records.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
    }
    EXPECT_EQ(got.records, file.records);
    EXPECT_EQ(src->stats().counters.at("scap_unmodelled.procinfo(234)"), 260u);
  }
  // Neither .scap nor .kcap through a FIFO: the .kcap reader explains.
  const std::string fifo = ::testing::TempDir() + "scap_fifo_text";
  FifoWriter writer(fifo, {'h', 'e', 'l', 'l', 'o', '\n'});
  auto src = make_capture_source(fifo);
  Status st = src->open();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(dynamic_cast<StreamedCaptureSource*>(src.get())->format(), "kcap");
}

TEST(ScapSource, AFifoCutInsideAnEventBlockNamesTheOffset) {
  auto bytes = gunzip(trace("cat_write.scap"));
  const auto blocks = walk_blocks(bytes);
  size_t events = 0;
  const Block* cut = nullptr;
  for (const Block& b : blocks)
    if (b.type == 0x204 && ++events == 200) cut = &b;
  ASSERT_NE(cut, nullptr);
  std::vector<uint8_t> head(bytes.begin(), bytes.begin() + cut->offset + cut->length / 2);
  const std::string fifo = ::testing::TempDir() + "scap_fifo_cut";
  FifoWriter writer(fifo, head);
  const Replay r = replay(fifo);
  EXPECT_EQ(r.end.code(), StatusCode::kTruncated) << r.end.to_string();
  ASSERT_TRUE(r.end.where().offset.has_value());
  EXPECT_EQ(*r.end.where().offset, cut->offset);
  EXPECT_FALSE(r.records.empty());
}

TEST(ScapSource, AGzipStreamCutInsideAFifoIsTruncated) {
  // 12532 compressed bytes; the first event block starts 83548 bytes into
  // the 104404 decompressed ones, and the first 95% of the gzip stream
  // decompress to about 97000: events, then the cut.
  auto gz = file_bytes(trace("cat_write.scap"));
  gz.resize(gz.size() * 95 / 100);
  const std::string fifo = ::testing::TempDir() + "scap_fifo_gz_cut";
  FifoWriter writer(fifo, gz);
  const Replay r = replay(fifo);
  EXPECT_EQ(r.end.code(), StatusCode::kTruncated) << r.end.to_string();
  ASSERT_TRUE(r.end.where().offset.has_value());
  EXPECT_FALSE(r.records.empty());
  // Everything before the cut is what the whole file gives.
  const Replay whole = replay(trace("cat_write.scap"));
  ASSERT_LT(r.records.size(), whole.records.size());
  for (size_t i = 0; i < r.records.size(); ++i) EXPECT_EQ(r.records[i], whole.records[i]) << i;
}

TEST(ScapSource, ConcatenatedCapturesReplayOneAfterTheOther) {
  // cat a.scap b.scap (gzip members or plain): the second section header,
  // its process list after the first capture's events, then its events.
  const Replay a = replay(trace("cat_write.scap"));
  const Replay b = replay(trace("syscall.scap"));
  ASSERT_EQ(a.records.size(), 85u);
  ASSERT_EQ(b.records.size(), 12u);  // as the differential test
  scap::ScapReader second;
  ASSERT_TRUE(second.open(trace("syscall.scap")).ok());
  std::vector<ThreadInfo> second_threads = second.take_threads();
  std::vector<ThreadInfo> first_threads;
  {
    scap::ScapReader first;
    ASSERT_TRUE(first.open(trace("cat_write.scap")).ok());
    first_threads = first.take_threads();
  }
  // A process only the second capture lists.
  const ThreadInfo* only_second = nullptr;
  for (const ThreadInfo& t : second_threads)
    if (t.tid == t.pid && !find_tid(first_threads, t.tid)) only_second = &t;
  ASSERT_NE(only_second, nullptr);
  for (bool gz : {false, true}) {
    SCOPED_TRACE(gz ? "gzip members" : "plain");
    std::vector<uint8_t> both;
    for (const char* name : {"cat_write.scap", "syscall.scap"}) {
      auto part = gz ? file_bytes(trace(name)) : gunzip(trace(name));
      both.insert(both.end(), part.begin(), part.end());
    }
    const std::string path = ::testing::TempDir() + "scap_concatenated" + (gz ? ".scap.gz" : ".scap");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(both.data()), both.size());
    ScapSource src(path);
    ASSERT_TRUE(src.open().ok());
    EXPECT_EQ(src.initial_state().size(), first_threads.size());
    std::vector<std::vector<uint8_t>> records;
    EventBatch batch;
    for (;;) {
      auto n = src.next(batch, std::chrono::milliseconds(0));
      ASSERT_TRUE(n.ok()) << n.status().to_string();
      if (*n == NextOutcome::kEof) break;
      for (const Event& e : batch.events) records.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
    }
    std::vector<std::vector<uint8_t>> expected = a.records;
    expected.insert(expected.end(), b.records.begin(), b.records.end());
    EXPECT_EQ(records, expected);
    auto described = src.describe_process(kHostDomain, only_second->pid);
    ASSERT_TRUE(described.has_value());
    const ThreadInfo* d = find_tid(*described, only_second->tid);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->comm, only_second->comm);
    EXPECT_EQ(d->exe, only_second->exe);
    EXPECT_EQ(d->fds.size(), only_second->fds.size());
  }
}

TEST(ScapSource, ALargePlainFileReadAheadGivesWhatItsGzipGives) {
  // A plain capture of several MiB is read ahead by another thread in
  // chunks (sources/capture/read_ahead.h) and its blocks walked in place,
  // some across chunk boundaries; the same bytes gzipped go through zlib
  // with no read-ahead. Both replays must give the same records.
  std::vector<uint8_t> big;
  for (int i = 0; big.size() < 5u * 1024 * 1024; ++i) {
    auto part = gunzip(trace(i % 2 ? "syscall.scap" : "ping_sendto.scap"));
    big.insert(big.end(), part.begin(), part.end());
  }
  const Replay plain = replay(write_temp(big, "big"));
  const Replay gz = replay(write_temp(big, "big", true));
  ASSERT_TRUE(plain.end.ok()) << plain.end.to_string();
  ASSERT_TRUE(gz.end.ok()) << gz.end.to_string();
  EXPECT_GT(plain.records.size(), 300u);
  EXPECT_EQ(plain.records, gz.records);
  EXPECT_EQ(plain.enter, gz.enter);
}

TEST(ScapSource, EnterAndExitRecordsAndUnmodelledCounts) {
  ScapSource src(trace("cat_write.scap"));
  ASSERT_TRUE(src.open().ok());
  EXPECT_EQ(src.initial_state().size(), 73u);
  auto users = src.capture_users();
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ(users->users.size(), 32u);
  EventBatch batch;
  std::map<std::pair<std::string, bool>, int> by_type;
  for (;;) {
    auto n = src.next(batch, std::chrono::milliseconds(0));
    ASSERT_TRUE(n.ok());
    if (*n == NextOutcome::kEof) break;
    for (const Event& e : batch.events) ++by_type[{std::string(e.view.info().name), e.enter}];
  }
  // sysdig -r cat_write.scap: 4 opens, each an enter and an exit.
  EXPECT_EQ((by_type[{"open", true}]), 4);
  EXPECT_EQ((by_type[{"open", false}]), 4);
  EXPECT_EQ((by_type[{"execve", false}]), 1);
  EXPECT_EQ((by_type[{"procexit", true}]), 1);
  // Generic events (scap ids 0/1) as sysdig names them (sysdig -r: 8
  // mprotect, 2 arch_prctl, 1 exit_group; the 2 it calls '<unknown>' carry
  // nativeID 221, x86_64's fadvise64): mprotect has a Kestrel row, the
  // others arrive as Kestrel's generic 'syscall' event.
  EXPECT_EQ((by_type[{"mprotect", true}]), 4);
  EXPECT_EQ((by_type[{"mprotect", false}]), 4);
  const SourceStats s = src.stats();
  EXPECT_EQ(s.counters.at("scap_generic.syscall(mprotect)"), 8u);
  EXPECT_EQ(s.counters.at("scap_generic.syscall(arch_prctl)"), 2u);
  EXPECT_EQ(s.counters.at("scap_generic.syscall(fadvise64)"), 2u);
  EXPECT_EQ(s.counters.at("scap_generic.syscall(exit_group)"), 1u);
  // Syscalls scap has an event for and Kestrel no type: generic records
  // named after their syscall (sysdig -r cat_write.scap evt.type=X counts).
  EXPECT_EQ(s.counters.at("scap_generic.syscall(fstat)"), 10u);
  EXPECT_EQ(s.counters.at("scap_generic.syscall(access)"), 6u);
  EXPECT_EQ(s.counters.at("scap_generic.syscall(brk)"), 6u);
  EXPECT_EQ(s.counters.at("scap_generic.syscall(munmap)"), 4u);
  EXPECT_EQ((by_type[{"syscall", true}]) + (by_type[{"syscall", false}]), 5 + 10 + 6 + 6 + 4);
  EXPECT_EQ(s.events, 85u);
  EXPECT_EQ(s.counters.at("scap_events_read"), 345u);
  EXPECT_EQ(s.counters.at("scap_events_modelled"), 85u);
  EXPECT_EQ(s.counters.at("scap_unmodelled.procinfo(234)"), 260u);
  uint64_t unmodelled = 0;
  for (const auto& [k, v] : s.counters)
    if (k.starts_with("scap_unmodelled.")) unmodelled += v;
  EXPECT_EQ(unmodelled + 85u, 345u);  // nothing lost silently
}

}  // namespace
}  // namespace kestrel

namespace kestrel {
namespace {

// A capture built byte by byte from libscap's layouts (synthetic_scap.h),
// for the block kinds Falco's traces lack: event blocks with flags,
// large-payload event blocks, and entries a newer writer extended with
// fields this reader does not know.
using namespace synthetic_scap;

std::vector<uint8_t> synthetic_capture() {
  SyntheticScap w;
  std::vector<uint8_t> shb;
  put<uint32_t>(shb, 0x1A2B3C4D);
  put<uint16_t>(shb, 1);
  put<uint16_t>(shb, 2);
  put<uint64_t>(shb, ~0ull);
  w.block(0x0A0D0D0A, shb);

  std::vector<uint8_t> mi;
  put<uint32_t>(mi, 8);
  put<uint64_t>(mi, 1ull << 30);
  put<uint64_t>(mi, 4194304);
  std::string host = "scap-host";
  host.resize(128, '\0');
  mi.insert(mi.end(), host.begin(), host.end());
  mi.resize(mi.size() + 32, 0);
  w.block(0x201, mi);

  // User list v2: a user entry with 4 bytes a newer writer appended.
  std::vector<uint8_t> ul;
  size_t at = ul.size();
  put<uint32_t>(ul, 0);
  ul.push_back(0);  // USERBLOCK_TYPE_USER
  put<uint32_t>(ul, 1000);
  put<uint32_t>(ul, 1000);
  str(ul, "alice");
  str(ul, "/home/alice");
  str(ul, "/bin/sh");
  put<uint32_t>(ul, 0xdeadbeef);
  set_len(ul, at);
  at = ul.size();
  put<uint32_t>(ul, 0);
  ul.push_back(1);  // group
  put<uint32_t>(ul, 1000);
  str(ul, "staff");
  set_len(ul, at);
  w.block(0x220, ul);

  // Process list v9: one entry with every field libscap reads, then 13
  // bytes a newer writer appended.
  std::vector<uint8_t> pl;
  at = pl.size();
  put<uint32_t>(pl, 0);
  for (uint64_t v : {1234ull, 1234ull, 1ull, 1234ull, 1234ull}) put<uint64_t>(pl, v);  // tid pid ptid sid vpgid
  str(pl, "writer");
  str(pl, "/usr/bin/writer");
  str(pl, "/usr/bin/writer");
  str(pl, std::string("-v\0out", 6));
  str(pl, "/srv");
  put<uint64_t>(pl, 1024);  // fdlimit
  put<uint32_t>(pl, 0);     // flags
  put<uint32_t>(pl, 1000);  // uid
  put<uint32_t>(pl, 1000);  // gid
  for (int i = 0; i < 3; ++i) put<uint32_t>(pl, 0);  // vm sizes
  put<uint64_t>(pl, 0);
  put<uint64_t>(pl, 0);
  str(pl, std::string("HOME=/home/alice", 16));
  put<uint64_t>(pl, 1234);  // vtid
  put<uint64_t>(pl, 1234);  // vpid
  str(pl, "");              // cgroups
  str(pl, "/");             // root
  put<uint64_t>(pl, 0);     // pidns_init_start_ts
  put<uint32_t>(pl, 34816); // tty
  put<uint32_t>(pl, 1000);  // loginuid
  pl.push_back(0);                      // exe_writable
  for (uint64_t cap : {0ull, 0x1ull, 0x3ull}) put<uint64_t>(pl, cap);
  pl.resize(pl.size() + 13, 0x77);      // unknown appended fields
  set_len(pl, at);
  w.block(0x215, pl);

  // fd list v2 of 1234: a FILE_V2 entry with 6 appended bytes.
  std::vector<uint8_t> fdl;
  put<uint64_t>(fdl, 1234);
  at = fdl.size();
  put<uint32_t>(fdl, 0);
  put<int64_t>(fdl, 7);
  put<uint64_t>(fdl, 99);
  fdl.push_back(16);                          // SCAP_FD_FILE_V2
  put<uint32_t>(fdl, (1 << 0));   // PPM_O_RDONLY
  str(fdl, "/srv/data.log");
  put<uint32_t>(fdl, 0x803);      // dev
  fdl.resize(fdl.size() + 6, 0x55);
  set_len(fdl, at);
  w.block(0x218, fdl);

  // open enter in an event block with flags (EVF v2), its exit in a large
  // block (u32 param lengths), then close in old v1 blocks (no nparams).
  const uint32_t ppm_wronly_creat = (1 << 1) | (1 << 2);
  w.event(0x217, 2, 1000, 1234, {cstr("/srv/out.txt"), le<uint32_t>(ppm_wronly_creat), le<uint32_t>(0644)}, true,
          false, 0x1);
  w.event(0x221, 3, 1001, 1234,
          {le<int64_t>(8), cstr("/srv/out.txt"), le<uint32_t>(ppm_wronly_creat), le<uint32_t>(0644), le<uint32_t>(0x803)},
          true, true, std::nullopt);
  w.event(0x204, 4, 1002, 1234, {le<int64_t>(8)}, false, false, std::nullopt);
  w.event(0x204, 5, 1003, 1234, {le<int64_t>(0)}, false, false, std::nullopt);
  return w.bytes();
}

TEST(ScapSynthetic, FlagsAndLargeBlocksAndExtendedEntriesAreReadByTheirLengths) {
  const std::string path = write_temp(synthetic_capture(), "synthetic");
  ScapSource src(path);
  ASSERT_TRUE(src.open().ok());
  EXPECT_EQ(src.reader().machine().num_cpus, 8u);
  EXPECT_EQ(src.reader().machine().hostname, "scap-host");
  auto users = src.capture_users();
  ASSERT_TRUE(users.has_value());
  ASSERT_EQ(users->users.size(), 1u);
  EXPECT_EQ(users->users[0].name, "alice");
  EXPECT_EQ(users->users[0].shell, "/bin/sh");
  ASSERT_EQ(users->groups.size(), 1u);
  EXPECT_EQ(users->groups[0].name, "staff");

  auto threads = src.initial_state();
  ASSERT_EQ(threads.size(), 1u);
  const ThreadInfo& t = threads[0];
  EXPECT_EQ(t.comm, "writer");
  EXPECT_EQ(t.args, (std::vector<std::string>{"-v", "out"}));
  EXPECT_EQ(t.cwd, "/srv");
  EXPECT_EQ(t.uid, 1000u);
  EXPECT_EQ(t.tty, 34816u);
  EXPECT_EQ(t.loginuid, 1000u);
  EXPECT_EQ(t.cap_effective, 3u);
  ASSERT_EQ(t.fds.size(), 1u);
  EXPECT_EQ(t.fds[0].fd, 7);
  EXPECT_EQ(t.fds[0].name, "/srv/data.log");
  EXPECT_EQ(t.fds[0].dev, 0x803u);
  EXPECT_EQ(t.fds[0].open_flags, static_cast<uint32_t>(O_RDONLY));

  EventBatch batch;
  auto n = src.next(batch, std::chrono::milliseconds(0));
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  ASSERT_EQ(batch.events.size(), 4u);
  const Event& open_e = batch.events[0];
  const Event& open_x = batch.events[1];
  EXPECT_TRUE(open_e.enter);
  EXPECT_FALSE(open_x.enter);
  EXPECT_EQ(open_e.view.type(), KE_OPEN);
  EXPECT_EQ(open_e.view.tgid(), 1234u);
  EXPECT_EQ(open_e.view.param_str(KP_OPEN_name), "/srv/out.txt");
  EXPECT_EQ(open_e.view.param_uint(KP_OPEN_flags), static_cast<uint64_t>(O_WRONLY | O_CREAT));
  EXPECT_FALSE(open_e.view.has_param(KP_OPEN_fd));
  EXPECT_EQ(open_x.view.param_int(KP_OPEN_fd), 8);
  EXPECT_EQ(open_x.view.param_uint(KP_OPEN_mode), 0644u);
  EXPECT_EQ(open_x.view.param_uint(KP_OPEN_dev), 0x803u);
  const Event& close_x = batch.events[3];
  EXPECT_TRUE(batch.events[2].enter);
  EXPECT_EQ(close_x.view.type(), KE_CLOSE);
  EXPECT_EQ(close_x.view.param_int(KP_CLOSE_res), 0);
  EXPECT_EQ(close_x.view.param_int(KP_CLOSE_fd), 8);  // merged from the enter
  n = src.next(batch, std::chrono::milliseconds(0));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, NextOutcome::kEof);
  EXPECT_EQ(src.reader().block_counts().at(0x217), 1u);
  EXPECT_EQ(src.reader().block_counts().at(0x221), 1u);
}

TEST(ScapSynthetic, AnEntryLongerThanItsBlockIsAnErrorAtItsOffset) {
  auto bytes = synthetic_capture();
  const auto blocks = walk_blocks(bytes);
  auto pl = std::find_if(blocks.begin(), blocks.end(), [](const Block& b) { return b.type == 0x215; });
  ASSERT_NE(pl, blocks.end());
  // The entry claims more bytes than its block holds.
  const uint32_t too_long = 0x4000;
  std::memcpy(bytes.data() + pl->offset + 8, &too_long, 4);
  scap::ScapReader r;
  Status st = r.open(write_temp(bytes, "entry"));
  EXPECT_EQ(st.code(), StatusCode::kCorrupt) << st.to_string();
  ASSERT_TRUE(st.where().offset.has_value());
  EXPECT_GE(*st.where().offset, pl->offset);
  EXPECT_LT(*st.where().offset, pl->offset + pl->length);
}

}  // namespace
}  // namespace kestrel
