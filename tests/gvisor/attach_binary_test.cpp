// The kestrel binary with engine.gvisor.root attaches to a runsc sandbox
// that was running before it (started without any pod-init config), and its
// rules see both new activity (`runsc exec cat /etc/shadow`) and processes
// whose history only `runsc trace procfs` knew (the parent of a forked
// child). Needs root and /usr/bin/runsc; fails (never skips) without them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "runsc_container.h"
#include "tests/support/kestrel_collector.h"

namespace kestrel::gvisor {
namespace {

constexpr const char* kRules = R"(
- rule: Child Of Seeded Init
  desc: a sleep forked by the sandbox's init, which started before Kestrel
  condition: evt.type = execve and container.id != host and proc.name = sleep
  output: "sleep child of %proc.pname (%proc.pcmdline) in %container.id"
  priority: NOTICE
- rule: Shadow Read In Attached Sandbox
  desc: /etc/shadow opened inside the sandbox
  condition: evt.type in (open, openat) and fd.name = /etc/shadow and container.id != host
  output: "%proc.name read /etc/shadow in %container.id"
  priority: WARNING
)";

TEST(AttachBinary, RunningSandboxIsWatchedByTheCollector) {
  ASSERT_EQ(access(testing::kRunscPath, X_OK), 0) << "runsc is not installed (Debian package runsc)";
  ASSERT_EQ(geteuid(), 0u) << "runsc sandboxes need root";
  char tmpl[] = "/tmp/kestrel-attach-bin-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string id = "kestrel-atb-" + std::to_string(getpid());
  const std::string script = "while :; do sleep 0.3; done";
  {
    testing::RunscContainer box(dir + "/box", id, script);
    ASSERT_TRUE(box.wait_running()) << box.log();

    const std::string socket = dir + "/gvisor.sock", config = dir + "/pod_init.json", rules = dir + "/rules.yaml";
    ASSERT_EQ(std::system((std::string(KESTREL_BINARY) + " --gvisor-generate-config=" + socket + " > " + config).c_str()),
              0);
    std::ofstream(rules) << kRules;
    kestrel::testing::Collector c;
    c.start({KESTREL_BINARY, "-r", rules, "-o", "json_output=true", "-o", "engine.kind=gvisor", "-o",
             "engine.gvisor.config=" + config, "-o", "engine.gvisor.root=" + box.root(), "-M", "120"});
    ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(60))) << c.err;
    EXPECT_NE(c.err.find("attached 1 of 1 running sandboxes"), std::string::npos) << c.err;

    auto exec = box.exec({"cat", "/etc/shadow"});
    ASSERT_TRUE(exec.ok());
    EXPECT_EQ(exec->exit_code, 0) << exec->err;
    for (int i = 0; i < 40; ++i) c.pump(50);
    EXPECT_EQ(c.stop(), 0) << c.err;

    int shadow = 0, seeded = 0;
    std::string all;
    for (const auto& a : c.alerts()) {
      all += a.dump() + "\n";
      const auto& f = a["output_fields"];
      if (a["rule"] == "Shadow Read In Attached Sandbox") {
        ++shadow;
        EXPECT_EQ(f["container.id"], id.substr(0, 12)) << a.dump();
        // runsc 0.0~20221219 sends no clone or exec point for a process
        // `runsc exec` creates: its name comes from the points' context,
        // which the source remembers (Source::describe_process).
        EXPECT_EQ(f["proc.name"], "cat") << a.dump();
      }
      if (a["rule"] == "Child Of Seeded Init") {
        ++seeded;
        // Only `runsc trace procfs` knew the init's command line.
        EXPECT_EQ(f["proc.pname"], "sh") << a.dump();
        EXPECT_EQ(f["proc.pcmdline"], "sh -c " + script) << a.dump();
      }
    }
    EXPECT_GE(shadow, 1) << all << c.err;
    EXPECT_GE(seeded, 1) << all << c.err;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kestrel::gvisor
