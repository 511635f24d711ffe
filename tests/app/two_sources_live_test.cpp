// Two sources in one run: the live eBPF probe for the host and the gVisor
// monitoring socket for a real runsc sandbox (engine.gvisor.enabled). The
// same action — reading /etc/shadow — on the host and inside the sandbox
// must raise the host rule and the sandbox rule respectively, each alert
// carrying where it came from (container.id "host" vs the sandbox's id),
// and the end-of-run summary must count events from both sources.
// Needs root, a BTF kernel and runsc (scripts/install-deps.sh installs it);
// fails loudly when any is missing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

TEST(TwoSources, HostAndSandboxAlertsInOneRun) {
  ASSERT_EQ(geteuid(), 0u) << "needs root";
  ASSERT_EQ(std::system("command -v runsc > /dev/null"), 0) << "runsc is missing: run scripts/install-deps.sh";
  const std::string dir = "/tmp/kestrel_two_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  const std::string socket = dir + "/gvisor.sock", config = dir + "/pod-init.json";
  run(std::string(KESTREL_BINARY) + " --gvisor-generate-config=" + socket + " > " + config);

  Collector c;
  c.start({KESTREL_BINARY, "-o", "json_output=true", "-o", "engine.gvisor.enabled=true", "-o",
           "engine.gvisor.config=" + config, "-M", "180"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  run("cat /etc/shadow > /dev/null");
  run("runsc --root=" + dir + "/runsc --network=none --pod-init-config=" + config +
      " do /bin/cat /etc/shadow > /dev/null");
  for (int i = 0; i < 40; ++i) c.pump(50);
  int code = c.stop();
  run("rm -rf " + dir);
  ASSERT_EQ(code, 0) << c.err;

  bool host = false, sandbox = false;
  for (const auto& a : c.alerts()) {
    if (a["rule"] == "Sensitive File Read By Untrusted Program" && a["output_fields"]["fd.name"] == "/etc/shadow") {
      // The host's own cat; runsc's gofer serving the sandbox's open on the
      // host must not pass for it (nor raise a second alert for one read).
      EXPECT_EQ(a["output_fields"]["proc.name"], "cat") << a.dump();
      EXPECT_EQ(a["output_fields"]["container.id"], "host");
      host = true;
    }
    if (a["rule"] == "Sensitive File Read In gVisor Sandbox" && a["output_fields"]["fd.name"] == "/etc/shadow") {
      sandbox = true;
      ASSERT_TRUE(a["output_fields"]["container.id"].is_string()) << a.dump();
      EXPECT_NE(a["output_fields"]["container.id"], "host");
      EXPECT_NE(a["output_fields"]["container.id"], "");
    }
  }
  EXPECT_TRUE(host) << c.out << c.err;
  EXPECT_TRUE(sandbox) << c.out << c.err;
  EXPECT_NE(c.err.find("Source ebpf:"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("Source gvisor:"), std::string::npos) << c.err;
}

}  // namespace
