// falco.yaml's rules: list and Falco's -D/-T/-t (rule_selection.h), its refusal of both at once, the
// ISO-timestamped log of time_format_iso_8601 and FALCO_HOSTNAME.
#include "app/rule_selection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/cli.h"
#include "tests/support/kestrel_cli.h"
#include "app/run_collector.h"
#include "app/timestamped_log.h"

namespace kestrel {
namespace {

using Run = testing::CliRun;
Run kestrel(std::vector<const char*> args) { return testing::run_cli(std::move(args)); }

// Four rules: tagged a, tagged b, tagged a and b, untagged; one disabled
// in the file.
std::string rules_file() {
  std::string path = ::testing::TempDir() + "/rule_selection_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(path) << R"(
- rule: open_a
  desc: a
  condition: evt.type=open
  output: a
  priority: WARNING
  tags: [a]
- rule: open_b
  desc: b
  condition: evt.type=open
  output: b
  priority: WARNING
  tags: [b]
- rule: other_ab
  desc: ab
  condition: evt.type=open
  output: ab
  priority: WARNING
  tags: [a, b]
- rule: other_none
  desc: none
  condition: evt.type=open
  output: none
  priority: WARNING
- rule: off_a
  desc: off in the file
  condition: evt.type=open
  output: off
  priority: WARNING
  tags: [a]
  enabled: false
)";
  return path;
}

// Rule name -> "yes"/"no" from --list-rules.
std::map<std::string, std::string> enabled_by_name(const std::string& table) {
  std::map<std::string, std::string> out;
  std::istringstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, priority, source, enabled;
    fields >> name >> priority >> source >> enabled;
    out[name] = enabled;
  }
  return out;
}

std::map<std::string, std::string> list_with(std::vector<const char*> flags) {
  const std::string rules = rules_file();
  std::vector<const char*> args = {"-r", rules.c_str(), "--list-rules"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto r = kestrel(args);
  EXPECT_EQ(r.code, kExitOk) << r.err;
  return enabled_by_name(r.out);
}

using Enabled = std::map<std::string, std::string>;

TEST(RuleSelection, NoFlagsKeepTheFilesChoice) {
  EXPECT_EQ(list_with({}),
            (Enabled{{"open_a", "yes"}, {"open_b", "yes"}, {"other_ab", "yes"}, {"other_none", "yes"}, {"off_a", "no"}}));
}

TEST(RuleSelection, DisablesByNameSubstring) {
  EXPECT_EQ(list_with({"-D", "open_"}),
            (Enabled{{"open_a", "no"}, {"open_b", "no"}, {"other_ab", "yes"}, {"other_none", "yes"}, {"off_a", "no"}}));
  // A substring, not a pattern: "open.*" names no rule.
  EXPECT_EQ(list_with({"-D", "open.*"}),
            (Enabled{{"open_a", "yes"}, {"open_b", "yes"}, {"other_ab", "yes"}, {"other_none", "yes"}, {"off_a", "no"}}));
}

TEST(RuleSelection, DisablesByTag) {
  EXPECT_EQ(list_with({"-T", "a"}),
            (Enabled{{"open_a", "no"}, {"open_b", "yes"}, {"other_ab", "no"}, {"other_none", "yes"}, {"off_a", "no"}}));
  EXPECT_EQ(list_with({"-T", "a", "-T", "b"}),
            (Enabled{{"open_a", "no"}, {"open_b", "no"}, {"other_ab", "no"}, {"other_none", "yes"}, {"off_a", "no"}}));
}

TEST(RuleSelection, RunsOnlyTaggedRulesAndKeepsFileDisabledOnesOff) {
  EXPECT_EQ(list_with({"-t", "b"}),
            (Enabled{{"open_a", "no"}, {"open_b", "yes"}, {"other_ab", "yes"}, {"other_none", "no"}, {"off_a", "no"}}));
  EXPECT_EQ(list_with({"-t", "a", "-t", "b"}),
            (Enabled{{"open_a", "yes"}, {"open_b", "yes"}, {"other_ab", "yes"}, {"other_none", "no"}, {"off_a", "no"}}));
}

// falco.yaml's `rules:` (a config file given with -c): entries in order,
// over the files' enabled:, a name glob or a tag or both; -D after them.
std::map<std::string, std::string> list_with_config(const std::string& rules_yaml, std::vector<const char*> flags = {}) {
  const std::string config = ::testing::TempDir() + "/rules_toggles_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(config) << rules_yaml;
  std::vector<const char*> args = {"-c", config.c_str()};
  args.insert(args.end(), flags.begin(), flags.end());
  return list_with(args);
}

TEST(RuleSelection, ConfigRulesListAppliesInOrderOverTheFiles) {
  // Falco's example: disable everything, then enable what is wanted — a
  // rule the file disabled included.
  EXPECT_EQ(list_with_config("rules:\n  - disable:\n      rule: \"*\"\n  - enable:\n      rule: off_a\n"
                             "  - enable:\n      tag: b\n"),
            (Enabled{{"open_a", "no"}, {"open_b", "yes"}, {"other_ab", "yes"}, {"other_none", "no"}, {"off_a", "yes"}}));
  // A glob on the name; a name and a tag together must both hold.
  EXPECT_EQ(list_with_config("rules:\n  - disable:\n      rule: \"open_*\"\n  - disable:\n      rule: \"other_*\"\n"
                             "      tag: b\n"),
            (Enabled{{"open_a", "no"}, {"open_b", "no"}, {"other_ab", "no"}, {"other_none", "yes"}, {"off_a", "no"}}));
  // The command line's -D applies after the config's list.
  EXPECT_EQ(list_with_config("rules:\n  - enable:\n      tag: a\n", {"-D", "open_a"}),
            (Enabled{{"open_a", "no"}, {"open_b", "yes"}, {"other_ab", "yes"}, {"other_none", "yes"}, {"off_a", "yes"}}));
}

TEST(RuleSelection, ABadRulesEntryIsAnErrorWithItsLine) {
  const std::string rules = rules_file();
  const std::string config = ::testing::TempDir() + "/rules_toggles_bad_" + std::to_string(getpid()) + ".yaml";
  std::ofstream(config) << "priority: debug\nrules:\n  - disable:\n      rule: x\n  - mute:\n      tag: a\n";
  auto r = kestrel({"-c", config.c_str(), "-r", rules.c_str(), "--list-rules"});
  EXPECT_EQ(r.code, kExitUsage) << r.err;
  EXPECT_NE(r.err.find(config + ":5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown entry 'mute'"), std::string::npos) << r.err;
}

TEST(RuleSelection, DisablingAndEnablingTogetherIsRefusedAsFalcoDoes) {
  const std::string rules = rules_file();
  for (auto flags : {std::vector<const char*>{"-T", "a", "-t", "a"}, std::vector<const char*>{"-D", "open", "-t", "a"}}) {
    std::vector<const char*> args = {"-r", rules.c_str(), "--list-rules"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = kestrel(args);
    EXPECT_EQ(r.code, kExitFailure);
    EXPECT_NE(r.err.find("Error: You can not specify both disabled (-D/-T) and enabled (-t) rules"), std::string::npos)
        << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(TimestampedLog, EveryLineStartsWithTheUtcTime) {
  EXPECT_EQ(TimestampedLogBuf::iso_time(1470327477), "2016-08-04T16:17:57+0000");
  std::ostringstream target;
  TimestampedLogBuf buf(target.rdbuf());
  std::ostream log(&buf);
  log << "one\ntw" << "o\n" << std::flush;
  const std::regex line("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+0000: (one|two)");
  std::istringstream lines(target.str());
  std::string l;
  int n = 0;
  while (std::getline(lines, l)) {
    EXPECT_TRUE(std::regex_match(l, line)) << l;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST(TimestampedLog, TimeFormatIso8601PutsTheTimeBeforeLogLines) {
  // A config error is printed before the key is known: plain. A run that
  // fails after the config loaded logs with the time.
  auto r = kestrel({"-o", "time_format_iso_8601=true", "-e", "/nonexistent/capture.scap"});
  EXPECT_NE(r.code, kExitOk);
  EXPECT_TRUE(std::regex_search(r.err, std::regex("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+0000: kestrel: ")))
      << r.err;
  auto plain = kestrel({"-e", "/nonexistent/capture.scap"});
  EXPECT_EQ(plain.err.rfind("kestrel: ", 0), 0u) << plain.err;
}

TEST(AlertHostname, FalcoHostnameOverridesTheHostsName) {
  setenv("FALCO_HOSTNAME", "test-falco-hostname", 1);
  EXPECT_EQ(alert_hostname(), "test-falco-hostname");
  unsetenv("FALCO_HOSTNAME");
  char name[256] = {};
  ASSERT_EQ(gethostname(name, sizeof name - 1), 0);
  EXPECT_EQ(alert_hostname(), name);
}

}  // namespace
}  // namespace kestrel
