// The collector while it runs: it replays a capture fed through a FIFO in
// stages, so between stages it is still running, blocked on its input (each
// stage is cut inside the next frame, which the reader waits to complete).
//  - SIGHUP: file outputs are reopened (logrotate), rules are reloaded
//    without stopping the source, and a broken rules file leaves the rules
//    in use.
//  - /metrics and /healthz of the running collector, and its stats line.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "app/cli.h"
#include "sources/capture/kcap_writer.h"
#include "tests/daemon/scenario.h"
#include "tests/support/free_port.h"
#include "tests/support/test_files.h"

using kestrel::testing::write_text_file;

namespace kestrel {
namespace {

constexpr uint64_t kT0 = 1764417418000000000ull;


// Writes a capture whose event frames are `groups` (one frame each) and
// returns its bytes.
std::string capture_bytes(const std::string& path, const std::vector<std::vector<const char*>>& groups) {
  kcap::KcapWriter w;
  EXPECT_TRUE(w.open(path).ok());
  EXPECT_TRUE(w.write_header(kcap::KcapHeader{.producer = "test", .created_ns = kT0, .machine = {}}).ok());
  ThreadInfo t;
  t.tid = t.pid = 200;
  t.ptid = 1;
  t.comm = t.exe = "cat";
  t.exepath = "/usr/bin/cat";
  EXPECT_TRUE(w.write_snapshot({t}).ok());
  uint64_t ts = kT0;
  for (const auto& group : groups) {
    for (const char* p : group) EXPECT_TRUE(w.append(testing::open_event(++ts, 200, p)).ok());
    EXPECT_TRUE(w.flush().ok());
  }
  EXPECT_TRUE(w.close().ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string rule_text(const char* name, const char* prefix) {
  return std::string("- rule: ") + name + "\n  desc: test\n  condition: evt.type = openat and fd.name startswith " +
         prefix + "\n  output: \"" + name + " %fd.name\"\n  priority: WARNING\n";
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The collector's log as it writes it: run_kestrel's thread writes, the
// test polls for a line (thread-safe, unlike an ostringstream).
class SharedLog : public std::streambuf {
 public:
  // Number of times `text` has been written so far.
  size_t count(const std::string& text) const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (size_t at = text_.find(text); at != std::string::npos; at = text_.find(text, at + 1)) ++n;
    return n;
  }
  // Waits until `text` has been written `n` times; false after `limit`.
  bool wait_for(const std::string& text, size_t n, std::chrono::seconds limit) const {
    auto end = std::chrono::steady_clock::now() + limit;
    while (count(text) < n)
      if (std::chrono::steady_clock::now() > end) return false;
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return true;
  }
  std::string str() const {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 protected:
  int overflow(int ch) override {
    if (ch == traits_type::eof()) return traits_type::not_eof(ch);
    std::lock_guard<std::mutex> lock(mu_);
    text_ += static_cast<char>(ch);
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
};

TEST(Sighup, ReopensOutputsAndReloadsRulesKeepingTheOldOnFailure) {
  const std::string dir = "/tmp/kestrel_sighup_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  const std::string fifo = dir + "/in.kcap", rules = dir + "/rules.yaml", out = dir + "/alerts.txt";
  // The full capture and its prefixes: each prefix capture ends with an end
  // frame, so its length minus one lies inside the next frame of the full one.
  const std::vector<std::vector<const char*>> groups = {{"/hup/a1"}, {"/hup/a2", "/hup/b1"}, {"/hup/b2"}};
  const std::string full = capture_bytes(dir + "/full.kcap", groups);
  const size_t cut1 = capture_bytes(dir + "/p1.kcap", {groups[0]}).size() - 1;
  const size_t cut2 = capture_bytes(dir + "/p2.kcap", {groups[0], groups[1]}).size() - 1;
  ASSERT_LT(cut1, cut2);
  ASSERT_LT(cut2, full.size());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  write_text_file(rules, rule_text("Marker A", "/hup/a"));

  int code = -1;
  SharedLog log_buf;
  std::thread collector([&] {
    std::vector<std::string> args = {"kestrel", "-e", fifo, "-r", rules, "-o", "stdout_output.enabled=false",
                                     "-o", "file_output.enabled=true", "-o", "file_output.keep_alive=true",
                                     "-o", "file_output.filename=" + out};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream o;
    std::ostream e(&log_buf);
    code = run_kestrel(static_cast<int>(argv.size()), argv.data(), o, e);
  });
  std::ofstream feed(fifo, std::ios::binary);  // blocks until the collector opens it
  auto send = [&](size_t from, size_t to) {
    feed.write(full.data() + from, static_cast<std::streamsize>(to - from));
    feed.flush();
  };
  auto wait_lines = [&](const std::string& path, size_t n) {
    for (int i = 0; i < 200 && lines_of(path).size() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return lines_of(path).size();
  };
  // Once the collector has raised an alert, its SIGHUP handler is installed.
  // After each SIGHUP the test waits for the log line saying the reload
  // happened (the pipeline acts on it at its next tick), not a fixed time.
  const auto kDeadline = std::chrono::seconds(60);
  send(0, cut1);
  ASSERT_EQ(wait_lines(out, 1), 1u);
  ASSERT_EQ(rename(out.c_str(), (out + ".1").c_str()), 0);  // logrotate
  write_text_file(rules, rule_text("Marker B", "/hup/b"));
  raise(SIGHUP);
  const bool reloaded = log_buf.wait_for("rules reloaded", 1, kDeadline);
  bool refused = false;
  if (reloaded) {  // else feed the rest so the collector ends, then fail
    send(cut1, cut2);
    EXPECT_EQ(wait_lines(out, 1), 1u);
    write_text_file(rules, "- rule: Broken\n  condition: evt.type = \n");
    raise(SIGHUP);
    refused = log_buf.wait_for("reload failed, keeping the rules in use", 1, kDeadline);
  }
  send(reloaded ? cut2 : cut1, full.size());
  feed.close();
  collector.join();
  std::string log = log_buf.str();
  ASSERT_TRUE(reloaded) << "no \"rules reloaded\" line after SIGHUP:\n" << log;
  ASSERT_TRUE(refused) << "no \"reload failed\" line after the broken SIGHUP:\n" << log;
  ASSERT_EQ(code, kExitOk) << log;

  auto before = lines_of(out + ".1");
  auto after = lines_of(out);
  system(("rm -r " + dir).c_str());
  ASSERT_EQ(before.size(), 1u);
  EXPECT_NE(before[0].find("Marker A /hup/a1"), std::string::npos) << before[0];
  // New file, new rules (a2 no longer matches), and the old rules kept
  // after the broken reload (b2 still alerts).
  ASSERT_EQ(after.size(), 2u) << log;
  EXPECT_NE(after[0].find("Marker B /hup/b1"), std::string::npos) << after[0];
  EXPECT_NE(after[1].find("Marker B /hup/b2"), std::string::npos) << after[1];
}

using kestrel::testing::free_port;

// The running collector's /metrics, scraped while it waits for more input.
TEST(LiveMetrics, RunningCollectorServesItsCounters) {
  const std::string dir = "/tmp/kestrel_metrics_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  const std::string fifo = dir + "/in.kcap", rules = dir + "/rules.yaml";
  const std::vector<std::vector<const char*>> groups = {{"/m/a1", "/m/x", "/m/a2"}, {"/m/a3"}};
  const std::string full = capture_bytes(dir + "/full.kcap", groups);
  const size_t cut = capture_bytes(dir + "/p1.kcap", {groups[0]}).size() - 1;
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  write_text_file(rules, rule_text("Marker M", "/m/a"));
  const int port = free_port();
  int code = -1;
  std::string log;
  std::thread collector([&] {
    std::vector<std::string> args = {"kestrel", "-e", fifo, "-r", rules, "-o", "stdout_output.enabled=false",
                                     "-o", "webserver.enabled=true", "-o", "webserver.listen_address=127.0.0.1",
                                     "-o", "webserver.listen_port=" + std::to_string(port),
                                     "-o", "metrics.enabled=true", "-o", "metrics.interval=1s"};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream o, e;
    code = run_kestrel(static_cast<int>(argv.size()), argv.data(), o, e);
    log = e.str();
  });
  std::ofstream feed(fifo, std::ios::binary);
  feed.write(full.data(), static_cast<std::streamsize>(cut));
  feed.flush();
  httplib::Client client("127.0.0.1", port);
  std::string body;
  for (int i = 0; i < 100; ++i) {  // the first snapshot comes with the first 1 s tick
    auto res = client.Get("/metrics");
    if (res && res->status == 200 && res->body.find("kestrel_events_total{source=") != std::string::npos) {
      body = res->body;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto health = client.Get("/healthz");
  feed.write(full.data() + cut, static_cast<std::streamsize>(full.size() - cut));
  feed.close();
  collector.join();
  system(("rm -r " + dir).c_str());
  ASSERT_EQ(code, kExitOk) << log;
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  ASSERT_FALSE(body.empty()) << log;
  // Three events of the first frame processed, two of them alerts.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(body, m, std::regex(R"(kestrel_events_total\{source="[^"]+"\} 3\n)"))) << body;
  EXPECT_NE(body.find("kestrel_alerts_total{rule=\"Marker M\"} 2\n"), std::string::npos) << body;
  EXPECT_NE(body.find("kestrel_alerts_by_priority_total{priority=\"Warning\"} 2\n"), std::string::npos) << body;
  EXPECT_NE(body.find("kestrel_resident_memory_bytes "), std::string::npos) << body;
  // The same figures under Falco's names, as Falco's dashboard queries them.
  EXPECT_NE(body.find("falcosecurity_falco_rules_matches_total{priority=\"4\",rule_name=\"Marker M\","
                      "source=\"syscall\",tags=\"\"} 2\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("falcosecurity_scap_engine_name_info{engine_name=\"savefile\",evt_source=\"syscall\"} 1\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("falcosecurity_scap_n_evts_total 3\n"), std::string::npos) << body;
  EXPECT_NE(body.find("falcosecurity_falco_n_evts_total 3\n"), std::string::npos) << body;
  EXPECT_TRUE(std::regex_search(body, std::regex(R"(falcosecurity_falco_memory_rss_bytes [1-9][0-9]{5,}\n)"))) << body;
  // The periodic log line.
  EXPECT_NE(log.find("kestrel: stats: events="), std::string::npos) << log;
}

}  // namespace
}  // namespace kestrel
