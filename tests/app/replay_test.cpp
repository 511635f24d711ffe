// Replays a capture through the whole collector (-e) and checks the alerts
// that come out: the capture is built here from events a real process
// tree would produce, independently of the collector.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "app/cli.h"
#include "tests/daemon/scenario.h"

namespace kestrel {
namespace {

// The capture: bash runs `cat /etc/shadow` and `cat /etc/hostname`, then
// nc spawns `sh -i` (tests/daemon/scenario.h).
std::string write_scenario() { return testing::write_alert_scenario("replay"); }

TEST(Replay, CaptureThroughTheWholePipelineRaisesTheExpectedAlerts) {
  std::string path = write_scenario();
  std::vector<const char*> args = {"kestrel", "-e", path.c_str(), "-o", "json_output=true"};
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  unlink(path.c_str());
  ASSERT_EQ(code, kExitOk) << err.str();

  std::vector<nlohmann::json> alerts;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) alerts.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(alerts.size(), static_cast<size_t>(testing::kScenarioAlerts)) << out.str();

  EXPECT_EQ(alerts[0]["rule"], "Sensitive File Read By Untrusted Program");
  EXPECT_EQ(alerts[0]["priority"], "Warning");
  EXPECT_EQ(alerts[0]["output_fields"]["fd.name"], "/etc/shadow");
  EXPECT_EQ(alerts[0]["output_fields"]["proc.name"], "cat");
  EXPECT_EQ(alerts[0]["output_fields"]["proc.pname"], "bash");
  EXPECT_EQ(alerts[0]["output_fields"]["proc.cmdline"], "cat /etc/shadow");
  EXPECT_EQ(alerts[0]["time"], "2025-11-29T11:56:58.000000003Z");

  EXPECT_EQ(alerts[1]["rule"], "Shell Spawned By Network Service");
  EXPECT_EQ(alerts[1]["priority"], "Critical");
  EXPECT_EQ(alerts[1]["output_fields"]["proc.pname"], "nc");
  EXPECT_EQ(alerts[1]["output_fields"]["proc.cmdline"], "sh -i");

  // The summary counts all six events and both alerts.
  EXPECT_NE(err.str().find("Events processed: 6"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("Alerts: 2"), std::string::npos) << err.str();
}

// falco.yaml's output keys, given as the config gives them, reach the
// alerts: json_include_message_property, json_include_output_fields_property
// and -p (an append_output entry); the capture: section writes a capture
// file at the first match that replays on its own to the same alert.
TEST(Replay, FalcoOutputKeysAndRuleCapturesTakeEffectThroughTheConfig) {
  std::string path = write_scenario();
  const std::string dir = "/tmp/kestrel-replay-capture-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string prefix = "capture.path_prefix=" + dir + "/cap";
  std::vector<const char*> args = {"kestrel", "-e", path.c_str(), "-o", "json_output=true",
                                   "-o", "json_include_message_property=true",
                                   "-o", "json_include_output_fields_property=false",
                                   "-p", "appended=%proc.name",
                                   "-o", "capture.enabled=true", "-o", "capture.mode=all_rules",
                                   "-o", prefix.c_str()};
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  unlink(path.c_str());
  ASSERT_EQ(code, kExitOk) << err.str();

  std::istringstream lines(out.str());
  std::string first;
  ASSERT_TRUE(std::getline(lines, first)) << err.str();
  nlohmann::json alert = nlohmann::json::parse(first);
  EXPECT_EQ(alert["rule"], "Sensitive File Read By Untrusted Program");
  EXPECT_FALSE(alert.contains("output_fields")) << first;
  ASSERT_TRUE(alert.contains("message")) << first;
  const std::string message = alert["message"], output = alert["output"];
  EXPECT_TRUE(message.ends_with(" appended=cat")) << message;
  EXPECT_TRUE(output.ends_with(": Warning " + message)) << output;

  std::vector<std::string> captures;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) captures.push_back(entry.path().string());
  ASSERT_FALSE(captures.empty()) << "no capture file under " << dir << "\n" << err.str();
  std::sort(captures.begin(), captures.end());
  EXPECT_TRUE(captures[0].ends_with(".scap")) << captures[0];

  std::vector<const char*> replay = {"kestrel", "-e", captures[0].c_str(), "-o", "json_output=true"};
  std::ostringstream out2, err2;
  ASSERT_EQ(run_kestrel(static_cast<int>(replay.size()), replay.data(), out2, err2), kExitOk) << err2.str();
  std::istringstream lines2(out2.str());
  std::string again;
  ASSERT_TRUE(std::getline(lines2, again)) << "the capture raised no alert\n" << err2.str();
  nlohmann::json replayed = nlohmann::json::parse(again);
  EXPECT_EQ(replayed["rule"], "Sensitive File Read By Untrusted Program");
  EXPECT_EQ(replayed["output_fields"]["fd.name"], "/etc/shadow");
  EXPECT_EQ(replayed["output_fields"]["proc.name"], "cat");
  std::filesystem::remove_all(dir);
}

TEST(Replay, CorruptCaptureFailsWithTheOffset) {
  std::string path = write_scenario();
  // Cut the file in the middle of its event batch.
  ASSERT_EQ(truncate(path.c_str(), 300), 0);
  std::vector<const char*> args = {"kestrel", "-e", path.c_str()};
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  unlink(path.c_str());
  EXPECT_EQ(code, kExitFailure);
  EXPECT_NE(err.str().find("offset"), std::string::npos) << err.str();
}

TEST(Replay, MissingCaptureFileIsAClearError) {
  std::vector<const char*> args = {"kestrel", "-e", "/nonexistent/x.kcap"};
  std::ostringstream out, err;
  EXPECT_EQ(run_kestrel(static_cast<int>(args.size()), args.data(), out, err), kExitFailure);
  EXPECT_NE(err.str().find("/nonexistent/x.kcap"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace kestrel
