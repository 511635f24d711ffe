// Replays a capture through the whole collector (-e) and checks the alerts
// that come out: the capture is built here from events a real process
// tree would produce, independently of the collector.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <sstream>

#include "app/cli.h"
#include "sources/capture/kcap_writer.h"
#include "sources/event/event_builder.h"

namespace kestrel {
namespace {

constexpr uint64_t kT0 = 1764417418000000000ull;

ThreadInfo process(int64_t pid, int64_t ppid, std::string comm, std::string exepath) {
  ThreadInfo t;
  t.tid = t.pid = pid;
  t.ptid = ppid;
  t.comm = comm;
  t.exe = comm;
  t.exepath = exepath;
  t.cwd = "/root";
  return t;
}

std::vector<uint8_t> openat(uint64_t ts, int64_t pid, int64_t fd, const char* path, uint32_t flags) {
  return EventBuilder(KE_OPENAT, ts, pid, pid)
      .add_int(fd).add_int(-100).add_str(path).add_int(flags).add_int(0).add_int(0).add_int(0)
      .finish();
}

// bash (100) runs `cat /etc/shadow` (pid 200, exec'd from a fork) and
// `cat /etc/hostname`; then `nc` (300) spawns `sh` (301).
std::string write_scenario() {
  std::string path = "/tmp/kestrel_replay_" + std::to_string(getpid()) + ".kcap";
  kcap::KcapWriter w;
  EXPECT_TRUE(w.open(path).ok());
  EXPECT_TRUE(w.write_header(kcap::KcapHeader{.producer = "test", .created_ns = kT0, .machine = {}}).ok());
  EXPECT_TRUE(w.write_snapshot({process(1, 0, "systemd", "/usr/lib/systemd/systemd"),
                                process(100, 1, "bash", "/usr/bin/bash"),
                                process(300, 1, "nc", "/usr/bin/nc")}).ok());
  auto exec = [&](uint64_t ts, int64_t pid, int64_t ppid, std::string_view exe, std::vector<std::string_view> args,
                  std::string_view comm) {
    EventBuilder b(KE_EXECVE, ts, pid, pid);
    b.add_int(0).add_str(exe).add_strings(args).add_int(pid).add_int(pid).add_int(ppid).add_str("/root")
        .add_str(comm);
    return b.finish();
  };
  auto fork_child = [&](uint64_t ts, int64_t child, int64_t parent) {
    return EventBuilder(KE_CLONE, ts, child, child).add_int(0).add_empty().add_empty().add_int(child).add_int(child)
        .add_int(parent).finish();
  };
  std::vector<std::vector<uint8_t>> events = {
      fork_child(kT0 + 1, 200, 100),
      exec(kT0 + 2, 200, 100, "/usr/bin/cat", {"/etc/shadow"}, "cat"),
      openat(kT0 + 3, 200, 3, "/etc/shadow", 0 /* O_RDONLY */),
      openat(kT0 + 4, 200, 4, "/etc/hostname", 0),
      fork_child(kT0 + 5, 301, 300),
      exec(kT0 + 6, 301, 300, "/bin/sh", {"-i"}, "sh"),
  };
  for (const auto& e : events) EXPECT_TRUE(w.append(e).ok());
  EXPECT_TRUE(w.close().ok());
  return path;
}

TEST(Replay, CaptureThroughTheWholePipelineRaisesTheExpectedAlerts) {
  std::string path = write_scenario();
  std::vector<const char*> args = {"kestrel", "-e", path.c_str(), "-o", "json_output=true"};
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  unlink(path.c_str());
  ASSERT_EQ(code, kExitOk) << err.str();

  std::vector<nlohmann::json> alerts;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) alerts.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(alerts.size(), 2u) << out.str();

  EXPECT_EQ(alerts[0]["rule"], "Sensitive File Read By Untrusted Program");
  EXPECT_EQ(alerts[0]["priority"], "Warning");
  EXPECT_EQ(alerts[0]["output_fields"]["fd.name"], "/etc/shadow");
  EXPECT_EQ(alerts[0]["output_fields"]["proc.name"], "cat");
  EXPECT_EQ(alerts[0]["output_fields"]["proc.pname"], "bash");
  EXPECT_EQ(alerts[0]["output_fields"]["proc.cmdline"], "cat /etc/shadow");
  EXPECT_EQ(alerts[0]["time"], "2025-11-29T11:56:58.000000003Z");

  EXPECT_EQ(alerts[1]["rule"], "Shell Spawned By Network Service");
  EXPECT_EQ(alerts[1]["priority"], "Critical");
  EXPECT_EQ(alerts[1]["output_fields"]["proc.pname"], "nc");
  EXPECT_EQ(alerts[1]["output_fields"]["proc.cmdline"], "sh -i");

  // The summary counts all six events and both alerts.
  EXPECT_NE(err.str().find("Events processed: 6"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("Alerts: 2"), std::string::npos) << err.str();
}

TEST(Replay, CorruptCaptureFailsWithTheOffset) {
  std::string path = write_scenario();
  // Cut the file in the middle of its event batch.
  ASSERT_EQ(truncate(path.c_str(), 300), 0);
  std::vector<const char*> args = {"kestrel", "-e", path.c_str()};
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  unlink(path.c_str());
  EXPECT_EQ(code, kExitFailure);
  EXPECT_NE(err.str().find("offset"), std::string::npos) << err.str();
}

TEST(Replay, MissingCaptureFileIsAClearError) {
  std::vector<const char*> args = {"kestrel", "-e", "/nonexistent/x.kcap"};
  std::ostringstream out, err;
  EXPECT_EQ(run_kestrel(static_cast<int>(args.size()), args.data(), out, err), kExitFailure);
  EXPECT_NE(err.str().find("/nonexistent/x.kcap"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace kestrel
