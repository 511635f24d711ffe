// attach_running_sandboxes() against a stand-in `runsc` (a shell script)
// whose answers we choose: one sandbox attaches and is seeded, one fails
// trace create, one hangs past the deadline, one is not running. The real
// runsc path is in runsc_attach_test.cpp.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "gvisor/runsc_command.h"
#include "gvisor/sandbox_attach.h"

namespace kestrel::gvisor {
namespace {

// argv: --root R <cmd...>. Records every call in R/calls.
constexpr const char* kFakeRunsc = R"(#!/bin/sh
root="$2"; shift 2
echo "$*" >> "$root/calls"
case "$*" in
  "list -sandbox -format=json")
    echo '[{"id":"good","status":"running","pid":11},{"id":"bad","status":"running","pid":12},'
    echo ' {"id":"slow","status":"running","pid":13},{"id":"gone","status":"stopped","pid":0}]' ;;
  "trace create --force --config "*" good") echo 'Trace session "Default" created.' ;;
  "trace create --force --config "*" bad") echo 'sandbox bad: connection refused' >&2; exit 3 ;;
  "trace create --force --config "*" slow") exec sleep 30 ;;
  "trace procfs good")
    printf 'PROCFS DUMP\n\n{"exe":"/bin/busybox","args":["init"],"status":{"comm":"init","pid":1,"ppid":0}}\n\n'
    printf '{"exe":"/bin/sleep","args":["sleep","9"],"status":{"comm":"sleep","pid":5,"ppid":1}}\n' ;;
  *) echo "unexpected: $*" >&2; exit 9 ;;
esac
)";

class AttachFake : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kestrel-attach-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/runsc") << kFakeRunsc;
    chmod((dir_ + "/runsc").c_str(), 0755);
    ServerOptions so;
    so.socket_path = dir_ + "/g.sock";
    server_ = std::make_unique<MonitorServer>(so);
    ASSERT_TRUE(server_->open().ok());
  }
  void TearDown() override {
    server_->close();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<MonitorServer> server_;
};

TEST_F(AttachFake, OneFailingSandboxDoesNotStopTheOthers) {
  AttachOptions o;
  o.runsc = dir_ + "/runsc";
  o.root = dir_;
  o.session_config = dir_ + "/session.json";
  o.timeout = std::chrono::milliseconds(1500);
  auto start = std::chrono::steady_clock::now();
  AttachReport r = attach_running_sandboxes(o, *server_);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(10)) << "the hanging call was not cut at its deadline";

  EXPECT_EQ(r.listed, 4u);
  EXPECT_EQ(r.running, 3u);
  EXPECT_EQ(r.attached, 1u);
  EXPECT_EQ(r.failed, 2u);
  ASSERT_EQ(r.sandboxes.size(), 1u);
  EXPECT_EQ(r.sandboxes[0].id, "good");
  EXPECT_EQ(r.sandboxes[0].processes, 2u);
  ASSERT_EQ(r.threads.size(), 2u);
  for (const ThreadInfo& t : r.threads) {
    EXPECT_EQ(t.domain, r.sandboxes[0].domain);
    EXPECT_EQ(t.container_id, "good");
  }
  EXPECT_GT(r.sandboxes[0].domain, 0u);
  EXPECT_EQ(r.threads[1].tid, 5);
  EXPECT_EQ(r.threads[1].ptid, 1);
  EXPECT_EQ(r.threads[1].args, std::vector<std::string>{"9"});

  std::string all;
  for (const auto& m : r.messages) all += m + "\n";
  EXPECT_NE(all.find("sandbox bad: runsc trace create: exit 3: sandbox bad: connection refused"), std::string::npos)
      << all;
  EXPECT_NE(all.find("sandbox slow: runsc trace create: timed out"), std::string::npos) << all;
  // No procfs for sandboxes that did not attach; nothing for the stopped one.
  std::ifstream calls(dir_ + "/calls");
  std::string text((std::istreambuf_iterator<char>(calls)), {});
  EXPECT_EQ(text.find("procfs bad"), std::string::npos) << text;
  EXPECT_EQ(text.find("procfs slow"), std::string::npos) << text;
  EXPECT_EQ(text.find("gone"), std::string::npos) << text;
  EXPECT_NE(text.find("trace create --force --config " + o.session_config + " good"), std::string::npos) << text;
}

TEST_F(AttachFake, NoRootAttachesNothingAndAMissingBinaryIsReported) {
  AttachOptions o;
  AttachReport none = attach_running_sandboxes(o, *server_);
  EXPECT_EQ(none.listed + none.failed, 0u);
  o.root = dir_;
  o.runsc = dir_ + "/no-such-runsc";
  AttachReport r = attach_running_sandboxes(o, *server_);
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_NE(r.messages[0].find("list"), std::string::npos) << r.messages[0];
}

TEST(RunCommand, CapturesOutputExitCodeAndGatesTheChild) {
  pid_t seen = 0;
  CommandOptions o;
  o.before_start = [&](pid_t p) { seen = p; };
  auto r = run_command({"sh", "-c", "echo out; echo err >&2; echo $$; exit 7"}, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_FALSE(r->timed_out);
  // The pid handed to before_start is the process that ran the command.
  EXPECT_EQ(r->out, "out\n" + std::to_string(seen) + "\n");
  EXPECT_EQ(r->err, "err\n");
  auto missing = run_command({"no-such-command-kestrel"}, {});
  EXPECT_FALSE(missing.ok());
}

TEST(RunCommand, KillsAtTheDeadlineAndCapsOutput) {
  CommandOptions o;
  o.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = run_command({"sleep", "20"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  CommandOptions cap;
  cap.max_output = 10;
  auto big = run_command({"sh", "-c", "yes | head -c 100000"}, cap);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->out.size(), 10u);
  EXPECT_TRUE(big->truncated);
  EXPECT_EQ(big->exit_code, 0);
}

}  // namespace
}  // namespace kestrel::gvisor
