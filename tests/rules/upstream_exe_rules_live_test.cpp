// The upstream rules that read the executable's image facts, proven live:
// the real `kestrel` binary runs the upstream falco_rules.yaml (conditions
// unchanged, ancestry appended to outputs) under the live eBPF source.
//
//   "Drop and execute new binary in container" (proc.is_exe_upper_layer):
//     a binary on an overlayfs upper layer, exec'd inside a Docker-shaped
//     cgroup (the rule needs `container`), fires; the same binary on the
//     lower layer, exec'd the same way, does not.
//   "Fileless execution via memfd_create" (proc.is_exe_from_memfd): an exec
//     of a memfd fires.
//
// The overlay is mounted here (lower/upper dirs with copies of /bin/true);
// the cgroup is made as default_rules_live_test makes it. Root and BTF
// needed; fails, never skips.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/rules/trigger_tree.h"
#include "tests/support/kestrel_collector.h"

namespace kestrel::testing {
namespace {

namespace fs = std::filesystem;

const std::string kTrigger = RULE_TRIGGER_BINARY;
const std::string kUpstreamRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/falco_rules.yaml";

std::string random_hex(size_t n) {
  std::random_device rd;
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

class UpstreamExeRulesLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "live rule tests need root";
    dir_ = "/tmp/kestrel-exe-rules-" + std::to_string(getpid());
    for (const char* d : {"lower", "upper", "work", "merged"}) fs::create_directories(dir_ + "/" + d);
    fs::copy_file("/bin/true", dir_ + "/lower/shipped_tool");
    fs::copy_file("/bin/true", dir_ + "/upper/dropped_tool");
    const std::string opts = "lowerdir=" + dir_ + "/lower,upperdir=" + dir_ + "/upper,workdir=" + dir_ + "/work";
    ASSERT_EQ(mount("overlay", (dir_ + "/merged").c_str(), "overlay", 0, opts.c_str()), 0)
        << "mount overlay: " << strerror(errno) << " (needs root and overlayfs)";
    mounted_ = true;
    container_full_id_ = random_hex(64);
    cgroup_rel_ = "kestrel-test.slice/docker-" + container_full_id_ + ".scope";
  }

  void TearDown() override {
    if (collector_.pid > 0) collector_.stop();
    if (mounted_) umount2((dir_ + "/merged").c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir_, ec);
    for (const char* root : {"/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
      rmdir((std::string(root) + "/" + cgroup_rel_).c_str());
      rmdir((std::string(root) + "/kestrel-test.slice").c_str());
    }
  }

  std::string in_container(const std::string& command) const {
    return kTrigger + " in-cgroup " + cgroup_rel_ + " " + command;
  }

  Collector collector_;
  std::string dir_, container_full_id_, cgroup_rel_;
  bool mounted_ = false;
};

TEST_F(UpstreamExeRulesLive, UpperLayerAndMemfdExecsFireTheUpstreamRules) {
  const std::string upper = dir_ + "/merged/dropped_tool";
  const std::string lower = dir_ + "/merged/shipped_tool";
  std::vector<Trigger> triggers = {
      {"Drop and execute new binary in container", "Critical", in_container(upper),
       {{"proc.exepath", upper}, {"proc.name", "dropped_tool"}}},  // the rule prints no container.id
      {"", "", in_container(lower), {}},  // shipped in the image: silent
      {"Fileless execution via memfd_create", "Critical", kTrigger + " memfd-exec",
       {{"proc.pname", "rule_trigger"}}},
  };
  const std::string overlay = dir_ + "/ancestry.yaml";
  // The sentinel rule is written against the default ruleset's macro.
  std::ofstream(overlay) << ancestry_overlay(kUpstreamRules,
                                             "- macro: kestrel_spawned_process\n  condition: spawned_process\n");
  collector_.start({KESTREL_BINARY, "-o", "json_output=true", "-o", "rule_matching=all", "-M", "300", "-r",
                    kUpstreamRules, "-r", overlay});
  ASSERT_TRUE(collector_.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << collector_.err;
  run_triggers(triggers);
  pid_t sentinel = run_sentinel();
  wait_for_alerts(collector_, triggers, sentinel, 60000);
  EXPECT_EQ(collector_.stop(), 0) << collector_.err;
  // check_triggers() also asks for an ATT&CK technique tag, which the
  // default ruleset promises and "Drop and execute" (tagged TA0003, a
  // tactic) does not have: the upstream rule is taken as shipped.
  const std::vector<nlohmann::json> alerts = collector_.alerts();
  for (const Trigger& t : triggers) {
    SCOPED_TRACE("trigger: " + t.command);
    size_t matching = 0, other = 0;
    for (const nlohmann::json& a : alerts) {
      if (!alert_from_tree(a, t.root) || a.value("rule", "") == kSentinelRule) continue;
      (alert_matches(a, t) ? matching : other)++;
    }
    if (t.rule.empty()) {
      EXPECT_EQ(matching + other, 0u) << "a rule fired for the lower-layer binary";
    } else {
      EXPECT_GE(matching, 1u) << "no alert of " << t.rule;
      EXPECT_EQ(other, 0u) << "other rules fired too";
    }
  }

  // The drop-and-execute alert's output names the image's inode times,
  // which the probe now fills (they read <NA> before).
  struct stat st {};
  ASSERT_EQ(stat(upper.c_str(), &st), 0);
  bool seen = false;
  for (const nlohmann::json& a : alerts) {
    if (a.value("rule", "") != triggers[0].rule || !alert_from_tree(a, triggers[0].root)) continue;
    seen = true;
    const auto& f = a["output_fields"];
    for (const char* name : {"proc.exe_ino.ctime", "proc.exe_ino.mtime", "proc.exe_ino.ctime_duration_proc_start"}) {
      ASSERT_TRUE(f.contains(name)) << name;
      EXPECT_NE(f[name].dump(), "\"<NA>\"") << name << " in " << a.dump();
      EXPECT_FALSE(f[name].is_null()) << name;
    }
  }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace kestrel::testing
