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
#include <map>
#include <string>
#include <vector>

#include "sources/capture/capture_source.h"
#include "sources/capture/scap_format.h"
#include "sources/capture/scap_reader.h"
#include "sources/capture/scap_source.h"

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
  ASSERT_EQ(full.records.size(), 46u);  // as the differential test: every modelled event

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
  EXPECT_EQ(delivered, 46u);
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
  EXPECT_EQ(r.records.size(), 46u);
  // Not a capture at all: the .kcap reader explains.
  std::string text = write_temp(std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', '\n'}, "text");
  EXPECT_FALSE(is_scap_file(text));
  auto src = make_capture_source(text);
  EXPECT_FALSE(src->open().ok());
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
  const SourceStats s = src.stats();
  EXPECT_EQ(s.events, 46u);
  EXPECT_EQ(s.counters.at("scap_events_read"), 345u);
  EXPECT_EQ(s.counters.at("scap_events_modelled"), 46u);
  EXPECT_EQ(s.counters.at("scap_unmodelled.procinfo(234)"), 260u);
  EXPECT_EQ(s.counters.at("scap_unmodelled.fstat(70)"), 5u);
  uint64_t unmodelled = 0;
  for (const auto& [k, v] : s.counters)
    if (k.starts_with("scap_unmodelled.")) unmodelled += v;
  EXPECT_EQ(unmodelled + 46u, 345u);  // nothing lost silently
}

}  // namespace
}  // namespace kestrel
