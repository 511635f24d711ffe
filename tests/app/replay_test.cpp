// Replays a capture through the whole collector (-e) and checks the alerts
// that come out: the capture is built here from events a real process
// tree would produce, independently of the collector.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

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
