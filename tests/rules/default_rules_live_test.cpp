// Every rule of the default ruleset proven live: the real `kestrel` binary
// runs the default rules under the live eBPF source while triggers run one
// after another; each trigger must make exactly its rule fire, with the
// expected output fields, and no other rule (rule_matching=all, so an
// overlapping rule would show). Alerts are attributed to a trigger by its
// process tree (trigger_tree.h), so other processes on the machine do not
// disturb the test. One collector per TEST keeps this fast.
//
// Container rules run their workload in a real cgroup shaped like Docker's
// (systemd driver: .../docker-<64 hex>.scope), so the kernel itself reports
// a container cgroup and container.id is its first 12 hex digits.
//
// Runs as root on a kernel with BTF; fails (never skips) when the probe
// cannot load. Triggers touch only unique temporary names and loopback or
// private-namespace addresses, and remove what they create.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/rules/trigger_tree.h"
#include "tests/support/kestrel_collector.h"

namespace kestrel::testing {
namespace {

namespace fs = std::filesystem;

const std::string kTrigger = RULE_TRIGGER_BINARY;

void sh(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

std::string random_hex(size_t n) {
  std::random_device rd;
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "0123456789abcdef"[rd() % 16];
  return s;
}

// Scratch space for one TEST: a dir below /tmp (where temp-dir rules
// should look) and one outside it (so other rules' triggers do not also
// count as execution from /tmp), both removed at the end.
class DefaultRulesLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "live rule tests need root";
    tag_ = "kestrel-rules-" + std::to_string(getpid());
    tmp_ = "/tmp/" + tag_;
    run_ = "/run/" + tag_;
    fs::create_directories(tmp_);
    fs::create_directories(run_);
    container_full_id_ = random_hex(64);
    cgroup_rel_ = "kestrel-test.slice/docker-" + container_full_id_ + ".scope";
  }

  void TearDown() override {
    if (collector_.pid > 0) collector_.stop();
    std::error_code ec;
    fs::remove_all(tmp_, ec);
    fs::remove_all(run_, ec);
    // The cgroups: their processes are gone, rmdir removes each (and the slice).
    // (rmdir of a non-cgroup directory with files in it fails harmlessly.)
    for (const char* root : {"/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
      std::string dir = std::string(root) + "/" + cgroup_rel_;
      rmdir(dir.c_str());
      rmdir((std::string(root) + "/kestrel-test.slice").c_str());
    }
  }

  void start_collector() {
    std::vector<std::string> args = {KESTREL_BINARY, "-o", "json_output=true", "-o", "rule_matching=all", "-M", "300"};
    for (auto& a : default_rules_with_ancestry(tmp_ + "/ancestry.yaml")) args.push_back(std::move(a));
    collector_.start(args);
    ASSERT_TRUE(collector_.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << collector_.err;
  }

  // Runs the triggers under a fresh collector and checks every window.
  void prove(std::vector<Trigger> triggers) {
    start_collector();
    if (HasFatalFailure()) return;
    run_triggers(triggers);
    pid_t sentinel = run_sentinel();
    wait_for_alerts(collector_, triggers, sentinel, 60000);
    int code = collector_.stop();
    EXPECT_EQ(code, 0) << collector_.err;
    check_triggers(collector_, triggers);
  }

  // `command` run inside the Docker-shaped cgroup.
  std::string in_container(const std::string& command) const {
    return kTrigger + " in-cgroup " + cgroup_rel_ + " " + command;
  }
  std::string container_id() const { return container_full_id_.substr(0, 12); }

  Collector collector_;
  std::string tag_, tmp_, run_, container_full_id_, cgroup_rel_;
};

TEST_F(DefaultRulesLive, ExecutionAndProcessRules) {
  sh("cp /bin/bash " + run_ + "/socat");
  std::string dropper = "/tmp/kestrel-dropper-" + std::to_string(getpid());
  sh("cp /bin/true " + dropper);
  std::string hidden = "/tmp/.kestrel-hidden-" + std::to_string(getpid());
  sh("mkdir -p " + hidden + " && cp /bin/true " + hidden + "/payload");
  sh("cp /bin/true " + run_ + "/xmrig");
  // A harmless program that is merely *named* rm: the rule sees `rm -rf /`.
  sh("cp /bin/true " + run_ + "/rm");
  prove({
      {"Shell Spawned By Network Service", "Critical", run_ + "/socat -c '/bin/sh -c \"exit 0\"; exit 0'",
       {{"proc.name", "sh"}, {"proc.pname", "socat"}, {"container.id", "host"}}},
      {"Execution From Temporary Directory", "Warning", dropper + " && rm " + dropper,
       {{"proc.exepath", dropper}, {"container.id", "host"}}},
      {"Execution From Temporary Directory", "Warning", hidden + "/payload && rm -r " + hidden,
       {{"proc.exepath", hidden + "/payload"}}},
      {"", "", "mkdir -p " + tmp_ + "/project/build && cp /bin/true " + tmp_ + "/project/build/app && " + tmp_ +
                   "/project/build/app",
       {}},  // a build tree below /tmp
      {"Fileless Execution From Memfd", "Critical", kTrigger + " memfd-exec", {{"proc.pname", "rule_trigger"}}},
      {"Ptrace Attach To Process", "Warning", kTrigger + " ptrace-attach",
       {{"proc.name", "rule_trigger"}, {"evt.arg.request", "PTRACE_ATTACH"}}},
      {"", "", kTrigger + " ptrace-parent", {}},  // a copy of itself tracing its parent: not injection
      {"Ptrace Anti Debugging", "Notice", kTrigger + " ptrace-traceme", {{"proc.name", "rule_trigger"}}},
      {"BPF Program Loaded By Unexpected Process", "Warning", kTrigger + " bpf-prog-load",
       {{"proc.name", "rule_trigger"}}},
      {"Userfaultfd Created", "Notice", kTrigger + " userfaultfd", {{"proc.name", "rule_trigger"}}},
      {"Setuid To Root From User Session", "Error", kTrigger + " setuid-root",
       {{"proc.name", "rule_trigger"}, {"evt.type", "setuid"}, {"user.loginuid", "1000"}}},
      {"Bulk Data Destruction", "Critical", "echo data > " + tmp_ + "/victim && shred -u " + tmp_ + "/victim",
       {{"proc.cmdline", "~shred -u " + tmp_ + "/victim"}}},
      {"Bulk Data Destruction", "Critical", run_ + "/rm -rf /", {{"proc.cmdline", "rm -rf /"}}},
      {"Known Cryptominer Executed", "Critical", run_ + "/xmrig --version", {{"proc.name", "xmrig"}}},
      {"Mining Pool In Command Line", "Critical", "/bin/echo stratum+tcp://pool.invalid:3333 > /dev/null",
       {{"proc.cmdline", "~stratum+tcp://pool.invalid:3333"}}},
      {"Mining Pool In Command Line", "Critical", "/bin/echo --url pool.supportxmr.com:443 > /dev/null",
       {{"proc.cmdline", "~pool.supportxmr.com:443"}}},
  });
}

TEST_F(DefaultRulesLive, FileRules) {
  fs::create_directories(tmp_ + "/home/.ssh");
  fs::create_directories(tmp_ + "/home/.aws");
  fs::create_directories(tmp_ + "/search");
  sh("echo key > " + tmp_ + "/home/.ssh/id_ed25519");
  sh("echo '[default]' > " + tmp_ + "/home/.aws/credentials");
  sh("echo '-----BEGIN OPENSSH PRIVATE KEY-----' > " + tmp_ + "/search/notes.txt");
  sh("echo lib > " + tmp_ + "/librandomx.so");
  std::string etc = "/etc/" + tag_, bin = "/usr/local/bin/" + tag_, root = "/root/" + tag_,
              boot = "/boot/" + tag_, log = "/var/log/" + tag_ + ".log";
  // Opened for writing, nothing written: a v1 hierarchy's real release_agent.
  std::string release_agent = "/sys/fs/cgroup/pids/release_agent";
  if (!fs::exists(release_agent)) {
    release_agent = tmp_ + "/release_agent";
    sh("touch " + release_agent);
  }
  prove({
      {"Sensitive File Read By Untrusted Program", "Warning", "cat /etc/shadow > /dev/null",
       {{"fd.name", "/etc/shadow"}, {"proc.name", "cat"}, {"container.id", "host"}}},
      {"SSH Private Key Read", "Warning", "cat " + tmp_ + "/home/.ssh/id_ed25519 > /dev/null",
       {{"fd.name", tmp_ + "/home/.ssh/id_ed25519"}, {"proc.name", "cat"}}},
      {"Cloud Credentials Read", "Warning", "cat " + tmp_ + "/home/.aws/credentials > /dev/null",
       {{"fd.name", tmp_ + "/home/.aws/credentials"}, {"proc.name", "cat"}}},
      {"Search For Private Keys Or Passwords", "Warning",
       "grep -rl 'BEGIN OPENSSH PRIVATE KEY' " + tmp_ + "/search > /dev/null",
       {{"proc.cmdline", "~grep -rl BEGIN OPENSSH PRIVATE KEY"}}},
      {"Write Below Etc", "Error", "touch " + etc + " && rm " + etc, {{"fd.name", etc}, {"proc.name", "touch"}}},
      {"Write Below Binary Directory", "Error", "touch " + bin + " && rm " + bin,
       {{"fd.name", bin}, {"proc.name", "touch"}}},
      {"Write Below Root Home", "Warning", "touch " + root + " && rm " + root,
       {{"fd.name", root}, {"proc.name", "touch"}}},
      {"Write Below Boot", "Error", "touch " + boot + " && rm " + boot, {{"fd.name", boot}, {"proc.name", "touch"}}},
      {"Link To Sensitive File", "Warning", "ln -s /etc/shadow " + tmp_ + "/innocent && rm " + tmp_ + "/innocent",
       {{"evt.arg.target", "/etc/shadow"}, {"proc.name", "ln"}}},
      {"Log Files Cleared", "Warning", ": > " + log + " && rm " + log, {{"fd.name", log}}},
      {"Cgroup Release Agent Write", "Critical", kTrigger + " open-write " + release_agent,
       {{"fd.name", release_agent}, {"proc.name", "rule_trigger"}}},
      {"Kernel Parameter Changed", "Warning", kTrigger + " open-write /proc/sys/kernel/printk_ratelimit",
       {{"fd.name", "/proc/sys/kernel/printk_ratelimit"}, {"proc.name", "rule_trigger"}}},
      {"Mining Library Loaded", "Critical", "cat " + tmp_ + "/librandomx.so > /dev/null",
       {{"fd.name", tmp_ + "/librandomx.so"}, {"proc.name", "cat"}}},
  });
}

TEST_F(DefaultRulesLive, NetworkRules) {
  prove({
      // Not 127.0.0.1: the rule leaves local proxies alone.
      {"Connection To Miner Pool Port", "Critical", kTrigger + " connect 127.0.0.2 3333",
       {{"fd.rport", "3333"}, {"proc.name", "rule_trigger"}}},
      {"", "", kTrigger + " connect 127.0.0.1 3333", {}},  // a local proxy
      {"Reverse Shell Redirect", "Critical", kTrigger + " dup-socket-stdout",
       {{"evt.arg.newfd", "1"}, {"proc.name", "rule_trigger"}}},
  });
}

TEST_F(DefaultRulesLive, ContainerRules) {
  fs::create_directories(tmp_ + "/mnt");
  sh("echo payload > " + tmp_ + "/payload && chmod 0644 " + tmp_ + "/payload");
  std::string id = container_id();
  prove({
      {"Interactive Shell In Container", "Notice", in_container(kTrigger + " with-tty /bin/sh -c 'exit 0'"),
       {{"proc.name", "sh"}, {"container.id", id}}},
      {"io_uring Set Up In Container", "Notice", in_container(kTrigger + " io-uring"),
       {{"proc.name", "rule_trigger"}, {"container.id", id}}},
      {"Namespace Change In Container", "Warning", in_container(kTrigger + " unshare-uts"),
       {{"evt.type", "unshare"}, {"container.id", id}}},
      {"Namespace Change In Container", "Warning", in_container(kTrigger + " setns-uts"),
       {{"evt.type", "setns"}, {"container.id", id}}},
      {"Mount From Container", "Error", in_container(kTrigger + " mount-tmpfs " + tmp_ + "/mnt"),
       {{"evt.arg.type", "tmpfs"}, {"container.id", id}}},
      {"Executable Permission Set In Container", "Warning", in_container("chmod +x " + tmp_ + "/payload"),
       {{"proc.name", "chmod"}, {"evt.arg.mode", "0755"}, {"container.id", id}}},
      {"Listening Socket In Container", "Notice", in_container(kTrigger + " listen 127.0.0.1"),
       {{"proc.name", "rule_trigger"}, {"container.id", id}}},
      {"Packet Socket In Container", "Notice", in_container(kTrigger + " packet-socket"),
       {{"proc.name", "rule_trigger"}, {"container.id", id}}},
      // The metadata address lives on the loopback of a network namespace
      // made for this trigger alone; nothing leaves the machine.
      {"Cloud Metadata Access From Container", "Notice",
       "unshare -n sh -c 'ip link set lo up && ip addr add 169.254.169.254/32 dev lo && exec " + kTrigger +
           " connect 169.254.169.254 80 " + cgroup_rel_ + "'",
       {{"fd.name", "~169.254.169.254:80"}, {"container.id", id}}},
  });
}

// init_module/finit_module: on a kernel built without module support the
// syscalls do not exist (no tracepoint, ENOSYS), so neither kernel module
// rule can fire; where they exist, an invalid image is refused.
TEST_F(DefaultRulesLive, KernelModuleLoadAttempt) {
  if (!fs::exists("/sys/kernel/tracing/events/syscalls/sys_exit_init_module"))
    GTEST_SKIP() << "this kernel has no module support (no init_module tracepoint): "
                    "\"Kernel Module Load Attempt\" and \"Kernel Module Loaded\" cannot fire here; "
                    "tests/vm/module_rules_vm_test proves both live on Debian's kernel in qemu";
  prove({
      {"Kernel Module Load Attempt", "Warning", kTrigger + " init-module > /dev/null",
       {{"proc.name", "rule_trigger"}, {"proc.cmdline", "~init-module"}}},
  });
}

}  // namespace
}  // namespace kestrel::testing
