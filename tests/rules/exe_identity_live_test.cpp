// The executable's hash and the pid namespace's start, proven live: the
// real `kestrel` binary under the live eBPF source evaluates rules on
// proc.exe_sha256 (Kestrel's field), proc.pidns_init_start_ts and
// proc.exe_ino.ctime_duration_pidns_start (Falco's), which the engine reads
// from this host's /proc (state/exe_digest.h, state/pidns_start.h).
//
//   * A copy of /bin/true, whose SHA-256 this test computes with sha256sum,
//     fires a rule `proc.exe_sha256 = "<it>"` and one with `in (...)`; a
//     copy of /bin/false (another hash) fires neither. /bin/true has exited
//     before its event is evaluated, so the hash is taken through the path
//     with the inode facts the exec event recorded.
//   * A process in a new pid namespace (`unshare -p -f --mount-proc`, its
//     binary copied in after the namespace started) reports the start of
//     that namespace's init (the `sh` unshare forked), and a host process
//     that of pid 1; both compared with what this test reads from /proc
//     (stat starttime + /proc/stat btime), and the ctime durations with
//     stat(2) of the binaries.
//
// Root and BTF needed; fails, never skips.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/free_port.h"
#include "tests/support/kestrel_collector.h"
#include "tests/support/prometheus_sample.h"

namespace kestrel::testing {
namespace {

namespace fs = std::filesystem;

std::string command_output(const std::string& command) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

std::string sha256sum(const std::string& path) {
  std::string out = command_output("sha256sum '" + path + "'");
  return out.substr(0, out.find(' '));
}

// Forks `argv` in its own process group, fds beyond stdio closed.
pid_t spawn(std::vector<std::string> argv) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    close_range(3, ~0U, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int run_to_end(std::vector<std::string> argv) {
  pid_t pid = spawn(std::move(argv));
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ns since the epoch at which /proc/PID started, as this test reads it:
// stat field 22 (clock ticks after boot) plus /proc/stat's btime.
std::optional<uint64_t> proc_start_ns(int64_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat_file, line)) return std::nullopt;
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  uint64_t ticks = 0;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) ticks = std::stoull(field);
  std::ifstream stat_all("/proc/stat");
  uint64_t btime = 0;
  for (std::string l; std::getline(stat_all, l);)
    if (l.rfind("btime ", 0) == 0) btime = std::stoull(l.substr(6));
  const uint64_t hz = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  if (btime == 0 || ticks == 0) return std::nullopt;
  return btime * 1'000'000'000ull + ticks / hz * 1'000'000'000ull + ticks % hz * 1'000'000'000ull / hz;
}

std::string status_line(int64_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string l; std::getline(f, l);)
    if (l.rfind(key + ":", 0) == 0) return l.substr(key.size() + 1);
  return "";
}

uint64_t ctime_ns(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ctim.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(st.st_ctim.tv_nsec);
}

// An output field as a number (json_output prints numbers as strings or
// numbers depending on their type); nullopt for <NA>.
std::optional<uint64_t> number_field(const nlohmann::json& alert, const std::string& name) {
  const auto& f = alert["output_fields"];
  if (!f.contains(name) || f[name].is_null()) return std::nullopt;
  if (f[name].is_number()) return f[name].get<uint64_t>();
  std::string s = f[name].get<std::string>();
  if (s.empty() || s == "<NA>") return std::nullopt;
  return std::stoull(s);
}

std::string string_field(const nlohmann::json& alert, const std::string& name) {
  const auto& f = alert["output_fields"];
  if (!f.contains(name)) return "";
  return f[name].is_string() ? f[name].get<std::string>() : f[name].dump();
}

uint64_t distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

class ExeIdentityLive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "live tests need root";
    dir_ = "/tmp/kestrel-exe-identity-" + std::to_string(getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file("/bin/true", dir_ + "/hashed_true");
    fs::copy_file("/bin/false", dir_ + "/other_false");
    fs::copy_file("/bin/sleep", dir_ + "/host_sleep");
  }
  void TearDown() override {
    for (pid_t group : groups_) {
      kill(-group, SIGKILL);
      waitpid(group, nullptr, 0);
    }
    if (collector_.pid > 0) collector_.stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Collector collector_;
  std::string dir_;
  std::vector<pid_t> groups_;
};

TEST_F(ExeIdentityLive, HashRulesFireOnTheRightBinaryAndPidNamespaceStartsMatchProc) {
  const std::string hashed = dir_ + "/hashed_true", other = dir_ + "/other_false";
  const std::string expected = sha256sum(hashed);
  const std::string other_hash = sha256sum(other);
  ASSERT_EQ(expected.size(), 64u) << "sha256sum " << hashed;
  ASSERT_NE(expected, other_hash);
  const std::string rules = dir_ + "/rules.yaml";
  std::ofstream(rules) << "- rule: Known hash executed\n"
                          "  desc: an executable whose SHA-256 is on record\n"
                          "  condition: evt.type = execve and proc.exe_sha256 = \""
                       << expected
                       << "\"\n"
                          "  output: known hash (exe=%proc.exepath sha=%proc.exe_sha256)\n"
                          "  priority: WARNING\n"
                          "- rule: Hash in list\n"
                          "  desc: the same through a list\n"
                          "  condition: evt.type = execve and proc.exe_sha256 in (\""
                       << std::string(64, '0') << "\", \"" << expected
                       << "\")\n"
                          "  output: listed hash (exe=%proc.exepath)\n"
                          "  priority: WARNING\n"
                          "- rule: Pid namespace facts\n"
                          "  desc: the sleepers' namespace start\n"
                          "  condition: evt.type = execve and proc.name in (host_sleep, ns_sleep)\n"
                          "  output: pidns (pid=%proc.pid name=%proc.name ppid=%proc.ppid "
                          "init=%proc.pidns_init_start_ts dur=%proc.exe_ino.ctime_duration_pidns_start "
                          "ctime=%proc.exe_ino.ctime exe=%proc.exepath)\n"
                          "  priority: WARNING\n";
  const std::string port = std::to_string(free_port());
  collector_.start({KESTREL_BINARY, "-o", "json_output=true", "-o", "rule_matching=all", "-M", "300", "-r", rules,
                    "--stats", "-o", "webserver.enabled=true", "-o", "webserver.listen_port=" + port, "-o",
                    "webserver.prometheus_metrics_enabled=true"});
  ASSERT_TRUE(collector_.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << collector_.err;

  EXPECT_EQ(run_to_end({other}), 1);
  EXPECT_EQ(run_to_end({hashed}), 0);
  pid_t host = spawn({dir_ + "/host_sleep", "300"});
  ASSERT_GT(host, 0);
  groups_.push_back(host);
  // The binary is copied after the namespace's init (sh) started, so its
  // ctime is later: the duration is defined.
  const std::string ns_sleep = dir_ + "/ns_sleep";
  pid_t ns = spawn({"/usr/bin/unshare", "-p", "-f", "--mount-proc", "/bin/sh", "-c",
                    "cp /bin/sleep " + ns_sleep + " && " + ns_sleep + " 300; true"});
  ASSERT_GT(ns, 0);
  groups_.push_back(ns);

  // Until both sleepers' alerts and the hash alerts are in.
  auto have = [&](const std::string& rule, const std::string& exe) {
    for (const nlohmann::json& a : collector_.alerts())
      if (a.value("rule", "") == rule && string_field(a, "proc.exepath") == exe) return true;
    return false;
  };
  auto end = Collector::Clock::now() + std::chrono::seconds(60);
  while (Collector::Clock::now() < end &&
         !(have("Known hash executed", hashed) && have("Hash in list", hashed) &&
           have("Pid namespace facts", dir_ + "/host_sleep") && have("Pid namespace facts", ns_sleep)))
    collector_.pump(200);

  const std::vector<nlohmann::json> alerts = collector_.alerts();
  size_t known = 0, listed = 0;
  std::optional<nlohmann::json> host_alert, ns_alert;
  for (const nlohmann::json& a : alerts) {
    const std::string rule = a.value("rule", ""), exe = string_field(a, "proc.exepath");
    if (rule == "Known hash executed") {
      EXPECT_EQ(exe, hashed) << "a different binary matched the hash: " << a.dump();
      EXPECT_EQ(string_field(a, "proc.exe_sha256"), expected);
      ++known;
    } else if (rule == "Hash in list") {
      EXPECT_EQ(exe, hashed) << a.dump();
      ++listed;
    } else if (rule == "Pid namespace facts") {
      (string_field(a, "proc.name") == "host_sleep" ? host_alert : ns_alert) = a;
    }
  }
  EXPECT_GE(known, 1u) << "no alert for the known hash; stderr: " << collector_.err;
  EXPECT_GE(listed, 1u);
  ASSERT_TRUE(host_alert) << collector_.err;
  ASSERT_TRUE(ns_alert) << collector_.err;

  // The host process: its namespace is pid 1's.
  std::optional<uint64_t> host_init = proc_start_ns(1);
  ASSERT_TRUE(host_init);
  std::optional<uint64_t> got_host = number_field(*host_alert, "proc.pidns_init_start_ts");
  ASSERT_TRUE(got_host) << host_alert->dump();
  // Equal but for a btime moved by a clock step between the reads.
  EXPECT_LE(distance(*got_host, *host_init), 1'000'000'000ull) << host_alert->dump();
  std::optional<uint64_t> host_dur = number_field(*host_alert, "proc.exe_ino.ctime_duration_pidns_start");
  ASSERT_TRUE(host_dur) << host_alert->dump();
  EXPECT_LE(distance(*host_dur, ctime_ns(dir_ + "/host_sleep") - *host_init), 1'000'000'000ull);

  // The namespaced one: its init is its parent, the sh unshare forked,
  // which is pid 1 in there.
  const int64_t ns_parent = static_cast<int64_t>(number_field(*ns_alert, "proc.ppid").value_or(0));
  ASSERT_GT(ns_parent, 0) << ns_alert->dump();
  const std::string nstgid = status_line(ns_parent, "NStgid");
  ASSERT_EQ(nstgid.substr(nstgid.find_last_of(" \t") + 1), "1") << "NStgid of " << ns_parent << ": " << nstgid;
  std::optional<uint64_t> ns_init = proc_start_ns(ns_parent);
  ASSERT_TRUE(ns_init);
  std::optional<uint64_t> got_ns = number_field(*ns_alert, "proc.pidns_init_start_ts");
  ASSERT_TRUE(got_ns) << ns_alert->dump();
  EXPECT_LE(distance(*got_ns, *ns_init), 1'000'000'000ull) << ns_alert->dump();
  EXPECT_GT(*got_ns, *got_host + 1'000'000'000ull) << "the new namespace started long after the host's";
  std::optional<uint64_t> ns_dur = number_field(*ns_alert, "proc.exe_ino.ctime_duration_pidns_start");
  ASSERT_TRUE(ns_dur) << ns_alert->dump();
  EXPECT_LE(distance(*ns_dur, ctime_ns(ns_sleep) - *ns_init), 1'000'000'000ull) << ns_alert->dump();
  EXPECT_LT(*ns_dur, *host_dur) << "measured from the namespace's start, not the host's";

  // The digest counters in /metrics: both copies (and every other exec'd
  // binary) hashed once, bytes at least theirs, and the list rule's read of
  // the same exec answered from the cache.
  const std::string scraped = dir_ + "/metrics";
  // /metrics answers once the first metrics snapshot is taken.
  bool scraped_ok = false;
  for (auto until = Collector::Clock::now() + std::chrono::seconds(60); !scraped_ok && Collector::Clock::now() < until;) {
    collector_.pump(500);
    scraped_ok = std::system(("curl -sf 127.0.0.1:" + port + "/metrics > " + scraped).c_str()) == 0;
  }
  ASSERT_TRUE(scraped_ok) << "no /metrics on port " << port;
  std::ifstream metrics_file(scraped);
  const std::string metrics((std::istreambuf_iterator<char>(metrics_file)), std::istreambuf_iterator<char>());
  auto digest = [&](const std::string& counter) {
    return prometheus_sample(metrics, "kestrel_exe_digest_total{counter=\"" + counter + "\"}");
  };
  EXPECT_GE(digest("hashed"), 2u) << metrics;
  EXPECT_GE(digest("bytes_hashed"), fs::file_size(hashed) + fs::file_size(other)) << metrics;
  EXPECT_GE(digest("cache_hits"), 1u) << metrics;
  EXPECT_NE(metrics.find("kestrel_exe_digest_total{counter=\"too_large\"} "), std::string::npos) << metrics;

  EXPECT_EQ(collector_.stop(), 0) << collector_.err;
  EXPECT_NE(collector_.err.find("Executable digests (proc.exe_sha256): hashed "), std::string::npos) << collector_.err;
}

}  // namespace
}  // namespace kestrel::testing
