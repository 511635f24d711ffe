// Real runsc sandboxes (runsc --network=none --pod-init-config=... do CMD)
// streaming to a GvisorSource on a temporary socket. Requires root and
// /usr/bin/runsc (Debian package runsc); fails loudly without them.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gvisor/gvisor_source.h"
#include "gvisor/pod_init_config.h"
#include "live_collect.h"
#include "runsc_container.h"
#include "base/sha256.h"
#include "engine/eval/extract.h"
#include "sources/event/sockaddr.h"
#include "state/process_params.h"
#include "state/state_updater.h"
#include "state/thread_table.h"

namespace kestrel::gvisor {
namespace {

class RunscLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(testing::kRunscPath, X_OK), 0)
        << "runsc is not installed at " << testing::kRunscPath << ": install the Debian package `runsc` "
        << "(scripts/install-deps.sh lists it). These tests need a real sandbox.";
    ASSERT_EQ(geteuid(), 0u) << "runsc sandboxes need root; run the tests as root";
    char tmpl[] = "/tmp/kestrel-runsc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    GvisorSourceConfig cfg;
    cfg.server.socket_path = dir_ + "/gvisor.sock";
    src_ = make_gvisor_source(cfg);
    Status s = src_->open();
    ASSERT_TRUE(s.ok()) << s.to_string();
    PodInitConfigOptions opt;
    opt.endpoint = cfg.server.socket_path;
    opt.ignore_setup_error = false;  // a sandbox that cannot reach us must not start
    opt.exe_binary_info = true;  // ExecveInfo.binary_sha256: see ExecOpenConnectCloneExitAndContainerStart
    std::ofstream(dir_ + "/pod_init.json") << pod_init_config_json(src_->capabilities().event_types, opt);
  }
  void TearDown() override {
    for (pid_t p : running_) {
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
    if (src_) src_->close();
    std::filesystem::remove_all(dir_);
  }

  // Starts `runsc --root=<its own> --network=none --pod-init-config=<ours>
  // ARGS...`, its output in NAME.log (log_of); returns its pid.
  pid_t start_runsc(const std::string& name, const std::vector<std::string>& args) {
    std::string root = dir_ + "/root-" + name;
    std::filesystem::create_directories(root);
    std::vector<std::string> argv = {testing::kRunscPath, "--root=" + root, "--network=none",
                                     "--pod-init-config=" + dir_ + "/pod_init.json"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (std::string& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    std::string log = dir_ + "/" + name + ".log";
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      close_range(3, ~0U, 0);  // no inherited fd (the build lock's) outlives the test in runsc
      execv(testing::kRunscPath, c_argv.data());
      _exit(127);
    }
    running_.insert(pid);
    return pid;
  }
  // Starts `runsc ... do /bin/sh -c script`; returns pid.
  pid_t start_sandbox(const std::string& name, const std::string& script) {
    return start_runsc(name, {"do", "--quiet", "/bin/sh", "-c", script});
  }
  // True when every started sandbox has exited; records exit statuses.
  bool all_exited() {
    for (auto it = running_.begin(); it != running_.end();) {
      int st;
      if (waitpid(*it, &st, WNOHANG) == *it) {
        statuses_[*it] = st;
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    return running_.empty();
  }
  // Starts `runsc ... run --bundle B ID` for an OCI bundle whose root is the
  // host's / (read-only) running /bin/sh -c script: unlike `do`, the
  // container id is ours to choose.
  pid_t start_container(const std::string& id, const std::string& script) {
    std::string bundle = dir_ + "/bundle-" + id;
    std::filesystem::create_directories(bundle);
    std::ofstream(bundle + "/config.json") << testing::sandbox_spec(script).dump();
    return start_runsc(id, {"run", "--bundle", bundle, id});
  }
  std::string log_of(const std::string& name) {
    std::ifstream in(dir_ + "/" + name + ".log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string dir_;
  std::unique_ptr<GvisorSource> src_;
  std::set<pid_t> running_;
  std::map<pid_t, int> statuses_;
};

std::string str(std::optional<std::string_view> s) { return s ? std::string(*s) : std::string(); }

TEST_F(RunscLive, ExecOpenConnectCloneExitAndContainerStart) {
  pid_t pid = start_sandbox("one",
                            "cat /etc/hostname > /dev/null; "
                            "bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>/dev/null; exit 4");
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] { return all_exited(); });
  ASSERT_TRUE(all_exited()) << log_of("one");
  ASSERT_TRUE(WIFEXITED(statuses_[pid])) << log_of("one");
  EXPECT_EQ(WEXITSTATUS(statuses_[pid]), 4) << log_of("one");
  ASSERT_FALSE(got.empty()) << "no events from runsc; its output:\n" << log_of("one");

  std::string cid;
  DomainId domain = got[0].domain;
  bool exec_cat = false, open_hostname = false, connect_9 = false, clone = false, exit4 = false;
  for (const auto& c : got) {
    EventView ev = c.view();
    EXPECT_EQ(c.domain, domain);
    switch (ev.type()) {
      case KE_CONTAINER:
        EXPECT_TRUE(cid.empty()) << "container announced twice";
        cid = str(ev.param_str(KP_CONTAINER_id));
        break;
      case KE_EXECVE: {
        ThreadInfo t;
        read_process_params(ev, KP_EXECVE_exe, t);
        if (t.exe == "cat" && t.args == std::vector<std::string>{"/etc/hostname"}) {
          exec_cat = true;
          EXPECT_EQ(t.comm, "cat");
          EXPECT_FALSE(c.cwd.empty());
          // binary_info was asked for; Debian's runsc 0.0~20221219 accepts
          // it but sends binary_sha256 empty, so the exec carries no
          // exe_sha256 and proc.exe_sha256 reads <NA> (as for "nohash" in
          // exe_sha256_binary_test). A runsc that sends it must send the
          // file's digest (`runsc do` runs the host's root).
          read_exe_inode_params(ev, t);
          if (ev.has_param(KP_EXECVE_exe_sha256)) {
            auto digest = sha256_file(t.exepath);
            ASSERT_TRUE(digest.ok()) << digest.status().to_string();
            EXPECT_EQ(t.exe_sha256, *digest);
          } else {
            EXPECT_EQ(t.exe_sha256, "");
          }
        }
        break;
      }
      case KE_OPENAT:
      case KE_OPEN: {
        uint16_t name = ev.type() == KE_OPENAT ? uint16_t{KP_OPENAT_name} : uint16_t{KP_OPEN_name};
        uint16_t fd = ev.type() == KE_OPENAT ? uint16_t{KP_OPENAT_fd} : uint16_t{KP_OPEN_fd};
        if (str(ev.param_str(name)) == "/etc/hostname" && ev.param_int(fd).value_or(-1) >= 0) open_hostname = true;
        break;
      }
      case KE_CONNECT: {
        auto a = ev.param(KP_CONNECT_addr);
        uint16_t port = 0;
        if (a.size() == 7) std::memcpy(&port, a.data() + 5, 2);
        if (a.size() == 7 && a[1] == 127 && port == 9) {
          connect_9 = true;
          EXPECT_LT(ev.param_int(KP_CONNECT_res).value_or(0), 0);  // nothing listens on :9
          EXPECT_EQ(c.process_name, "bash");
        }
        break;
      }
      case KE_CLONE:
        clone = clone || ev.param_int(KP_CLONE_ptid) == 1;  // forked by the sandbox's init
        break;
      case KE_PROCEXIT:
        exit4 = exit4 || (ev.tid() == 1 && ev.param_int(KP_PROCEXIT_ret) == 4);
        break;
      default:
        break;
    }
  }
  EXPECT_EQ(cid.rfind("runsc-", 0), 0u) << "container id '" << cid << "'";
  EXPECT_TRUE(exec_cat);
  EXPECT_TRUE(open_hostname);
  EXPECT_TRUE(connect_9);
  EXPECT_TRUE(clone);
  EXPECT_TRUE(exit4);
  for (const auto& c : got) {
    if (!c.container_id.empty()) {
      EXPECT_EQ(c.container_id, cid);
    }
  }

  SourceStats st = src_->stats();
  EXPECT_EQ(st.drops["malformed"], 0u);
  EXPECT_EQ(st.drops["unknown_type"], 0u);
  EXPECT_EQ(st.drops["param_mismatch"], 0u);
  EXPECT_EQ(st.counters["bad_exe_sha256"], 0u);
  EXPECT_EQ(st.events, got.size());
}

TEST_F(RunscLive, ContainerIdIsTheOneRunscWasGiven) {
  const std::string id = "kestrel-ctr-" + std::to_string(getpid());
  pid_t pid = start_container(id, "cat /etc/hostname > /dev/null; exit 5");
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] { return all_exited(); });
  ASSERT_TRUE(all_exited());
  ASSERT_TRUE(WIFEXITED(statuses_[pid])) << log_of(id);
  EXPECT_EQ(WEXITSTATUS(statuses_[pid]), 5) << log_of(id);
  int container_events = 0;
  bool exec_cat = false;
  for (const auto& c : got) {
    EventView ev = c.view();
    EXPECT_EQ(c.container_id, id);
    if (ev.type() == KE_CONTAINER) {
      ++container_events;
      EXPECT_EQ(str(ev.param_str(KP_CONTAINER_id)), id);
      EXPECT_EQ(split_string_array(ev.param(KP_CONTAINER_args)),
                (std::vector<std::string>{"/bin/sh", "-c", "cat /etc/hostname > /dev/null; exit 5"}));
      EXPECT_EQ(str(ev.param_str(KP_CONTAINER_cwd)), "/tmp");
    }
    if (ev.type() == KE_EXECVE) {
      ThreadInfo t;
      read_process_params(ev, KP_EXECVE_exe, t);
      exec_cat = exec_cat || (t.exe == "cat" && t.cwd == "/tmp");
    }
  }
  EXPECT_EQ(container_events, 1) << log_of(id);
  EXPECT_TRUE(exec_cat);
}

TEST_F(RunscLive, TwoSandboxesKeepSeparateDomains) {
  // Both run the same commands, so both report the same vtids (1 for sh,
  // 2.. for its children).
  const std::string script = "cat /etc/hostname > /dev/null; sleep 1; cat /etc/hostname > /dev/null";
  start_sandbox("a", script);
  start_sandbox("b", script);
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] { return all_exited(); });
  ASSERT_TRUE(all_exited());

  std::map<DomainId, std::string> container_of;  // from container events
  std::map<DomainId, std::set<uint32_t>> exec_tids;
  for (const auto& c : got) {
    EventView ev = c.view();
    ASSERT_GT(c.domain, 0u);
    if (ev.type() == KE_CONTAINER) {
      EXPECT_EQ(container_of.count(c.domain), 0u);
      container_of[c.domain] = str(ev.param_str(KP_CONTAINER_id));
    }
    if (ev.type() == KE_EXECVE) exec_tids[c.domain].insert(ev.tid());
  }
  ASSERT_EQ(container_of.size(), 2u) << log_of("a") << log_of("b");
  auto it = container_of.begin();
  DomainId d1 = it->first, d2 = std::next(it)->first;
  EXPECT_NE(container_of[d1], container_of[d2]);
  // The same tids exist in both, kept apart by domain.
  ASSERT_FALSE(exec_tids[d1].empty());
  EXPECT_EQ(exec_tids[d1], exec_tids[d2]);
  for (const auto& c : got) {
    if (!c.container_id.empty()) {
      EXPECT_EQ(c.container_id, container_of[c.domain]);
    }
  }
  auto sb = src_->sandbox_stats();
  EXPECT_EQ(sb.size(), 2u);
}

// A listen inside a sandbox arrives as the listen row, and the address it
// listens on arrives for the same fd. This runsc (0.0~20221219) has no
// schematized listen point (newer gVisor's type 37, with the address in
// the row itself: reference_decode_test.cpp): listen comes from its raw
// point, which carries no thread context (tid 0), and the address from the
// bind point of the same sandbox and fd.
TEST_F(RunscLive, ListenInASandboxIsTheListenRowWithItsAddress) {
  const std::string id = "kestrel-listen-" + std::to_string(getpid());
  pid_t pid = start_container(
      id, "exec python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 7777)); s.listen(9)'");
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] { return all_exited(); });
  ASSERT_TRUE(all_exited());
  ASSERT_TRUE(WIFEXITED(statuses_[pid]) && WEXITSTATUS(statuses_[pid]) == 0) << log_of(id);
  std::optional<int64_t> listen_fd, bound_fd;
  DomainId listen_domain = 0, bind_domain = 0;
  int listens = 0;
  for (const auto& c : got) {
    EventView ev = c.view();
    if (ev.type() == KE_LISTEN) {
      ++listens;
      EXPECT_EQ(ev.param_int(KP_LISTEN_res), 0);
      EXPECT_EQ(ev.param_int(KP_LISTEN_backlog), 9);
      listen_fd = ev.param_int(KP_LISTEN_fd);
      listen_domain = c.domain;
    }
    if (ev.type() == KE_BIND) {
      auto addr = decode_sockaddr(ev.param(KP_BIND_addr));
      if (addr && addr->to_string() == "127.0.0.1:7777") {
        bound_fd = ev.param_int(KP_BIND_fd);
        bind_domain = c.domain;
      }
    }
  }
  EXPECT_EQ(listens, 1) << log_of(id);
  ASSERT_TRUE(listen_fd.has_value());
  ASSERT_TRUE(bound_fd.has_value()) << "no bind to 127.0.0.1:7777 arrived";
  EXPECT_EQ(*listen_fd, *bound_fd);
  EXPECT_EQ(listen_domain, bind_domain);
  EXPECT_GT(listen_domain, 0u);
}

// A user of the sandbox's own /etc/passwd, which the host lacks, is named in
// user.name (and its group in group.name): the source reads the bundle's
// rootfs, found from the runsc process that connected.
TEST_F(RunscLive, SandboxUserNamesComeFromTheSandboxPasswd) {
  constexpr uint32_t kUid = 48151, kGid = 48152;
  ASSERT_EQ(getpwuid(kUid), nullptr) << "the host has uid " << kUid << ": pick another";
  ASSERT_EQ(getgrgid(kGid), nullptr) << "the host has gid " << kGid << ": pick another";
  const std::string id = "kestrel-users-" + std::to_string(getpid());
  // A rootfs of its own: static busybox and an /etc the host does not have.
  std::string bundle = dir_ + "/bundle-" + id;
  std::string rootfs = bundle + "/rootfs";
  std::filesystem::create_directories(rootfs + "/bin");
  std::filesystem::create_directories(rootfs + "/etc");
  std::filesystem::create_directories(rootfs + "/tmp");
  std::filesystem::create_directories(rootfs + "/proc");
  std::filesystem::copy_file("/bin/busybox", rootfs + "/bin/busybox");
  for (const char* applet : {"sh", "cat", "sleep", "id"})
    std::filesystem::create_symlink("busybox", rootfs + "/bin/" + applet);
  std::ofstream(rootfs + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                        << "sbxonly:x:" << kUid << ":" << kGid << ":only here:/home/sbx:/bin/sh\n";
  std::ofstream(rootfs + "/etc/group") << "root:x:0:\nsbxgroup:x:" << kGid << ":\n";
  nlohmann::json spec = testing::sandbox_spec("cat /etc/passwd > /dev/null; sleep 3");
  spec["root"] = {{"path", "rootfs"}, {"readonly", true}};
  spec["process"]["user"] = {{"uid", kUid}, {"gid", kGid}};
  spec["process"]["env"] = {"PATH=/bin"};
  std::ofstream(bundle + "/config.json") << spec.dump();
  pid_t pid = start_runsc(id, {"run", "--bundle", bundle, id});

  // While the sandbox runs: its events' user names come from its rootfs.
  engine::eval::UserNames names;
  names.set_domain_resolver([&](uint32_t domain) { return src_->domain_users(domain); });
  ThreadTable table;
  StateUpdater updater(table);
  std::optional<std::string> user, group;
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] {
    for (const auto& c : got) {
      if (user) break;
      EventView ev = c.view();
      updater.apply(ev, c.domain);
      const ThreadInfo* t = table.find(c.domain, ev.tid());
      if (t == nullptr || t->euid != kUid) continue;
      if (engine::eval::UserNames* u = names.for_domain(c.domain)) {
        if (const std::string* n = u->user_name(t->euid)) user = *n;
        if (const std::string* g = u->group_name(t->egid)) group = *g;
      }
    }
    got.clear();
    return all_exited();
  });
  ASSERT_TRUE(all_exited());
  EXPECT_TRUE(WIFEXITED(statuses_[pid]) && WEXITSTATUS(statuses_[pid]) == 0) << log_of(id);
  EXPECT_EQ(user.value_or("<NA>"), "sbxonly") << log_of(id);
  EXPECT_EQ(group.value_or("<NA>"), "sbxgroup");
  // The host's names are never used for a sandbox: uid 0 there is the
  // sandbox's "root" entry, not looked up on the host.
  EXPECT_EQ(getpwuid(kUid), nullptr);
}

}  // namespace
}  // namespace kestrel::gvisor
