// Falco's own rules on Falco's own traces, through the whole collector
// (kestrel -e TRACE.scap -r RULES): the counts falco_tests.yaml expects.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

#ifndef KESTREL_FALCO_REGRESSION
#error "KESTREL_FALCO_REGRESSION must name the falco-regression directory"
#endif

namespace kestrel {
namespace {

std::string regression(const std::string& rel) { return std::string(KESTREL_FALCO_REGRESSION) + "/" + rel; }

// Alerts by rule of `kestrel -e trace -r rules... -o json_output=true`.
std::map<std::string, int> alerts_by_rule(const std::string& trace, const std::vector<std::string>& rules,
                                          std::string* log = nullptr, const std::vector<std::string>& extra = {}) {
  std::vector<const char*> args = {"kestrel", "-e", trace.c_str(), "-o", "json_output=true", "--stats"};
  for (const auto& e : extra) args.push_back(e.c_str());
  for (const auto& r : rules) {
    args.push_back("-r");
    args.push_back(r.c_str());
  }
  std::ostringstream out, err;
  int code = run_kestrel(static_cast<int>(args.size()), args.data(), out, err);
  EXPECT_EQ(code, kExitOk) << err.str();
  if (log) *log = err.str();
  std::map<std::string, int> by_rule;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("rule")) ++by_rule[j["rule"].get<std::string>()];
  }
  return by_rule;
}

TEST(ScapRules, CatWriteRaisesOpenFromCatEightTimesAsInFalcosTests) {
  // falco_tests.yaml, multiple_rules_suppress_info: open_from_cat: 8 (four
  // opens, each seen at enter and at exit).
  std::string log;
  auto by_rule = alerts_by_rule(regression("trace_files/cat_write.scap"), {regression("rules/single_rule.yaml")}, &log);
  EXPECT_EQ(by_rule["open_from_cat"], 8) << log;
  // --stats names what was not modelled.
  EXPECT_NE(log.find("scap_unmodelled.procinfo(234): 260"), std::string::npos) << log;
}

TEST(ScapRules, EvtDirSelectsOneDirectionOfAReplay) {
  const std::string path = ::testing::TempDir() + "scap_dir_rules.yaml";
  std::ofstream(path) << "- rule: open_exit\n  desc: x\n  condition: evt.type=open and evt.dir=< and proc.name=cat\n"
                         "  output: exit\n  priority: WARNING\n"
                         "- rule: open_enter\n  desc: x\n  condition: evt.type=open and evt.dir=> and proc.name=cat\n"
                         "  output: enter %evt.dir\n  priority: WARNING\n"
                         "- rule: open_not_enter\n  desc: x\n  condition: evt.type=open and evt.dir!=> and proc.name=cat\n"
                         "  output: not enter\n  priority: WARNING\n";
  auto by_rule = alerts_by_rule(regression("trace_files/cat_write.scap"), {path}, nullptr, {"-o", "rule_matching=all"});
  EXPECT_EQ(by_rule["open_exit"], 4);
  EXPECT_EQ(by_rule["open_enter"], 4);
  EXPECT_EQ(by_rule["open_not_enter"], 4);
}

}  // namespace
}  // namespace kestrel
