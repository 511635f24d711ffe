// Program output: a real shell command appends what it reads to a file.
#include "outputs/program_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <sstream>

namespace kestrel::engine {
namespace {

std::string temp_path(const char* tag) {
  return "/tmp/kestrel_program_" + std::string(tag) + "_" + std::to_string(getpid());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ProgramSink, KeepAliveOneProcessReceivesEveryLine) {
  const std::string out = temp_path("ka");
  unlink(out.c_str());
  auto sink = make_program_sink("cat >> " + out, true);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sink->write(Alert{}, "line " + std::to_string(i)).ok());
  sink->flush();  // closes stdin and waits for cat
  EXPECT_EQ(slurp(out), "line 0\nline 1\nline 2\n");
  unlink(out.c_str());
}

TEST(ProgramSink, WithoutKeepAliveEachAlertRunsTheCommand) {
  const std::string out = temp_path("each");
  unlink(out.c_str());
  // Each run appends its pid-independent marker and the line it read.
  auto sink = make_program_sink("(echo start; cat) >> " + out, false);
  ASSERT_TRUE(sink->write(Alert{}, "a").ok());
  ASSERT_TRUE(sink->write(Alert{}, "b").ok());
  sink->flush();
  EXPECT_EQ(slurp(out), "start\na\nstart\nb\n");
  unlink(out.c_str());
}

// True while a child of this process (the sink's program) is alive: in
// /proc, its parent is us and it is not a zombie (exited, not yet reaped).
bool program_alive() {
  std::error_code ec;  // entries vanish while we read; that is fine
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    std::ifstream in(it->path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == getpid() && state != 'Z') return true;
  }
  return false;
}

TEST(ProgramSink, DeadProgramIsRestarted) {
  const std::string out = temp_path("restart");
  unlink(out.c_str());
  // `head -n 1` exits after one line: every following line needs a new
  // process. After each line the test waits until that process has exited.
  auto sink = make_program_sink("head -n 1 >> " + out, true);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sink->write(Alert{}, "l" + std::to_string(i)).ok());
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (program_alive() && std::chrono::steady_clock::now() < end) usleep(1'000);
    ASSERT_FALSE(program_alive()) << "program " << i << " did not exit after its line";
  }
  sink->flush();
  EXPECT_EQ(slurp(out), "l0\nl1\nl2\n");
  EXPECT_GE(sink->counters().at("restarts"), 2u);
  unlink(out.c_str());
}

// A command that never reads its input: the pipe fills, and the write
// gives up at the time-out instead of blocking the sink forever.
TEST(ProgramSink, ACommandThatNeverReadsTimesOutAndIsRestarted) {
  auto sink = make_program_sink("exec sleep 1000", true, std::chrono::milliseconds(200));
  const std::string big(256 * 1024, 'x');  // larger than a pipe's buffer
  Status s = sink->write(Alert{}, big);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("did not read its input within 200 ms"), std::string::npos) << s.message();
  EXPECT_EQ(sink->counters().at("timeouts"), 1u);
  // The killed command is replaced by a fresh one for the next alert.
  EXPECT_FALSE(sink->write(Alert{}, big).ok());
  EXPECT_EQ(sink->counters().at("timeouts"), 2u);
  EXPECT_EQ(sink->counters().at("restarts"), 2u);
}

TEST(ProgramSink, WithoutKeepAliveACommandThatNeverExitsIsKilledAtTheTimeOut) {
  const std::string out = temp_path("noexit");
  unlink(out.c_str());
  // Reads its line, then hangs: the sink must not wait for it forever.
  auto sink = make_program_sink("head -n 1 >> " + out + "; sleep 1000", false, std::chrono::milliseconds(300));
  Status s = sink->write(Alert{}, "a");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("did not exit within 300 ms"), std::string::npos) << s.message();
  EXPECT_EQ(slurp(out), "a\n");
  EXPECT_EQ(sink->counters().at("timeouts"), 1u);
  unlink(out.c_str());
}

TEST(ProgramSink, CancelEndsABlockedWriteAtOnce) {
  auto sink = make_program_sink("exec sleep 1000", true, std::chrono::seconds(60));
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    sink->cancel();
  });
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(sink->write(Alert{}, std::string(256 * 1024, 'x')).ok());
  canceller.join();
  // Far sooner than the 60 s time-out.
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30));
}

}  // namespace
}  // namespace kestrel::engine
