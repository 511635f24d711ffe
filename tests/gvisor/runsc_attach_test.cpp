// Attaching to a real runsc sandbox that was already running: the sandbox
// is started WITHOUT a pod-init config (it does not connect by itself),
// then a GvisorSource with attach.root = its runsc root creates the trace
// session and seeds the state from `runsc trace procfs`. Requires root and
// /usr/bin/runsc; fails loudly without them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gvisor/gvisor_source.h"
#include "gvisor/runsc_command.h"
#include "live_collect.h"
#include "runsc_container.h"
#include "state/process_params.h"
#include "state/state_updater.h"
#include "state/thread_table.h"

namespace kestrel::gvisor {
namespace {

constexpr const char* kRunsc = "/usr/bin/runsc";
// The sandbox's init: a shell that forks a short sleep forever. Started
// before Kestrel, so only procfs can tell who it is.
const std::string kScript = "while :; do sleep 0.2; done";

class RunscAttach : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kRunsc, X_OK), 0) << "runsc is not installed at " << kRunsc << " (Debian package runsc)";
    ASSERT_EQ(geteuid(), 0u) << "runsc sandboxes need root";
    char tmpl[] = "/tmp/kestrel-attach-live-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    id_ = "kestrel-att-" + std::to_string(getpid());
    box_ = std::make_unique<testing::RunscContainer>(dir_, id_, kScript);
    root_ = box_->root();
  }
  void TearDown() override {
    if (src_) src_->close();
    box_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool wait_running() { return box_->wait_running(); }
  std::string log() { return box_->log(); }

  std::string dir_, root_, id_;
  std::unique_ptr<testing::RunscContainer> box_;
  std::unique_ptr<GvisorSource> src_;
};

std::string str(std::optional<std::string_view> s) { return s ? std::string(*s) : std::string(); }

TEST_F(RunscAttach, RunningSandboxIsAttachedAndSeededFromProcfs) {
  ASSERT_TRUE(wait_running()) << log();
  GvisorSourceConfig cfg;
  cfg.server.socket_path = dir_ + "/gvisor.sock";
  cfg.attach.root = root_;
  std::vector<std::string> logged;
  cfg.log = [&](const std::string& line) { logged.push_back(line); };
  src_ = make_gvisor_source(cfg);
  Status s = src_->open();
  ASSERT_TRUE(s.ok()) << s.to_string();

  const AttachReport& rep = src_->attach_report();
  std::string msgs;
  for (const auto& m : logged) msgs += m + "\n";
  ASSERT_EQ(rep.running, 1u) << msgs;
  ASSERT_EQ(rep.attached, 1u) << msgs;
  EXPECT_EQ(rep.failed, 0u) << msgs;
  ASSERT_EQ(rep.sandboxes.size(), 1u);
  EXPECT_EQ(rep.sandboxes[0].id, id_);
  const DomainId domain = rep.sandboxes[0].domain;

  std::vector<ThreadInfo> seed = src_->initial_state();
  const ThreadInfo* init = nullptr;
  for (const ThreadInfo& t : seed) {
    EXPECT_EQ(t.domain, domain);
    if (t.tid == 1) init = &t;
  }
  ASSERT_NE(init, nullptr) << "procfs did not list the sandbox's init";
  EXPECT_EQ(init->args, (std::vector<std::string>{"-c", kScript}));
  EXPECT_EQ(init->cwd, "/tmp");
  EXPECT_EQ(init->container_full_id, id_);
  ThreadTable table;
  table.load(std::move(seed));
  StateUpdater updater(table);

  // A process started from outside, into the attached sandbox.
  auto exec = box_->exec({"cat", "/etc/shadow"});
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->exit_code, 0) << exec->err;

  std::vector<testing::Collected> got;
  auto start = std::chrono::steady_clock::now();
  // The init never goes quiet (it forks a sleep every 0.2 s): stop after 3 s.
  testing::collect(
      *src_, got, [&] { return std::chrono::steady_clock::now() - start > std::chrono::seconds(3); },
      std::chrono::seconds(30), std::chrono::milliseconds(0));
  ASSERT_FALSE(got.empty()) << "no events after attaching";

  bool shadow = false, child_of_seeded = false;
  for (const auto& c : got) {
    EXPECT_EQ(c.domain, domain);
    if (!c.container_id.empty()) {
      EXPECT_EQ(c.container_id, id_);
    }
    EventView ev = c.view();
    updater.apply(ev, c.domain);
    if ((ev.type() == KE_OPENAT || ev.type() == KE_OPEN) &&
        str(ev.param_str(ev.type() == KE_OPENAT ? uint16_t{KP_OPENAT_name} : uint16_t{KP_OPEN_name})) ==
            "/etc/shadow") {
      shadow = true;
      EXPECT_EQ(c.container_id, id_);
      EXPECT_EQ(c.process_name, "cat");
    }
    if (ev.type() == KE_EXECVE) {
      // A sleep forked by the seeded init: its parent, as the state tables
      // resolve it, is the process procfs described (argv of an exec that
      // happened before the session existed).
      const ThreadInfo* t = table.find(domain, ev.tid());
      if (t && t->comm == "sleep" && t->ptid == 1) {
        const ThreadInfo* parent = table.find(domain, 1);
        ASSERT_NE(parent, nullptr);
        EXPECT_EQ(parent->args, (std::vector<std::string>{"-c", kScript}));
        EXPECT_EQ(parent->container_full_id, id_);
        child_of_seeded = true;
      }
    }
  }
  EXPECT_TRUE(shadow) << "no open of /etc/shadow from `runsc exec cat`";
  EXPECT_TRUE(child_of_seeded) << "no exec of sleep by a child of the seeded init";
  SourceStats st = src_->stats();
  EXPECT_EQ(st.drops["attach_failed"], 0u);
  EXPECT_EQ(st.drops["malformed"], 0u);
}

TEST(RunscAttachRoot, AnEmptyRootAttachesNothingAndIsNotAnError) {
  ASSERT_EQ(geteuid(), 0u) << "runsc needs root";
  char tmpl[] = "/tmp/kestrel-attach-empty-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  GvisorSourceConfig cfg;
  cfg.server.socket_path = dir + "/gvisor.sock";
  cfg.attach.root = dir + "/no-such-root";
  cfg.attach.runsc = kRunsc;
  std::vector<std::string> logged;
  cfg.log = [&](const std::string& line) { logged.push_back(line); };
  auto src = make_gvisor_source(cfg);
  ASSERT_TRUE(src->open().ok());
  // runsc lists nothing under a root it has never used: no sandbox, no failure.
  EXPECT_EQ(src->attach_report().running, 0u);
  EXPECT_EQ(src->attach_report().failed, 0u) << (logged.empty() ? "" : logged[0]);
  EXPECT_TRUE(src->initial_state().empty());
  src->close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kestrel::gvisor
