// Falco's upstream okta_rules.yaml over Okta System Log events written for
// this test from Okta's published LogEvent object
// (tests/fixtures/plugins/okta/: an API export as a JSON array and a log
// shipper's JSON lines), through the real `kestrel` binary with our okta
// plugin. Each single-event rule has its own actor, so alerts name their
// event by okta.actor.name (in every output). The MFA counters: Mallory's
// third failure within 5 minutes raises "Too many failed MFA", her fourth
// (8 minutes later) and Alice's two do not; Bob's third denied push raises
// the push rule, his fourth (6 minutes on) does not. Expectations were
// written from the rule conditions, not by running Kestrel.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "our_plugin_run.h"

namespace {

using kestrel::testing::plugin_entry;
using kestrel::testing::rules_by;
using kestrel::testing::run_with_plugins;

const std::string kRules = std::string(KESTREL_SHARED_DIR) + "/upstream-rules/plugins/okta_rules.yaml";
const std::string kFixtures = std::string(KESTREL_SOURCE_DIR) + "/tests/fixtures/plugins/okta";

std::vector<std::pair<std::string, std::string>> plugins(const std::string& open_params) {
  return {{"okta", plugin_entry("okta", OKTA_PLUGIN, open_params, "{organization: example}")}};
}

const std::map<std::string, std::multiset<std::string>> kExpected = {
    {"Lou Locked", {"User has been locked out in OKTA"}},
    {"Sam Suspender", {"User has been suspended in OKTA"}},
    {"Pat Granter", {"Admin permission has been assigned to a user in OKTA"}},
    {"Tom Tokens", {"Creating a new OKTA API token"}},
    {"Abe Adminapp", {"User accessing OKTA admin section"}},
    {"Fay Factor", {"removing MFA factor from user in OKTA"}},
    {"Ray Resetall", {"removing all MFA factor from user in OKTA"}},
    // Ada also creates a user: that rule is disabled upstream.
    {"Ada Admin", {"User password reset by OKTA admin"}},
    {"Rob Ratelimit", {"User hitting the rate limit on requests in OKTA"}},
    {"Ivy Impersonator", {"User initiating impersonation session in OKTA"}},
    // Bea: session start, password update, SSO: rules disabled upstream.
    {"Mallory Mfa", {"Too many failed MFA in last 5min"}},
    {"Bob Denier", {"Too many denied MFA Pushes in last 5min"}},
    // Alice: two failures only.
};

TEST(OktaRules, EachEventRaisesExactlyTheRulesItWasWrittenFor) {
  auto r = run_with_plugins(kRules, plugins(kFixtures));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(rules_by(r, "okta.actor.name"), kExpected) << r.out;
  for (const auto& a : r.alerts) EXPECT_EQ(a.value("source", std::string()), "okta") << a.dump();
}

TEST(OktaRules, OutputFieldsComeFromTheEvents) {
  auto r = run_with_plugins(kRules, plugins(kFixtures));
  ASSERT_EQ(r.code, 0) << r.out;
  int seen = 0;
  for (const auto& a : r.alerts) {
    const auto& f = a["output_fields"];
    if (a["rule"] == "Too many failed MFA in last 5min") {
      ++seen;
      EXPECT_EQ(f.value("okta.mfa.failure.countlast[300]", 0), 3) << a.dump();  // a number: uint64 field
      EXPECT_EQ(f.value("okta.reason", std::string()), "INVALID_CREDENTIALS");
      EXPECT_EQ(a.value("time", std::string()).substr(0, 19), "2026-12-02T14:22:00");
    } else if (a["rule"] == "Too many denied MFA Pushes in last 5min") {
      ++seen;
      EXPECT_EQ(f.value("okta.mfa.deny.countlast[300]", 0), 3) << a.dump();
    } else if (a["rule"] == "User password reset by OKTA admin") {
      ++seen;
      EXPECT_EQ(f.value("okta.client.ip", std::string()), "192.0.2.17");
      EXPECT_EQ(f.value("okta.target.user.name", std::string()), "Rita Reset");
    }
  }
  EXPECT_EQ(seen, 3) << r.out;
}

// Fields the upstream ruleset does not use, on the SSO event of the export
// (values written from the event).
TEST(OktaFields, DocumentedFieldsOnAnSsoEvent) {
  const std::string rules = ::testing::TempDir() + "okta_fields.yaml";
  std::ofstream(rules) << R"yaml(
- rule: SSO
  desc: fields of a user.authentication.sso event
  condition: okta.evt.type = "user.authentication.sso"
  output: app=%okta.app org=%okta.org country=%okta.client.geo.country target=%okta.target.app.alternateid
    names=%okta.targets.displayName first=%okta.targets.displayName[0] asn=%okta.security.asnumber
    login=%okta.actor.alternateid ua=%okta.useragent.browser result=%okta.result lat=%okta.client.geo.lat
  priority: INFO
  source: okta
)yaml";
  auto r = run_with_plugins(rules, plugins(kFixtures + "/system_log_export.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(r.alerts.size(), 1u) << r.out;
  const auto& f = r.alerts[0]["output_fields"];
  EXPECT_EQ(f.value("okta.app", std::string()), "github");  // requestUri /app/github/...
  EXPECT_EQ(f.value("okta.org", std::string()), "example");  // init_config.organization
  EXPECT_EQ(f.value("okta.client.geo.country", std::string()), "United States");
  EXPECT_EQ(f.value("okta.target.app.alternateid", std::string()), "GitHub Enterprise");
  EXPECT_EQ(f.value("okta.targets.displayName[0]", std::string()), "GitHub");
  EXPECT_EQ(f.value("okta.security.asnumber", 0), 7922);
  EXPECT_EQ(f.value("okta.actor.alternateid", std::string()), "bea@example.com");
  EXPECT_EQ(f.value("okta.useragent.browser", std::string()), "SAFARI");
  EXPECT_EQ(f.value("okta.result", std::string()), "SUCCESS");
  EXPECT_EQ(f.value("okta.client.geo.lat", std::string()), "39.7525");
}

TEST(OktaRules, OneExportFileAlone) {
  auto r = run_with_plugins(kRules, plugins(kFixtures + "/system_log_export.json"));
  ASSERT_EQ(r.code, 0) << r.out;
  auto by_actor = rules_by(r, "okta.actor.name");
  EXPECT_EQ(by_actor.size(), 10u) << r.out;  // the ten single-event actors, no MFA counts
  EXPECT_EQ(by_actor.count("Mallory Mfa"), 0u);
}

TEST(OktaRules, TextThatIsNotJsonFailsWithFileAndLine) {
  const std::string bad = ::testing::TempDir() + "okta-bad.jsonl";
  {
    std::ofstream out(bad);
    out << "{\"eventType\":\"user.session.start\"}\n" << "not json at all\n";
  }
  auto r = run_with_plugins(kRules, plugins(bad));
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find(bad + "' line 2"), std::string::npos) << r.out;
}

}  // namespace
