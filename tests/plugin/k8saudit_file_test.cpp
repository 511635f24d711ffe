// Hostile audit event files through the real `kestrel` binary and the
// k8saudit plugin (issue 11, item 1): a file nested 20,000 / 100,000 levels
// deep (once exit 139, a stack overflow) must end the run with a clear
// error naming the file and line, a non-zero exit code and no signal.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

struct RunResult {
  int status = 0;  // raw waitpid status
  std::string err;
};

// Runs kestrel over audit file `path` until it exits (at most 120 s).
RunResult run_on_file(const std::string& path) {
  Collector c;
  std::string plugins = std::string("plugins=[{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN +
                        ", init_config: {}, open_params: '" + path + "'}, {name: json, library_path: " +
                        JSON_PLUGIN + "}]";
  // k8s_audit_rules.yaml requires json >= 0.7.0 beside k8saudit (plugins/json).
  c.start({KESTREL_BINARY, "-r", std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/k8s_audit_rules.yaml",
           "-o", "engine.kind=none", "-o", "json_output=true", "-o", "load_plugins=[k8saudit, json]", "-o", plugins});
  RunResult r;
  auto end = Collector::Clock::now() + std::chrono::seconds(120);
  while (Collector::Clock::now() < end) {
    c.pump(100);
    if (waitpid(c.pid, &r.status, WNOHANG) == c.pid) {
      c.pid = -1;
      break;
    }
  }
  if (c.pid > 0) {
    kill(c.pid, SIGKILL);
    waitpid(c.pid, &r.status, 0);
    c.pid = -1;
    ADD_FAILURE() << "kestrel did not exit";
  }
  for (int i = 0; i < 20; ++i) c.pump(10);
  r.err = c.err;
  return r;
}

std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path =
      std::filesystem::temp_directory_path() / ("kestrel-audit-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(path) << content;
  return path;
}

void expect_clean_refusal(const RunResult& r, const std::string& path, const std::string& where) {
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << "\n" << r.err;
  ASSERT_TRUE(WIFEXITED(r.status));
  EXPECT_NE(WEXITSTATUS(r.status), 0) << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nested deeper than 128 levels"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
}

TEST(K8sauditFile, TwentyThousandNestedArraysEndTheRunCleanly) {
  const std::string path = temp_file("arrays.json", std::string(20000, '[') + std::string(20000, ']'));
  expect_clean_refusal(run_on_file(path), path, "line 1");
  std::filesystem::remove(path);
}

TEST(K8sauditFile, HundredThousandNestedObjectsEndTheRunCleanly) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
  deep += "1" + std::string(100000, '}');
  const std::string path = temp_file("objects.json", deep);
  expect_clean_refusal(run_on_file(path), path, "line 1");
  std::filesystem::remove(path);
}

TEST(K8sauditFile, AHostileLineInJsonLinesIsNamed) {
  std::string lines = "{\"kind\":\"Event\",\"auditID\":\"1\"}\n{\"kind\":\"Event\",\"auditID\":\"2\"}\n" +
                      std::string(20000, '[') + std::string(20000, ']') + "\n";
  const std::string path = temp_file("lines.json", lines);
  expect_clean_refusal(run_on_file(path), path, "line 3");
  std::filesystem::remove(path);
}

}  // namespace
