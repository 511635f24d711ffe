// The configured outputs of the real collector (-e replay, in-process):
// program, HTTP (against a local server) and OCSF lines in the file output.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/cli.h"
#include "tests/daemon/scenario.h"

namespace kestrel {
namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

int run(std::vector<std::string> args, std::string* out_text = nullptr, std::string* err_text = nullptr) {
  std::vector<const char*> argv = {"kestrel"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(argv.size()), argv.data(), out, err);
  if (out_text) *out_text = out.str();
  if (err_text) *err_text = err.str();
  return code;
}

TEST(DaemonOutputs, ProgramOutputReceivesFalcoJsonLines) {
  const std::string capture = testing::write_alert_scenario("program");
  const std::string sink = "/tmp/kestrel_daemon_program_out_" + std::to_string(getpid());
  unlink(sink.c_str());
  std::string err;
  int code = run({"-e", capture, "-o", "json_output=true", "-o", "stdout_output.enabled=false", "-o",
                  "program_output.enabled=true", "-o", "program_output.keep_alive=true", "-o",
                  "program_output.program=cat >> " + sink},
                 nullptr, &err);
  unlink(capture.c_str());
  ASSERT_EQ(code, kExitOk) << err;
  auto lines = lines_of(sink);
  unlink(sink.c_str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["rule"], "Sensitive File Read By Untrusted Program");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["rule"], "Shell Spawned By Network Service");
}

TEST(DaemonOutputs, HttpOutputPostsEachAlert) {
  httplib::Server server;
  std::mutex mu;
  std::vector<std::string> bodies;
  server.Post("/falco", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    bodies.push_back(req.body);
    res.status = 200;
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  const std::string capture = testing::write_alert_scenario("http");
  std::string err;
  int code = run({"-e", capture, "-o", "stdout_output.enabled=false", "-o", "http_output.enabled=true", "-o",
                  "http_output.url=http://127.0.0.1:" + std::to_string(port) + "/falco"},
                 nullptr, &err);
  unlink(capture.c_str());
  server.stop();
  t.join();
  ASSERT_EQ(code, kExitOk) << err;
  ASSERT_EQ(bodies.size(), 2u);
  auto first = nlohmann::json::parse(bodies[0]);
  EXPECT_EQ(first["rule"], "Sensitive File Read By Untrusted Program");
  EXPECT_EQ(first["priority"], "Warning");
  EXPECT_EQ(first["output_fields"]["fd.name"], "/etc/shadow");
  EXPECT_EQ(nlohmann::json::parse(bodies[1])["priority"], "Critical");
}

TEST(DaemonOutputs, OcsfLinesInTheFileOutput) {
  const std::string capture = testing::write_alert_scenario("ocsf");
  const std::string file = "/tmp/kestrel_daemon_ocsf_" + std::to_string(getpid()) + ".jsonl";
  unlink(file.c_str());
  std::string err;
  int code = run({"-e", capture, "-o", "stdout_output.enabled=false", "-o", "outputs.ocsf=true", "-o",
                  "file_output.enabled=true", "-o", "file_output.filename=" + file},
                 nullptr, &err);
  unlink(capture.c_str());
  ASSERT_EQ(code, kExitOk) << err;
  auto lines = lines_of(file);
  unlink(file.c_str());
  ASSERT_EQ(lines.size(), 2u);
  auto a = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(a["class_uid"], 2001);
  EXPECT_EQ(a["type_uid"], 200101);
  EXPECT_EQ(a["severity_id"], 3);  // Warning
  EXPECT_EQ(a["finding"]["title"], "Sensitive File Read By Untrusted Program");
  EXPECT_EQ(a["time"], 1764417418000ull);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["severity_id"], 5);  // Critical
}

}  // namespace
}  // namespace kestrel
