// Two sources in one kestrel process: the live eBPF probe (syscall rules)
// and the k8saudit plugin (Falco's k8s_audit rules) reading a file of audit
// events. Reading /etc/shadow on the host must raise the syscall rule and
// the privileged-pod audit event the k8s_audit rule, each alert tagged with
// its source, and the summary must count events from both sources.
// Needs root and a BTF kernel; fails loudly without them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "../support/kestrel_collector.h"

namespace {

using kestrel::testing::Collector;

TEST(PluginTwoSources, EbpfAndK8sAuditAlertsInOneRun) {
  ASSERT_EQ(geteuid(), 0u) << "needs root";
  const std::string shared = KESTREL_SHARED_DIR;
  const std::string trace = shared + "/falco-regression/trace_files/k8s_audit/create_nginx_pod_privileged.json";
  Collector c;
  c.start({KESTREL_BINARY, "-r", std::string(KESTREL_SOURCE_DIR) + "/rules/kestrel_rules.yaml", "-r",
           shared + "/upstream-rules/plugins/k8s_audit_rules.yaml", "-o", "engine.kind=ebpf", "-o",
           "json_output=true", "-o", "load_plugins=[k8saudit, json]", "-o",
           // k8s_audit_rules.yaml requires json >= 0.7.0 (plugins/json).
           std::string("plugins=[{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN + ", open_params: " + trace +
               "}, {name: json, library_path: " + JSON_PLUGIN + "}]",
           "-M", "120"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  ASSERT_EQ(std::system("cat /etc/shadow > /dev/null"), 0);
  for (int i = 0; i < 40; ++i) c.pump(50);
  int code = c.stop();
  ASSERT_EQ(code, 0) << c.err;

  bool host = false, audit = false;
  for (const auto& a : c.alerts()) {
    if (a["rule"] == "Sensitive File Read By Untrusted Program" && a["output_fields"]["fd.name"] == "/etc/shadow" &&
        a["output_fields"]["proc.name"] == "cat") {
      EXPECT_EQ(a["source"], "syscall") << a.dump();
      host = true;
    }
    if (a["rule"] == "Create Privileged Pod") {
      EXPECT_EQ(a["source"], "k8s_audit") << a.dump();
      EXPECT_EQ(a["output_fields"]["ka.target.namespace"], "default") << a.dump();
      audit = true;
    }
    // No rule of one source may fire on the other's events.
    if (a["source"] == "k8s_audit") {
      EXPECT_TRUE(a["output_fields"].contains("ka.user.name")) << a.dump();
    }
  }
  EXPECT_TRUE(host) << c.out << c.err;
  EXPECT_TRUE(audit) << c.out << c.err;
  EXPECT_NE(c.err.find("Source ebpf:"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("Source k8saudit: 1 events"), std::string::npos) << c.err;
}

}  // namespace
