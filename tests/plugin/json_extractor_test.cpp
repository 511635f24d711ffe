// Our json plugin next to our k8saudit plugin, as k8s_audit_rules.yaml
// declares them (required_plugin_versions: k8saudit and json), through the
// real `kestrel` binary: the upstream ruleset still loads and raises its
// rules with both configured, and json.* fields extract from k8saudit
// events (a rules file written here names them in a condition and an
// output). Expected values read off the falco-regression audit event.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "our_plugin_run.h"

namespace {

using kestrel::testing::plugin_entry;
using kestrel::testing::run_with_plugins;

const std::string kTraces = std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/k8s_audit/";
const std::string kK8sRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/k8s_audit_rules.yaml";

std::vector<std::pair<std::string, std::string>> plugins(const std::string& trace) {
  return {{"k8saudit", plugin_entry("k8saudit", K8SAUDIT_PLUGIN, kTraces + trace, "{}")},
          {"json", plugin_entry("json", JSON_PLUGIN, std::string())}};
}

TEST(JsonPlugin, K8sAuditRulesLoadWithK8sauditAndJson) {
  auto r = run_with_plugins(kK8sRules, plugins("create_nginx_pod_privileged.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  int privileged = 0;
  for (const auto& a : r.alerts) privileged += a["rule"] == "Create Privileged Pod";
  EXPECT_EQ(privileged, 1) << r.out;
}

TEST(JsonPlugin, JsonValueExtractsFromK8sauditEvents) {
  const std::string rules = ::testing::TempDir() + "json_on_k8s_audit.yaml";
  {
    std::ofstream out(rules);
    out << "- rule: Pod created (json plugin)\n"
           "  desc: json.value on a k8saudit event\n"
           "  condition: json.value[/objectRef/resource]=pods and json.value[/verb]=create\n"
           "    and json.value[/responseStatus/code]=201\n"
           "    and json.value[/requestObject/spec/containers/0/securityContext/privileged]=true\n"
           "  output: user=%json.value[/user/username] first_group=%json.value[/user/groups/0]"
           " missing=%json.value[/no/such/member] rawtime=%json.rawtime\n"
           "  priority: WARNING\n"
           "  source: k8s_audit\n";
  }
  auto r = run_with_plugins(rules, plugins("create_nginx_pod_privileged.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(r.alerts.size(), 1u) << r.out;
  const auto& f = r.alerts[0]["output_fields"];
  EXPECT_EQ(f.value("json.value[/user/username]", std::string()), "system:serviceaccount:kube-system:replicaset-controller");
  EXPECT_EQ(f.value("json.value[/user/groups/0]", std::string()), "system:serviceaccounts");
  EXPECT_TRUE(f.contains("json.value[/no/such/member]") && f["json.value[/no/such/member]"].is_null()) << f.dump();
  // stageTimestamp 2018-10-25T14:09:12.581541Z, in ns since the epoch.
  EXPECT_EQ(f.value("json.rawtime", std::string()), "1540476552581541000");

  // An unprivileged pod does not match the condition.
  auto quiet = run_with_plugins(rules, plugins("create_nginx_pod_unprivileged.json"));
  ASSERT_EQ(quiet.code, 0) << quiet.out;
  EXPECT_TRUE(quiet.alerts.empty()) << quiet.out;
}

}  // namespace
