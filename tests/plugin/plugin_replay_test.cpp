// Replaying a capture of plugin events (issue 16, part B): a run of the
// k8saudit plugin reading a file of audit events is recorded with -w, then
// the capture replayed with -e and the same configuration must raise the
// same alerts — while the plugin's live source is never opened: the audit
// file is deleted before the replay (opening it would fail the run) and
// the replay's summary names no k8saudit source. Both capture formats:
// .kcap and .scap (plugin events as scap's PPME_PLUGINEVENT_E, 322).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/run_command.h"

namespace {

using kestrel::testing::run_command;

const std::string kTraces = std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/k8s_audit/";
const std::string kRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/k8s_audit_rules.yaml";

// Audit events that raise different k8s_audit rules, one JSON line each.
const char* kEvents[] = {"create_nginx_pod_privileged.json", "attach_cluster_admin_role.json",
                         "create_cluster_role_wildcard_verbs.json", "anonymous_creates_namespace_foo.json",
                         "create_nginx_pod_hostnetwork.json"};

struct KestrelRun {
  int code = -1;
  std::string out, err;
  std::vector<std::string> alerts;  // JSON lines as printed
};

KestrelRun kestrel(const std::string& audit_file, const std::string& extra) {
  const std::string tag = std::to_string(getpid());
  const std::string err_path = ::testing::TempDir() + "/plugin_replay_err_" + tag;
  std::string plugins = std::string("plugins=[{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN +
                        ", init_config: {}, open_params: " + audit_file +
                        "}, {name: json, library_path: " + JSON_PLUGIN + "}]";
  auto [code, out] = run_command(std::string(KESTREL_BINARY) + " -r " + kRules +
                                 " -o engine.kind=none -o json_output=true -o rule_matching=all"
                                 " -o 'load_plugins=[k8saudit, json]' -o '" +
                                 plugins + "' " + extra + " 2>" + err_path);
  KestrelRun r;
  r.code = code;
  r.out = out;
  std::ifstream e(err_path);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{') r.alerts.push_back(line);
  return r;
}

void record_then_replay(const std::string& capture_ext) {
  const std::string tag = std::to_string(getpid());
  const std::string audit = ::testing::TempDir() + "/plugin_replay_audit_" + tag + ".json";
  {
    std::ofstream o(audit);
    for (const char* name : kEvents) {
      std::ifstream in(kTraces + name);
      ASSERT_TRUE(in) << kTraces + name;
      std::string doc((std::istreambuf_iterator<char>(in)), {});
      while (!doc.empty() && (doc.back() == '\n' || doc.back() == '\r')) doc.pop_back();
      o << doc << "\n";
    }
  }
  const std::string capture = ::testing::TempDir() + "/plugin_replay_" + tag + capture_ext;
  std::remove(capture.c_str());

  KestrelRun live = kestrel(audit, "-w " + capture);
  ASSERT_EQ(live.code, 0) << live.err;
  ASSERT_GE(live.alerts.size(), 4u) << live.out << live.err;
  ASSERT_NE(live.err.find("Source k8saudit: " + std::to_string(std::size(kEvents)) + " events"), std::string::npos)
      << live.err;

  // The live source's input is gone: a replay that opened it would fail.
  ASSERT_EQ(std::remove(audit.c_str()), 0);
  KestrelRun replay = kestrel(audit, "-e " + capture);
  ASSERT_EQ(replay.code, 0) << replay.err;
  EXPECT_EQ(replay.err.find("Source k8saudit"), std::string::npos) << replay.err;
  EXPECT_EQ(replay.err.find("open("), std::string::npos) << replay.err;

  // The same alerts, field for field: the events keep their timestamps, so
  // even the alert times agree.
  EXPECT_EQ(replay.alerts, live.alerts) << "live:\n" << live.out << "\nreplay:\n" << replay.out;
  std::set<std::string> rules;
  for (const auto& a : replay.alerts) {
    auto j = nlohmann::json::parse(a);
    EXPECT_EQ(j["source"], "k8s_audit") << a;
    rules.insert(j["rule"].get<std::string>());
  }
  EXPECT_GE(rules.size(), 3u) << replay.out;
  std::remove(capture.c_str());
}

TEST(PluginReplay, KcapCaptureReplaysK8sAuditAlertsWithoutTheLiveSource) { record_then_replay(".kcap"); }

TEST(PluginReplay, ScapCaptureReplaysK8sAuditAlertsWithoutTheLiveSource) { record_then_replay(".scap"); }

// The .scap Kestrel writes with plugin events opens in sysdig, which
// decodes them as plugin events (type 322) of the plugin's id carrying the
// audit event.
TEST(PluginReplay, ScapWithPluginEventsOpensInSysdig) {
  const std::string tag = std::to_string(getpid());
  const std::string audit = ::testing::TempDir() + "/plugin_replay_sysdig_" + tag + ".json";
  {
    std::ifstream in(kTraces + kEvents[0]);
    std::ofstream o(audit);
    o << in.rdbuf();
  }
  const std::string capture = ::testing::TempDir() + "/plugin_replay_sysdig_" + tag + ".scap";
  KestrelRun live = kestrel(audit, "-w " + capture);
  ASSERT_EQ(live.code, 0) << live.err;
  auto [code, out] = run_command("sysdig -r " + capture + " -p '%evt.type %evt.args' 2>&1");
  EXPECT_EQ(code, 0) << out;
  // libs' own decoding of the event: k8saudit's id (1) and the audit JSON.
  EXPECT_NE(out.find("pluginevent plugin ID=1 event_data={\"annotations\""), std::string::npos) << out;
  std::remove(audit.c_str());
  std::remove(capture.c_str());
}

}  // namespace
