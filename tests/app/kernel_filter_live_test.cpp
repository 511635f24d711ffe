// In-kernel filtering (engine.kernel_filter, issue #19) through the real
// binary on the live eBPF source: two collectors run at once over the same
// attack and benign workloads, one filtering in the kernel and one not.
// They must raise exactly the same alerts (as multisets of rule and output
// fields; times differ by each probe's clock offset), the filtering one
// must have received fewer events and report what it dropped, by type, in
// --stats and /metrics. Root and a BTF kernel; fails, never skips, when the
// probe cannot load.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <set>
#include <regex>
#include <string>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

std::multiset<std::string> alert_keys(const Collector& c) {
  std::multiset<std::string> keys;
  // evt.time is left out: each collector's probe stamps the syscall when
  // its own program runs, so the two differ by a few hundred ns.
  for (auto a : c.alerts()) {
    a["output_fields"].erase("evt.time");
    keys.insert(a["rule"].get<std::string>() + " " + a["output_fields"].dump());
  }
  return keys;
}

uint64_t stat_number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return 0;
  return std::stoull(m[1].str());
}

TEST(KernelFilterLive, SameAlertsWithAndWithoutTheFilterAndFewerEvents) {
  ASSERT_EQ(geteuid(), 0u) << "the live kernel filter test needs root";
  const std::string dir = "/tmp/kestrel_kfilter_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  run("mkdir -p " + dir + "/src " + dir + "/home/.ssh " + dir + "/home/.aws && cp /bin/bash " + dir + "/nc");
  run("echo key > " + dir + "/home/.ssh/id_rsa && echo k > " + dir + "/home/.aws/credentials");
  for (int i = 0; i < 3; ++i)
    run("printf '#include <stdio.h>\\n#include <string.h>\\nint f" + std::to_string(i) +
        "(void){return 1;}\\n' > " + dir + "/src/f" + std::to_string(i) + ".c");

  Collector filtered, unfiltered;
  const std::string port = std::to_string(18000 + getpid() % 1000);
  filtered.start({KESTREL_BINARY, "-o", "json_output=true", "-o", "engine.kind=ebpf", "-M", "150", "--stats", "-o",
                  "webserver.enabled=true", "-o", "webserver.listen_port=" + port});
  unfiltered.start({KESTREL_BINARY, "-o", "json_output=true", "-o", "engine.kind=ebpf", "-M", "150", "--stats", "-o",
                    "engine.kernel_filter=false"});
  ASSERT_TRUE(filtered.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << filtered.err;
  ASSERT_TRUE(unfiltered.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << unfiltered.err;

  // Attack: credential reads, a write below /etc, a shell from "nc".
  run("cat /etc/shadow > /dev/null");
  run("cat " + dir + "/home/.ssh/id_rsa " + dir + "/home/.aws/credentials > /dev/null");
  run("sh -c 'echo x > /etc/kestrel_kfilter_test' && rm -f /etc/kestrel_kfilter_test");
  run(dir + "/nc -c '/bin/sh -c \"exit 0\"; exit 0'");
  // Benign: a build (many opens, most of them failing header lookups) and
  // reads and failed opens of ordinary files.
  for (int i = 0; i < 3; ++i) run("cd " + dir + "/src && gcc -c f0.c f1.c f2.c");
  run("for i in 1 2 3 4 5 6 7 8 9 10; do cat /usr/include/stdio.h /nonexistent/$i 2>/dev/null; done; true");
  for (int i = 0; i < 40; ++i) {
    filtered.pump(25);
    unfiltered.pump(25);
  }
  const std::string metrics_cmd = "curl -sf 127.0.0.1:" + port + "/metrics > " + dir + "/metrics";
  run(metrics_cmd);
  ASSERT_EQ(filtered.stop(), 0) << filtered.err;
  ASSERT_EQ(unfiltered.stop(), 0) << unfiltered.err;
  std::ifstream metrics_file(dir + "/metrics");
  std::string metrics((std::istreambuf_iterator<char>(metrics_file)), std::istreambuf_iterator<char>());
  run("rm -r " + dir);

  auto with = alert_keys(filtered), without = alert_keys(unfiltered);
  EXPECT_EQ(with, without) << "filtered:\n" << filtered.out << "\nunfiltered:\n" << unfiltered.out;
  auto has = [&](const std::string& rule) {
    for (const auto& k : with)
      if (k.starts_with(rule + " ")) return true;
    return false;
  };
  EXPECT_TRUE(has("Sensitive File Read By Untrusted Program")) << filtered.out;
  EXPECT_TRUE(has("SSH Private Key Read")) << filtered.out;
  EXPECT_TRUE(has("Cloud Credentials Read")) << filtered.out;
  EXPECT_TRUE(has("Write Below Etc")) << filtered.out;
  EXPECT_TRUE(has("Shell Spawned By Network Service")) << filtered.out;

  const uint64_t events_with = stat_number(filtered.err, "Source ebpf: (\\d+) events");
  const uint64_t events_without = stat_number(unfiltered.err, "Source ebpf: (\\d+) events");
  const uint64_t dropped_opens = stat_number(filtered.err, "kernel_filtered\\.openat: (\\d+)");
  EXPECT_GT(dropped_opens, 100u) << filtered.err;
  EXPECT_LT(events_with, events_without) << filtered.err << unfiltered.err;
  EXPECT_EQ(unfiltered.err.find("kernel_filtered."), std::string::npos) << unfiltered.err;
  EXPECT_NE(metrics.find("kestrel_kernel_filtered_events_total{source=\"ebpf\",evt_type=\"openat\"}"),
            std::string::npos)
      << metrics;
}

// Deferred opens (ebpf/bpf/defer.bpf.h): opens only the state tables
// need stay in the kernel until an event reads their fd. Each case below
// reads a kept fd through another event; a rule prints the fd's name, so
// an open that did not reach the tables first would change the alert.
TEST(KernelFilterLive, KeptOpensReachTheTablesBeforeTheirFdIsRead) {
  ASSERT_EQ(geteuid(), 0u) << "the live kernel filter test needs root";
  const std::string dir = "/tmp/kestrel_kdefer_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  run("mkdir -p " + dir + "/d1 " + dir + "/d2 && touch " + dir + "/d1/x.mark " + dir + "/d2/x.mark");
  for (const char* f : {"f1", "a", "b", "c", "d", "e", "g"}) run("touch " + dir + "/" + f);
  {
    std::ofstream rules(dir + "/extra.yaml");
    rules << "- rule: Fchmod Of A Test File\n"
             "  desc: fd.name of fchmod comes from the fd table\n"
             "  condition: evt.type = fchmod and fd.name startswith " + dir + "/\n"
             "  output: fchmod fd=%fd.name pid=%proc.pid\n"
             "  priority: WARNING\n"
             "- rule: Marker Opened\n"
             "  desc: a relative open's fd.name resolves through its dirfd or the cwd\n"
             "  condition: evt.type in (open, openat) and fd.filename = x.mark and evt.rawres >= 0\n"
             "  output: marker fd=%fd.name\n"
             "  priority: WARNING\n";
    // Each case opens files that no rule names (their opens are kept),
    // then reads the fd through another event.
    std::ofstream py(dir + "/work.py");
    py << "import os, socket, sys\n"
          "d = sys.argv[1]\n"
          "# fchmod of a kept fd\n"
          "fd = os.open(d + '/g', os.O_RDONLY); os.fchmod(fd, 0o644); os.close(fd)\n"
          "# a forked child uses its parent's kept fd\n"
          "fd = os.open(d + '/f1', os.O_RDONLY)\n"
          "pid = os.fork()\n"
          "if pid == 0:\n"
          "    os.fchmod(fd, 0o644); os._exit(0)\n"
          "os.waitpid(pid, 0); os.close(fd)\n"
          "# fd numbers reused: dup2 over a kept fd, close then reopen, a socket between\n"
          "a = os.open(d + '/a', os.O_RDONLY); b = os.open(d + '/b', os.O_RDONLY)\n"
          "os.dup2(b, a); os.fchmod(a, 0o644); os.close(a); os.close(b)\n"
          "c = os.open(d + '/c', os.O_RDONLY); os.close(c)\n"
          "s = socket.socket(); s.close()\n"
          "e = os.open(d + '/d', os.O_RDONLY); os.fchmod(e, 0o644); os.close(e)\n"
          "s = socket.socket(); n = s.fileno(); s.close()\n"
          "e = os.open(d + '/e', os.O_RDONLY); os.fchmod(e, 0o644); os.close(e)\n"
          "# a relative open through a kept dirfd\n"
          "dfd = os.open(d + '/d1', os.O_RDONLY | os.O_DIRECTORY)\n"
          "m = os.open('x.mark', os.O_RDONLY, dir_fd=dfd); os.close(m); os.close(dfd)\n"
          "# fchdir to a kept directory fd, then a relative open\n"
          "dfd = os.open(d + '/d2', os.O_RDONLY | os.O_DIRECTORY)\n"
          "os.fchdir(dfd); os.close(dfd)\n"
          "m = os.open('x.mark', os.O_RDONLY); os.close(m)\n";
  }

  Collector filtered, unfiltered;
  const std::vector<std::string> rules = {"-r", KESTREL_RULES, "-r", dir + "/extra.yaml"};
  std::vector<std::string> common = {KESTREL_BINARY, "-o", "json_output=true", "-o", "engine.kind=ebpf", "--stats"};
  common.insert(common.end(), rules.begin(), rules.end());
  std::vector<std::string> off = common;
  off.insert(off.end(), {"-o", "engine.kernel_filter=false"});
  filtered.start(common);
  unfiltered.start(off);
  ASSERT_TRUE(filtered.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << filtered.err;
  ASSERT_TRUE(unfiltered.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << unfiltered.err;
  for (int i = 0; i < 3; ++i) run("/usr/bin/python3 " + dir + "/work.py " + dir);
  for (int i = 0; i < 40; ++i) {
    filtered.pump(25);
    unfiltered.pump(25);
  }
  ASSERT_EQ(filtered.stop(), 0) << filtered.err;
  ASSERT_EQ(unfiltered.stop(), 0) << unfiltered.err;
  run("rm -r " + dir);

  auto with = alert_keys(filtered), without = alert_keys(unfiltered);
  EXPECT_EQ(with, without) << "filtered:\n" << filtered.out << "\nunfiltered:\n" << unfiltered.out;
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (const auto& k : with) n += k.find(needle) != std::string::npos;
    return n;
  };
  // Three runs: every case raised its alert with the right name each time.
  for (const char* f : {"/g\"", "/f1\"", "/b\"", "/d\"", "/e\"", "/d1/x.mark\"", "/d2/x.mark\""})
    EXPECT_EQ(count(dir + f), 3u) << f << "\n" << filtered.out;
  EXPECT_EQ(count(dir + "/a\""), 0u) << filtered.out;  // dup2 made fd a name b
  EXPECT_EQ(count(dir + "/c\""), 0u) << filtered.out;
  // The kernel did keep opens, sent some later and dropped open+close pairs.
  EXPECT_GT(stat_number(filtered.err, "kernel_deferred\\.kept: (\\d+)"), 20u) << filtered.err;
  EXPECT_GT(stat_number(filtered.err, "kernel_deferred\\.sent_later: (\\d+)"), 10u) << filtered.err;
  EXPECT_GT(stat_number(filtered.err, "kernel_deferred\\.closed_in_kernel: (\\d+)"), 3u) << filtered.err;
}

}  // namespace
