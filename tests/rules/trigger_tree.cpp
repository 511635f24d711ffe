#include "tests/rules/trigger_tree.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kestrel::testing {
namespace {

bool field_matches(const nlohmann::json& fields, const std::string& key, const std::string& want) {
  if (!fields.contains(key)) return false;
  const auto& v = fields[key];
  std::string got = v.is_string() ? v.get<std::string>() : v.dump();
  if (!want.empty() && want[0] == '~') return got.find(want.substr(1)) != std::string::npos;
  return got == want;
}

bool has_attack_id(const nlohmann::json& alert) {
  if (!alert.contains("tags")) return false;
  for (const auto& t : alert["tags"]) {
    std::string s = t.get<std::string>();
    if (s.size() >= 5 && s[0] == 'T' && isdigit(static_cast<unsigned char>(s[1]))) return true;
  }
  return false;
}

// A YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

std::string lineage_output() {
  std::string out = "lineage=%proc.pid";
  for (int n = 1; n <= kAncestorDepth; ++n) out += ",%proc.apid[" + std::to_string(n) + "]";
  return out;
}

std::string ancestry_overlay(const std::string& rules_file, const std::string& extra) {
  YAML::Node items;
  try {
    items = YAML::LoadFile(rules_file);
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << rules_file << ": " << e.what();
    return "";
  }
  std::ostringstream out;
  out << "# Test overlay: every rule's output also names its process and ancestors.\n";
  for (const auto& item : items) {
    if (!item.IsMap() || !item["rule"] || !item["output"]) continue;  // lists, macros, appends
    out << "- rule: " << quoted(item["rule"].Scalar()) << "\n  output: " << quoted(lineage_output())
        << "\n  override:\n    output: append\n";
  }
  out << "- rule: " << quoted(kSentinelRule) << "\n"
      << "  desc: test only; marks the end of a run's triggers\n"
      << "  condition: kestrel_spawned_process and proc.cmdline contains \"" << kSentinelMark << "\"\n"
      << "  output: " << quoted("sentinel container=%container.id " + lineage_output()) << "\n"
      << "  priority: DEBUG\n";
  out << extra;
  return out.str();
}

std::vector<std::string> default_rules_with_ancestry(const std::string& path, const std::string& extra) {
  const std::string rules = std::string(KESTREL_SOURCE_DIR) + "/rules/kestrel_rules.yaml";
  std::ofstream(path) << ancestry_overlay(rules, extra);
  return {"-r", rules, "-r", path};
}

std::vector<long long> alert_lineage(const nlohmann::json& alert) {
  std::vector<long long> pids;
  if (!alert.contains("output_fields")) return pids;
  const auto& f = alert["output_fields"];
  for (int n = 0; n <= kAncestorDepth; ++n) {
    const std::string key = n == 0 ? "proc.pid" : "proc.apid[" + std::to_string(n) + "]";
    if (!f.contains(key) || !f[key].is_number_integer()) break;
    pids.push_back(f[key].get<long long>());
  }
  return pids;
}

bool alert_from_tree(const nlohmann::json& alert, pid_t root) {
  for (long long pid : alert_lineage(alert))
    if (pid == root) return true;
  return false;
}

bool alert_belongs(const nlohmann::json& alert, const Trigger& trigger) {
  if (trigger.processless_container.empty()) return alert_from_tree(alert, trigger.root);
  const auto lineage = alert_lineage(alert);
  return (lineage.empty() || lineage.front() == 0) && alert.contains("output_fields") &&
         alert["output_fields"].value("container.id", "") == trigger.processless_container;
}

bool alert_matches(const nlohmann::json& alert, const Trigger& trigger) {
  if (alert.value("rule", "") != trigger.rule || !alert.contains("output_fields")) return false;
  for (const auto& [key, want] : trigger.fields)
    if (!field_matches(alert["output_fields"], key, want)) return false;
  return true;
}

pid_t run_rooted(const std::string& command, int& status) {
  status = -1;
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return 0;
  }
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return pid;
}

void run_triggers(std::vector<Trigger>& triggers) {
  for (auto& t : triggers) {
    int status = 0;
    t.root = run_rooted(t.command, status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "trigger for \"" << t.rule << "\" failed (status " << status << "): " << t.command;
  }
}

pid_t run_sentinel() {
  int status = 0;
  pid_t root = run_rooted(kSentinelCommand, status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << kSentinelCommand;
  return root;
}

bool sentinel_seen(const std::vector<nlohmann::json>& alerts, pid_t sentinel) {
  for (const auto& a : alerts)
    if (a.value("rule", "") == kSentinelRule && alert_from_tree(a, sentinel)) return true;
  return false;
}

void wait_for_alerts(Collector& c, const std::vector<Trigger>& triggers, pid_t sentinel, int limit_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  auto all_seen = [&] {
    auto alerts = c.alerts();
    if (!sentinel_seen(alerts, sentinel)) return false;
    for (const auto& t : triggers) {
      if (t.rule.empty()) continue;
      bool seen = false;
      for (const auto& a : alerts) seen |= a.value("rule", "") == t.rule && alert_belongs(a, t);
      if (!seen) return false;
    }
    return true;
  };
  while (!all_seen() && std::chrono::steady_clock::now() < end) c.pump(50);
  EXPECT_TRUE(sentinel_seen(c.alerts(), sentinel))
      << "no alert of the sentinel rule within " << limit_ms << " ms: the collector fell behind or lost events";
}

void check_triggers(const Collector& c, const std::vector<Trigger>& triggers) {
  auto alerts = c.alerts();
  for (const auto& t : triggers) {
    SCOPED_TRACE((t.rule.empty() ? std::string("no rule") : "rule \"" + t.rule + "\"") + ", trigger: " + t.command +
                 " (root pid " + std::to_string(t.root) + ")");
    bool fired = false;
    std::string seen, elsewhere;
    for (const auto& a : alerts) {
      if (!alert_belongs(a, t)) {
        if (!t.rule.empty() && a["rule"] == t.rule) elsewhere += a.dump() + "\n";
        continue;
      }
      seen += a.dump() + "\n";
      if (a["rule"] != t.rule) {
        ADD_FAILURE() << "another rule fired from this trigger's process tree: " << a.dump();
        continue;
      }
      if (!alert_matches(a, t)) continue;
      fired = true;
      EXPECT_EQ(a["priority"], t.priority) << a.dump();
      EXPECT_EQ(a["source"], "syscall") << a.dump();
      EXPECT_TRUE(has_attack_id(a)) << "no ATT&CK technique tag: " << a.dump();
    }
    if (t.rule.empty()) continue;  // any alert was reported above
    EXPECT_TRUE(fired) << "no alert of this rule with the expected fields from this trigger's process tree; "
                          "alerts from it:\n"
                       << seen << "alerts of this rule from other processes:\n"
                       << elsewhere;
  }
}

}  // namespace kestrel::testing
