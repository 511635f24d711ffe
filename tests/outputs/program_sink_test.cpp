// Program output: a real shell command appends what it reads to a file.
#include "engine/outputs/program_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
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

TEST(ProgramSink, DeadProgramIsRestarted) {
  const std::string out = temp_path("restart");
  unlink(out.c_str());
  // `head -n 1` exits after one line: every following line needs a new process.
  auto sink = make_program_sink("head -n 1 >> " + out, true);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sink->write(Alert{}, "l" + std::to_string(i)).ok());
    usleep(100'000);  // let head exit
  }
  sink->flush();
  EXPECT_EQ(slurp(out), "l0\nl1\nl2\n");
  EXPECT_GE(sink->counters().at("restarts"), 2u);
  unlink(out.c_str());
}

}  // namespace
}  // namespace kestrel::engine
