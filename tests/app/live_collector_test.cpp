// The collector as `make run` starts it — the real binary, the embedded
// config and rules, the live eBPF source — must alert when someone reads
// /etc/shadow or when a process named nc spawns a shell. Runs as root on a
// kernel with BTF; fails (never skips) when the probe cannot load.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

TEST(LiveCollector, AlertsOnShadowReadAndShellFromNc) {
  ASSERT_EQ(geteuid(), 0u) << "the live collector test needs root";
  std::string dir = "/tmp/kestrel_live_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  // A program named `nc` that forks a shell: a copy of bash runs a script,
  // so the shell's parent process is really called nc.
  run("cp /bin/bash " + dir + "/nc");

  Collector c;
  c.start({KESTREL_BINARY, "-o", "json_output=true", "-M", "120"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  run("cat /etc/shadow > /dev/null");
  run(dir + "/nc -c '/bin/sh -c \"exit 0\"; exit 0'");
  // Let the events cross the ring buffers and the engine.
  for (int i = 0; i < 30; ++i) c.pump(50);
  int code = c.stop();
  run("rm -r " + dir);
  ASSERT_EQ(code, 0) << c.err;

  bool shadow = false, nc_shell = false;
  for (const auto& a : c.alerts()) {
    if (a["rule"] == "Sensitive File Read By Untrusted Program" && a["output_fields"]["fd.name"] == "/etc/shadow" &&
        a["output_fields"]["proc.name"] == "cat") {
      shadow = true;
      EXPECT_EQ(a["priority"], "Warning");
      EXPECT_EQ(a["output_fields"]["container.id"], "host");
    }
    if (a["rule"] == "Shell Spawned By Network Service" && a["output_fields"]["proc.pname"] == "nc") {
      nc_shell = true;
      EXPECT_EQ(a["output_fields"]["proc.name"], "sh");
      EXPECT_EQ(a["priority"], "Critical");
    }
  }
  EXPECT_TRUE(shadow) << c.out << c.err;
  EXPECT_TRUE(nc_shell) << c.out << c.err;
  EXPECT_NE(c.err.find("Events processed:"), std::string::npos) << "SIGTERM must end with the summary";
}

}  // namespace
