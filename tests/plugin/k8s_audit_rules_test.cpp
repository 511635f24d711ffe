// Falco's upstream k8s_audit_rules.yaml, loaded by the engine as-is, over
// the falco-regression Kubernetes audit events, through the real `kestrel`
// binary with our k8saudit plugin as the only source (engine.kind=none).
// For each file, the rules its name and content call for must fire (with
// source "k8s_audit"), and the benign variants must not raise them. The
// expectations were written by reading the rules' conditions against each
// file's audit event, not by running Kestrel.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../support/kestrel_collector.h"
#include "../support/run_command.h"

namespace {

const std::string kTraces = std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/k8s_audit/";
const std::string kRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/k8s_audit_rules.yaml";
// k8s_audit_rules.yaml requires the json plugin (>= 0.7.0) beside k8saudit:
// JSON_PLUGIN is ours (plugins/json).
const std::string kJsonPlugin = std::string(", {name: json, library_path: ") + JSON_PLUGIN + "}";

struct KestrelRun {
  int code = -1;
  std::vector<nlohmann::json> alerts;
  std::string out;
};

KestrelRun run_kestrel(const std::string& trace) {
  std::string plugins = std::string("plugins=[{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN +
                        ", init_config: {}, open_params: " + kTraces + trace + "}" + kJsonPlugin + "]";
  std::string cmd = std::string(KESTREL_BINARY) + " -r " + kRules +
                    " -o engine.kind=none -o json_output=true -o rule_matching=all -o 'load_plugins=[k8saudit, json]' -o '" +
                    plugins + "' 2>/dev/null";
  KestrelRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty() && line[0] == '{') r.alerts.push_back(nlohmann::json::parse(line));
  return r;
}

std::map<std::string, int> count_by_rule(const KestrelRun& r) {
  std::map<std::string, int> by_rule;
  for (const auto& a : r.alerts) ++by_rule[a["rule"].get<std::string>()];
  return by_rule;
}

struct Case {
  std::string file;
  std::vector<std::string> fires;
  std::vector<std::string> silent;
};

const std::vector<Case> kCases = {
    {"create_nginx_pod_privileged.json", {"Create Privileged Pod"}, {"Pod Created in Kube Namespace"}},
    {"create_nginx_pod_privileged_2nd_container.json", {"Create Privileged Pod"}, {}},
    {"create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json", {"Create Privileged Pod"}, {}},
    {"create_nginx_pod_unprivileged.json", {}, {"Create Privileged Pod"}},
    {"create_nginx_pod_hostnetwork.json", {"Create HostNetwork Pod"}, {"Create Privileged Pod"}},
    {"create_nginx_pod_nohostnetwork.json", {}, {"Create HostNetwork Pod"}},
    {"create_nginx_pod_sensitive_mount.json", {"Create Sensitive Mount Pod"}, {}},
    {"create_nginx_pod_sensitive_mount_2nd_container.json", {"Create Sensitive Mount Pod"}, {}},
    {"create_nginx_pod_unsensitive_mount.json", {}, {"Create Sensitive Mount Pod"}},
    {"create_nginx_service_nodeport.json", {"Create NodePort Service", "K8s Service Created"}, {}},
    {"create_nginx_service_nonodeport.json", {"K8s Service Created"}, {"Create NodePort Service"}},
    {"create_configmap_sensitive_values.json", {"Create/Modify Configmap With Private Credentials"}, {}},
    {"create_configmap_no_sensitive_values.json", {"K8s ConfigMap Created"},
     {"Create/Modify Configmap With Private Credentials"}},
    {"anonymous_creates_namespace_foo.json", {"Anonymous Request Allowed", "Create Disallowed Namespace"},
     {"Disallowed K8s User"}},
    {"some-user_creates_namespace_foo.json",
     {"Disallowed K8s User", "Create Disallowed Namespace", "K8s Namespace Created"}, {}},
    {"minikube_creates_namespace_foo.json", {"Create Disallowed Namespace", "K8s Namespace Created"},
     {"Disallowed K8s User", "Anonymous Request Allowed"}},
    {"attach_pod.json", {"Attach/Exec Pod"}, {}},
    {"exec_pod.json", {"Attach/Exec Pod"}, {}},
    {"create_cluster_role_wildcard_resources.json", {"ClusterRole With Wildcard Created"}, {}},
    {"create_cluster_role_wildcard_verbs.json", {"ClusterRole With Wildcard Created"}, {}},
    {"create_cluster_role_write_privileges.json", {"ClusterRole With Write Privileges Created"},
     {"ClusterRole With Wildcard Created"}},
    {"create_cluster_role_pod_exec.json", {"ClusterRole With Pod Exec Created"}, {}},
    {"create_clusterrole.json", {"K8s ClusterRole Created"}, {}},
    {"attach_cluster_admin_role.json", {"Attach to cluster-admin Role"}, {}},
    {"create_clusterrolebinding.json", {"K8s ClusterRoleBinding Created"}, {}},
    {"create_pod_kube_system_namespace.json", {"Pod Created in Kube Namespace"}, {"Create Privileged Pod"}},
    {"create_pod_kube_public_namespace.json", {"Pod Created in Kube Namespace"}, {}},
    {"create_serviceaccount_kube_system_namespace.json", {"Service Account Created in Kube Namespace"}, {}},
    {"create_serviceaccount_kube_public_namespace.json", {"Service Account Created in Kube Namespace"}, {}},
    {"create_serviceaccount.json", {"K8s Serviceaccount Created"}, {"Service Account Created in Kube Namespace"}},
    {"delete_serviceaccount.json", {"K8s Serviceaccount Deleted"}, {}},
    {"delete_cluster_role_kube_aggregator.json", {"System ClusterRole Modified/Deleted", "K8s ClusterRole Deleted"}, {}},
    {"modify_cluster_role_node_problem_detector.json", {"System ClusterRole Modified/Deleted"}, {}},
    {"delete_clusterrole.json", {"K8s ClusterRole Deleted"}, {}},
    {"delete_clusterrolebinding.json", {"K8s ClusterRoleBinding Deleted"}, {}},
    {"create_deployment.json", {"K8s Deployment Created"}, {"Disallowed K8s User"}},
    {"delete_deployment.json", {"K8s Deployment Deleted"}, {}},
    {"create_service.json", {"K8s Service Created"}, {}},
    {"delete_service.json", {"K8s Service Deleted"}, {}},
    {"create_configmap.json", {"K8s ConfigMap Created"}, {}},
    {"delete_configmap.json", {"K8s ConfigMap Deleted"}, {}},
    {"delete_namespace_foo.json", {"K8s Namespace Deleted"}, {}},
    {"create_secret.json", {"K8s Secret Created"}, {}},
    {"delete_secret.json", {"K8s Secret Deleted"}, {}},
    // kube-system secrets and system users' secrets are excluded by the rule.
    {"create_kube_system_secret.json", {}, {"K8s Secret Created"}},
    {"create_service_account_token_secret.json", {}, {"K8s Secret Created"}},
    // {"kind": 0}: not an audit event; loads (exit 0) and raises nothing.
    {"fal_01_003.json", {}, {"Disallowed K8s User", "All K8s Audit Events"}},
};

TEST(K8sAuditRules, EachAuditFileRaisesTheRulesItIsNamedFor) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.file);
    KestrelRun r = run_kestrel(c.file);
    ASSERT_EQ(r.code, 0) << r.out;
    auto by_rule = count_by_rule(r);
    for (const auto& rule : c.fires) EXPECT_GE(by_rule[rule], 1) << rule << "\n" << r.out;
    for (const auto& rule : c.silent) EXPECT_EQ(by_rule[rule], 0) << rule << "\n" << r.out;
    for (const auto& a : r.alerts) EXPECT_EQ(a.value("source", std::string()), "k8s_audit") << a.dump();
  }
}

TEST(K8sAuditRules, OutputFieldsComeFromThePlugin) {
  KestrelRun r = run_kestrel("create_nginx_pod_privileged.json");
  ASSERT_EQ(r.code, 0);
  bool seen = false;
  for (const auto& a : r.alerts) {
    if (a["rule"] != "Create Privileged Pod") continue;
    seen = true;
    const auto& f = a["output_fields"];
    EXPECT_EQ(f.value("ka.user.name", std::string()), "system:serviceaccount:kube-system:replicaset-controller");
    EXPECT_EQ(f.value("ka.target.namespace", std::string()), "default");
    EXPECT_EQ(f.value("ka.target.resource", std::string()), "pods");
    EXPECT_EQ(a.value("priority", std::string()), "Warning");
    // The event's own time (stageTimestamp 2018-10-25T14:09:12.581541Z).
    EXPECT_EQ(a["time"].get<std::string>().substr(0, 26), "2018-10-25T14:09:12.581541");
  }
  EXPECT_TRUE(seen) << r.out;
}

TEST(K8sAuditRules, OneAlertPerSensitiveConfigmapEvent) {
  // Six configmaps, each with one kind of credential the macro looks for.
  KestrelRun r = run_kestrel("create_configmap_sensitive_values.json");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(count_by_rule(r)["Create/Modify Configmap With Private Credentials"], 6) << r.out;
}

std::pair<int, std::string> run_with_stderr(const std::string& args) {
  return kestrel::testing::run_command(std::string(KESTREL_BINARY) + " " + args + " 2>&1");
}

TEST(K8sAuditRules, BadPluginConfigFailsWithAClearMessage) {
  const std::string plugin = K8SAUDIT_PLUGIN;
  struct Bad {
    std::string args, message;
  };
  const std::vector<Bad> bad = {
      {"-o engine.kind=none -o load_plugins=k8saudit", "load_plugins names 'k8saudit', which has no entry in `plugins`"},
      {"-o engine.kind=none -o load_plugins=x -o 'plugins=[{name: x, library_path: /nonexistent/libx.so}]'",
       "/nonexistent/libx.so"},
      {"-o engine.kind=none -o load_plugins=k8saudit -o 'plugins=[{name: k8saudit, library_path: " + plugin +
           ", init_config: \"[1]\"}]'",
       "init_config does not follow the plugin's JSON schema: init_config: expected object, got array"},
      {"-o 'plugins=[{name: x, path: /a.so}]'", "unknown plugin key 'path'"},
      {"-o 'plugins=[{name: x}]'", "plugin 'x' needs a library_path"},
  };
  for (const auto& b : bad) {
    auto result = run_with_stderr(b.args);
    EXPECT_NE(result.first, 0) << b.args;
    EXPECT_NE(result.second.find(b.message), std::string::npos) << b.args << "\n" << result.second;
  }
}

TEST(K8sAuditRules, ListPluginsDescribesTheLoadedPlugin) {
  auto result = run_with_stderr(std::string("--list-plugins -o load_plugins=k8saudit -o 'plugins=[{name: "
                                                 "k8saudit, library_path: ") +
                                     K8SAUDIT_PLUGIN + "}]'");
  const std::string& out = result.second;
  EXPECT_EQ(result.first, 0) << out;
  EXPECT_NE(out.find("Name: k8saudit"), std::string::npos) << out;
  EXPECT_NE(out.find("Event Sourcing (ID=1, source='k8s_audit')"), std::string::npos) << out;
  EXPECT_NE(out.find("Field Extraction"), std::string::npos) << out;
}

std::string shell_output(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[256];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(K8sAuditRules, WebhookInputReceivesPostedAuditEvents) {
  const int port = 20000 + getpid() % 20000;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/k8s-audit";
  kestrel::testing::Collector c;
  c.start({KESTREL_BINARY, "-r", kRules, "-o", "engine.kind=none", "-o", "json_output=true", "-o", "rule_matching=all", "-o",
           "load_plugins=[k8saudit, json]", "-o",
           std::string("plugins=[{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN + ", open_params: '" + url + "'}" +
               kJsonPlugin + "]",
           "-M", "60"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(30))) << c.err;
  auto post = [&](const std::string& data_arg) {
    return shell_output("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' " +
                        data_arg + " " + url);
  };
  EXPECT_EQ(post("--data-binary @" + kTraces + "create_nginx_pod_privileged.json"), "200");
  EXPECT_EQ(post("--data-binary 'not json'"), "400");
  // An EventList with two events: both are evaluated.
  std::ifstream in(kTraces + "create_secret.json");
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string list = "{\"kind\":\"EventList\",\"items\":[" + secret + "," + secret + "]}";
  std::string list_path = ::testing::TempDir() + "/eventlist_" + std::to_string(getpid()) + ".json";
  std::ofstream(list_path) << list;
  EXPECT_EQ(post("--data-binary @" + list_path), "200");
  for (int i = 0; i < 30; ++i) c.pump(50);
  int code = c.stop();
  EXPECT_EQ(code, 0) << c.err;
  int privileged = 0, secrets = 0;
  for (const auto& a : c.alerts()) {
    if (a.value("rule", std::string()) == "Create Privileged Pod") ++privileged;
    if (a.value("rule", std::string()) == "K8s Secret Created") ++secrets;
  }
  EXPECT_EQ(privileged, 1) << c.out << c.err;
  EXPECT_EQ(secrets, 2) << c.out << c.err;
  EXPECT_NE(c.err.find("Source k8saudit: 3 events"), std::string::npos) << c.err;
}

TEST(K8sAuditRules, SighupReloadsThePluginSourcesRules) {
  // Rules for k8s_audit are recompiled on SIGHUP and the plugin's events go
  // to the new engine: a rule renamed in the file raises under its new name.
  const std::string rules = ::testing::TempDir() + "/reload_rules_" + std::to_string(getpid()) + ".yaml";
  auto write_rule = [&](const std::string& name) {
    std::ofstream(rules) << "- rule: " << name << "\n  desc: secrets\n  condition: ka.target.resource=secrets and "
                         << "ka.verb=create\n  output: secret %ka.target.name by %ka.user.name\n  priority: "
                         << "WARNING\n  source: k8s_audit\n";
  };
  write_rule("Secret Before Reload");
  const int port = 20000 + (getpid() + 7) % 20000;
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/k8s-audit";
  kestrel::testing::Collector c;
  c.start({KESTREL_BINARY, "-r", rules, "-o", "engine.kind=none", "-o", "json_output=true", "-o",
           "load_plugins=k8saudit", "-o",
           std::string("plugins=[{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN + ", open_params: '" + url + "'}]",
           "-M", "60"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(30))) << c.err;
  const std::string post = "curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @" + kTraces +
                           "create_secret.json " + url;
  EXPECT_EQ(shell_output(post), "200");
  auto count = [&](const std::string& rule) {
    int n = 0;
    for (const auto& a : c.alerts()) n += a.value("rule", std::string()) == rule;
    return n;
  };
  for (int i = 0; i < 40 && count("Secret Before Reload") == 0; ++i) c.pump(50);
  ASSERT_EQ(count("Secret Before Reload"), 1) << c.out << c.err;

  write_rule("Secret After Reload");
  ASSERT_EQ(kill(c.pid, SIGHUP), 0);
  ASSERT_TRUE(c.wait_for_stderr("rules reloaded", std::chrono::seconds(20))) << c.err;
  EXPECT_EQ(shell_output(post), "200");
  for (int i = 0; i < 40 && count("Secret After Reload") == 0; ++i) c.pump(50);
  int code = c.stop();
  EXPECT_EQ(code, 0) << c.err;
  EXPECT_EQ(count("Secret Before Reload"), 1) << c.out;
  EXPECT_EQ(count("Secret After Reload"), 1) << c.out << c.err;
  for (const auto& a : c.alerts()) {
    EXPECT_EQ(a.value("source", std::string()), "k8s_audit");
    EXPECT_NE(a.value("output", std::string()).find("secret example-secret by minikube-user"), std::string::npos) << a.dump();
  }
}

}  // namespace
