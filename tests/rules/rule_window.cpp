#include "tests/rules/rule_window.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <thread>

namespace kestrel::testing {
namespace {

// Event times come from the kernel's boot clock shifted to the epoch once
// at start-up; a few ms cover the drift against CLOCK_REALTIME.
constexpr uint64_t kSlackNs = 5'000'000;
constexpr auto kGap = std::chrono::milliseconds(30);

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

}  // namespace

bool alert_matches(const nlohmann::json& alert, const Trigger& trigger) {
  if (alert.value("rule", "") != trigger.rule || !alert.contains("output_fields")) return false;
  for (const auto& [key, want] : trigger.fields)
    if (!field_matches(alert["output_fields"], key, want)) return false;
  return true;
}

uint64_t wall_clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t parse_alert_time(const std::string& iso) {
  tm t{};
  unsigned long long frac = 0;
  if (sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%9lluZ", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min,
             &t.tm_sec, &frac) != 7)
    return 0;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  time_t secs = timegm(&t);
  return static_cast<uint64_t>(secs) * 1'000'000'000ull + frac;
}

void run_triggers(std::vector<Trigger>& triggers) {
  for (auto& t : triggers) {
    t.begin_ns = wall_clock_ns();
    int rc = std::system(t.command.c_str());
    t.end_ns = wall_clock_ns();
    EXPECT_EQ(rc, 0) << "trigger for \"" << t.rule << "\" failed: " << t.command;
    std::this_thread::sleep_for(kGap);
  }
}

std::vector<nlohmann::json> alerts_between(const std::vector<nlohmann::json>& alerts, uint64_t begin_ns,
                                           uint64_t end_ns) {
  std::vector<nlohmann::json> in;
  for (const auto& a : alerts) {
    uint64_t t = parse_alert_time(a.value("time", ""));
    if (t + kSlackNs >= begin_ns && t <= end_ns + kSlackNs) in.push_back(a);
  }
  return in;
}

void wait_for_alerts(Collector& c, const std::vector<Trigger>& triggers, int limit_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (std::chrono::steady_clock::now() < end) {
    c.pump(50);
    auto alerts = c.alerts();
    bool all = true;
    for (const auto& t : triggers) {
      if (t.rule.empty()) continue;
      bool seen = false;
      for (const auto& a : alerts_between(alerts, t.begin_ns, t.end_ns)) seen |= a["rule"] == t.rule;
      if (!seen) {
        all = false;
        break;
      }
    }
    if (all) break;
  }
  for (int i = 0; i < 10; ++i) c.pump(50);
}

void check_triggers(const Collector& c, const std::vector<Trigger>& triggers) {
  auto alerts = c.alerts();
  for (const auto& t : triggers) {
    SCOPED_TRACE((t.rule.empty() ? std::string("no rule") : "rule \"" + t.rule + "\"") + ", trigger: " + t.command);
    bool fired = false;
    std::string seen;
    for (const auto& a : alerts_between(alerts, t.begin_ns, t.end_ns)) {
      seen += a.dump() + "\n";
      if (a["rule"] != t.rule) {
        ADD_FAILURE() << "another rule fired in this trigger's window: " << a.dump();
        continue;
      }
      if (!alert_matches(a, t)) continue;
      fired = true;
      EXPECT_EQ(a["priority"], t.priority) << a.dump();
      EXPECT_EQ(a["source"], "syscall") << a.dump();
      EXPECT_TRUE(has_attack_id(a)) << "no ATT&CK technique tag: " << a.dump();
    }
    if (t.rule.empty()) continue;  // any alert was reported above
    EXPECT_TRUE(fired) << "no alert of this rule with the expected fields; alerts in the window:\n" << seen;
  }
}

}  // namespace kestrel::testing
