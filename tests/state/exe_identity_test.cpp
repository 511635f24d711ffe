// ExeDigests and PidNamespaceStarts on this machine's real /proc and real
// files: digests compared with sha256sum's, the identity check, the size
// bound, the cache; pid namespace starts compared with what the test reads
// from /proc itself.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "state/exe_digest.h"
#include "state/pidns_start.h"
#include "state/proc_io.h"

namespace kestrel {
namespace {

namespace fs = std::filesystem;

std::string sha256sum(const std::string& path) {
  std::string out;
  FILE* f = popen(("sha256sum '" + path + "'").c_str(), "r");
  char buf[256];
  size_t n;
  while (f != nullptr && (n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  if (f != nullptr) pclose(f);
  return out.substr(0, out.find(' '));
}

// A process (no /proc entry needed) that ran `path`, with the inode facts
// an exec event would have carried.
ThreadInfo ran(const std::string& path, int64_t pid) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  ThreadInfo t;
  t.pid = t.tid = pid;
  t.ptid = 0;
  t.exepath = path;
  t.exe_ino = st.st_ino;
  t.exe_ino_ctime = timespec_ns(st.st_ctim);
  t.exe_ino_mtime = timespec_ns(st.st_mtim);
  return t;
}

class ExeDigestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kestrel-exe-digest-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& bytes) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string dir_;
};

// This process's own executable, through /proc/self's pid.
TEST_F(ExeDigestsTest, HashesARunningProcessExecutableAsSha256sumDoes) {
  ExeDigests digests;
  const std::string exe = *read_link("/proc/self/exe");
  ThreadInfo self = ran(exe, getpid());
  const std::string* hex = digests.sha256_hex(self);
  ASSERT_NE(hex, nullptr);
  EXPECT_EQ(*hex, sha256sum(exe));
  EXPECT_EQ(digests.stats().hashed, 1u);
  // The second ask is answered from memory, without opening anything.
  ASSERT_NE(digests.sha256_hex(self), nullptr);
  EXPECT_EQ(digests.stats().cache_hits, 1u);
  EXPECT_EQ(digests.stats().hashed, 1u);
}

// A process that is gone (no pid can be 0x7fffffff here): its path, still
// the same file, is hashed; once the file changes, it is not.
TEST_F(ExeDigestsTest, AGoneProcessIsHashedThroughItsPathOnlyWhileTheFileIsTheSame) {
  const std::string path = file("tool", "#!/bin/sh\necho one\n");
  ThreadInfo gone = ran(path, 0x7fffffff);
  ExeDigests digests;
  const std::string* hex = digests.sha256_hex(gone);
  ASSERT_NE(hex, nullptr);
  EXPECT_EQ(*hex, sha256sum(path));

  // Rewritten: another ctime and mtime, so another file for a new process…
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "#!/bin/sh\necho two\n";
  ThreadInfo fresh = ran(path, 0x7fffffff);
  ExeDigests other;
  ASSERT_NE(other.sha256_hex(fresh), nullptr);
  EXPECT_EQ(*other.sha256_hex(fresh), sha256sum(path));
  // …and the path no longer names the first process's image.
  ExeDigests cold;
  EXPECT_EQ(cold.sha256_hex(gone), nullptr);
  EXPECT_EQ(cold.stats().unreadable, 1u);
}

TEST_F(ExeDigestsTest, FilesOverTheBoundAreNotHashedAndAreRemembered) {
  const std::string path = file("big", std::string(4096, 'x'));
  ThreadInfo p = ran(path, 0x7fffffff);
  ExeDigests digests(/*max_file_bytes=*/1024);
  EXPECT_EQ(digests.sha256_hex(p), nullptr);
  EXPECT_EQ(digests.sha256_hex(p), nullptr);
  EXPECT_EQ(digests.stats().too_large, 1u);
  EXPECT_EQ(digests.stats().cache_hits, 1u);
  EXPECT_EQ(digests.stats().hashed, 0u);
}

TEST_F(ExeDigestsTest, WithoutInodeFactsOnlyTheProcessExeLinkIsUsed) {
  const std::string path = file("tool", "bytes");
  ThreadInfo unknown;
  unknown.pid = 0x7fffffff;
  unknown.exepath = path;  // no exe_ino*: the path alone is not trusted
  ExeDigests digests;
  EXPECT_EQ(digests.sha256_hex(unknown), nullptr);
  EXPECT_EQ(digests.stats().unreadable, 1u);
}

// A replay: the pid may be another process now. With the recorded inode
// facts the file is still found (and checked); without them nothing is
// opened, not even /proc/PID/exe of a pid that exists.
TEST_F(ExeDigestsTest, AReplayedProcessIsHashedOnlyThroughItsRecordedIdentity) {
  const std::string path = file("tool", "replayed bytes");
  ExeDigests digests;
  const std::string* hex = digests.sha256_hex(ran(path, getpid()), /*live=*/false);
  ASSERT_NE(hex, nullptr);
  EXPECT_EQ(*hex, sha256sum(path));  // not this test binary's, though getpid() names it
  ThreadInfo unknown;
  unknown.pid = getpid();
  unknown.exepath = *read_link("/proc/self/exe");
  EXPECT_EQ(digests.sha256_hex(unknown, /*live=*/false), nullptr);
  EXPECT_EQ(digests.stats().no_identity, 1u);
}

// ns since the epoch of /proc/PID's start, as the test reads it.
uint64_t start_of(int64_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat_file, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  uint64_t ticks = 0;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) ticks = std::stoull(field);
  std::ifstream all("/proc/stat");
  uint64_t btime = 0;
  for (std::string l; std::getline(all, l);)
    if (l.rfind("btime ", 0) == 0) btime = std::stoull(l.substr(6));
  const uint64_t hz = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  return btime * 1'000'000'000ull + ticks / hz * 1'000'000'000ull + ticks % hz * 1'000'000'000ull / hz;
}

TEST(PidNamespaceStarts, AHostProcessReportsPidOnesStartAndIsCached) {
  PidNamespaceStarts starts;
  std::optional<uint64_t> ts = starts.init_start_ts(getpid());
  ASSERT_TRUE(ts);
  const uint64_t expected = start_of(1);
  EXPECT_LE(*ts > expected ? *ts - expected : expected - *ts, 1'000'000'000ull);
  EXPECT_EQ(starts.init_start_ts(getpid()), ts);
  EXPECT_EQ(starts.stats().lookups, 1u);
  EXPECT_EQ(starts.stats().cache_hits, 1u);
}

TEST(PidNamespaceStarts, AGoneProcessIsUnknown) {
  PidNamespaceStarts starts;
  EXPECT_FALSE(starts.init_start_ts(0x7fffffff));
  EXPECT_EQ(starts.stats().gone, 1u);
}

}  // namespace
}  // namespace kestrel
