// Round trip live: the real collector under the live eBPF probe records
// `-A -w out.scap` while a workload runs, and sysdig (Debian's 0.29, an
// independent reader) must report the same processes, files and
// connections that Kestrel itself saw — Kestrel's view being its own
// alerts, raised live from its state, with the same fields. The rules'
// conditions and sysdig's filters are the same strings.
//
// Workload: a process started before the collector (python3, waiting for a
// trigger file) opens a file during the capture, so it is known to sysdig
// only from the written process table; bash, started during the capture,
// opens and creates files, runs a copy of /bin/echo with known args and
// connects to a TCP listener of this test on a known port. The collector
// is stopped by SIGINT, so the test also shows such a capture is complete.
//
// Root, a kernel with BTF, and sysdig are needed; the test fails, never
// skips, without them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

const char* kSep = " @@ ";

struct Check {
  std::string rule;       // rule name, and the tag of sysdig's run
  std::string condition;  // the rule's condition and sysdig's filter
  std::vector<std::string> fields;
};

std::string run_capture(const std::string& command, int& status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) {
    status = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = pclose(p);
  return out;
}

std::string join_fields(const std::vector<std::string>& fields, bool percent) {
  std::string s;
  for (size_t i = 0; i < fields.size(); ++i) s += (i ? kSep : "") + std::string(percent ? "%" : "") + fields[i];
  return s;
}

std::string as_text(const nlohmann::json& v) {
  if (v.is_null()) return "<NA>";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

TEST(ScapWriterLive, SysdigSeesTheProcessesFilesAndConnectionsKestrelSaw) {
  ASSERT_EQ(geteuid(), 0u) << "the live round trip needs root";
  int status = 0;
  run_capture("sysdig --version", status);
  ASSERT_EQ(status, 0) << "sysdig (Debian package) is required: scripts/install-deps.sh installs it";

  const std::string dir = "/tmp/kestrel_scapw_live_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(std::system(("cp /bin/echo " + dir + "/kwprobe").c_str()), 0);

  // A TCP listener on a port the kernel picks; the workload connects to it.
  int lsock = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lsock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lsock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(lsock, 8), 0);
  socklen_t alen = sizeof addr;
  ASSERT_EQ(getsockname(lsock, reinterpret_cast<sockaddr*>(&addr), &alen), 0);
  const int port = ntohs(addr.sin_port);

  // The process that exists before the capture starts.
  const std::string trigger = dir + "/trigger", pre_marker = dir + "/pre_marker";
  // One line: sysdig prints a command line as is, newlines included.
  const std::string pre_code = "import os,time; [time.sleep(0.05) for _ in iter(lambda: os.path.exists('" + trigger +
                               "'), True)]; open('" + pre_marker + "','w').write('x')";
  pid_t pre = fork();
  ASSERT_GE(pre, 0);
  if (pre == 0) {
    execl("/usr/bin/python3", "python3", "-c", pre_code.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }

  const std::vector<std::string> common = {"proc.name", "proc.exe", "proc.cmdline", "proc.pid", "proc.ppid"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> f = common;
    f.insert(f.end(), more.begin(), more.end());
    return f;
  };
  const std::vector<Check> checks = {
      {"scapw exec", "evt.type=execve and evt.dir=< and proc.name=kwprobe", with({"proc.args"})},
      {"scapw file", "evt.type in (open,openat,creat) and evt.dir=< and fd.name startswith " + dir + "/",
       with({"fd.name", "fd.typechar"})},
      {"scapw connect", "evt.type=connect and evt.dir=< and fd.sport=" + std::to_string(port),
       with({"fd.name", "fd.sip", "fd.sport", "fd.cip", "fd.l4proto"})},
  };
  const std::string rules_path = dir + "/rules.yaml";
  {
    std::ofstream rules(rules_path);
    for (const Check& c : checks)
      rules << "- rule: " << c.rule << "\n  desc: scap writer round trip\n  condition: " << c.condition
            << "\n  output: \"" << join_fields(c.fields, true) << "\"\n  priority: WARNING\n";
  }
  const std::string scap = dir + "/out.scap";

  Collector c;
  c.start({KESTREL_BINARY, "-o", "engine.kind=ebpf", "-o", "json_output=true", "-o", "rule_matching=all", "-r",
           rules_path, "-A", "-w", scap, "-M", "120"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  const std::string workload = "bash -c 'cd " + dir + " && ./kwprobe hello-arg1 \"arg two\" > " + dir +
                               "/created && cat " + dir + "/created > /dev/null && exec 3<>/dev/tcp/127.0.0.1/" +
                               std::to_string(port) + "'";
  EXPECT_EQ(std::system(workload.c_str()), 0) << workload;
  std::ofstream(trigger) << "go";
  int pre_status = 0;
  waitpid(pre, &pre_status, 0);
  EXPECT_TRUE(WIFEXITED(pre_status) && WEXITSTATUS(pre_status) == 0);
  for (int i = 0; i < 40; ++i) c.pump(50);
  kill(c.pid, SIGINT);
  ASSERT_EQ(c.wait_exit(std::chrono::seconds(60)), 0) << c.err;
  close(lsock);
  EXPECT_NE(c.err.find("Recorded:"), std::string::npos) << c.err;

  // Kestrel's view: the alerts' fields.
  std::map<std::string, std::set<std::string>> kestrel_saw;
  for (const auto& a : c.alerts()) {
    const std::string rule = a["rule"];
    for (const Check& ch : checks) {
      if (ch.rule != rule) continue;
      std::string row;
      for (size_t i = 0; i < ch.fields.size(); ++i) row += (i ? kSep : "") + as_text(a["output_fields"][ch.fields[i]]);
      kestrel_saw[rule].insert(row);
    }
  }
  // sysdig's view of the file Kestrel wrote, same condition as a filter.
  std::map<std::string, std::set<std::string>> sysdig_saw;
  for (const Check& ch : checks) {
    const std::string cmd = "sysdig -r " + scap + " -p \"" + join_fields(ch.fields, true) + "\" \"" + ch.condition +
                            "\" 2>&1";
    std::string out = run_capture(cmd, status);
    ASSERT_EQ(status, 0) << cmd << "\n" << out;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) sysdig_saw[ch.rule].insert(line);
  }

  for (const Check& ch : checks) {
    SCOPED_TRACE(ch.rule);
    EXPECT_FALSE(kestrel_saw[ch.rule].empty()) << "Kestrel raised no '" << ch.rule << "' alert\n" << c.err;
    EXPECT_EQ(kestrel_saw[ch.rule], sysdig_saw[ch.rule]) << "fields: " << join_fields(ch.fields, false);
  }
  // What the workload did, as both saw it.
  auto has = [&](const std::string& rule, const std::string& text) {
    for (const auto& row : sysdig_saw[rule])
      if (row.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("scapw exec", "kwprobe" + std::string(kSep) + "./kwprobe" + kSep + "kwprobe hello-arg1 arg two"));
  EXPECT_TRUE(has("scapw file", dir + "/created"));
  EXPECT_TRUE(has("scapw file", "python3" + std::string(kSep) + "python3" + kSep + "python3 -c import os,time"))
      << "the process running before the capture opens " << pre_marker;
  EXPECT_TRUE(has("scapw file", pre_marker));
  EXPECT_TRUE(has("scapw connect", "127.0.0.1" + std::string(kSep) + std::to_string(port)));

  std::system(("rm -r " + dir).c_str());
}

}  // namespace
