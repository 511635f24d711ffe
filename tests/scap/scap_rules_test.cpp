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

namespace kestrel {
namespace {

// Syscalls Kestrel has no event type for replay as generic records named
// after the syscall: falco_tests.yaml's `syscalls` (madvise, from scap's
// generic events) and `multiple_rules` (access, which scap models and
// Kestrel does not) count them as Falco does.
TEST(ScapRules, SyscallsWithoutAKestrelTypeMatchByName) {
  std::string log;
  auto by_rule = alerts_by_rule(regression("trace_files/syscall.scap"), {regression("rules/syscalls.yaml")}, &log);
  EXPECT_EQ(by_rule["detect_madvise"], 2) << log;
  EXPECT_EQ(by_rule["detect_open"], 2) << log;
  by_rule = alerts_by_rule(regression("trace_files/cat_write.scap"),
                           {regression("rules/single_rule.yaml"), regression("rules/double_rule.yaml")}, &log);
  EXPECT_EQ(by_rule["access_from_cat"], 6) << log;  // 3 calls, enter and exit
  // evt.type != excludes them by name too.
  const std::string path = ::testing::TempDir() + "scap_generic_ne.yaml";
  std::ofstream(path) << "- rule: not_madvise\n  desc: x\n  condition: evt.type=syscall and evt.type!=madvise\n"
                         "  output: \"%evt.type\"\n  priority: WARNING\n";
  by_rule = alerts_by_rule(regression("trace_files/syscall.scap"), {path}, &log);
  EXPECT_EQ(by_rule["not_madvise"], 0) << log;
  EXPECT_NE(log.find("scap_generic.syscall(0): 2"), std::string::npos) << log;
}

}  // namespace
}  // namespace kestrel
