#include "app/config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <tuple>
#include <type_traits>
#include <variant>

#include <yaml-cpp/yaml.h>

#include "app/config/config_schema.h"

namespace kestrel {
namespace {

// A temporary file holding `text`, removed at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/kestrel_config_XXXXXX.yaml";
    int fd = mkstemps(name, 5);
    path_ = name;
    std::ofstream(path_) << text;
    close(fd);
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Config, EmbeddedDefaultsLoadAndMatchFalcoNames) {
  auto c = load_config({});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->priority, "debug");
  EXPECT_EQ(c->rule_matching, "first");
  EXPECT_TRUE(c->stdout_output.enabled);
  EXPECT_FALSE(c->json_output);
  EXPECT_EQ(c->engine.kind, "auto");
  EXPECT_GT(c->engine.ebpf_buf_size, 0u);
  EXPECT_GT(c->state.max_threads, 0u);
  EXPECT_EQ(c->metrics.interval, std::chrono::minutes(1));
  EXPECT_TRUE(c->rules_files.empty());
  // falco.yaml's syscall_event_drops defaults (shared/reference/falco-config).
  EXPECT_DOUBLE_EQ(c->syscall_event_drops.threshold, 0.1);
  EXPECT_DOUBLE_EQ(c->syscall_event_drops.rate, 0.03333);
  EXPECT_DOUBLE_EQ(c->syscall_event_drops.max_burst, 1);
  EXPECT_FALSE(c->syscall_event_drops.simulate_drops);
}

// Falco's drop settings as Falco's test confs write them; a threshold out
// of range is the plan's to refuse, in Falco's words (collector_plan_test).
TEST(Config, FalcoDropKeysLoad) {
  TempFile f("syscall_event_drops:\n  threshold: -1\n  actions:\n    - ignore\n  rate: .03333\n"
             "  max_burst: 10\n  simulate_drops: true\n");
  auto c = load_config({f.path(), {}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_DOUBLE_EQ(c->syscall_event_drops.threshold, -1);
  EXPECT_DOUBLE_EQ(c->syscall_event_drops.max_burst, 10);
  EXPECT_TRUE(c->syscall_event_drops.simulate_drops);
}

// Every schema key appears in the embedded defaults at its full dotted
// path (sections as maps, leaves with a value), so no key is typed but
// undocumented. Matched by path, not by last part: "enabled" alone is the
// last part of a dozen keys.
TEST(Config, EveryLeafKeyHasADefault) {
  const YAML::Node defaults = YAML::Load(std::string(default_config_text()));
  for (const auto& key : config_keys()) {
    YAML::Node node = defaults;
    std::string_view rest = key.path;
    bool found = true;
    for (;;) {
      size_t dot = rest.find('.');
      const YAML::Node& map = node;  // const lookups never add the key
      if (!map.IsMap() || !map[std::string(rest.substr(0, dot))]) {
        found = false;
        break;
      }
      node.reset(map[std::string(rest.substr(0, dot))]);
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (!found) {
      ADD_FAILURE() << key.path << " has no default in kestrel.yaml";
      continue;
    }
    if (key.type == ConfigType::kSection) {
      EXPECT_TRUE(node.IsMap()) << key.path << " is a section but its default is not a map";
    } else {
      // (a string map's default is a map: static_fields: {})
      EXPECT_FALSE((node.IsMap() && key.type != ConfigType::kStringMap) || node.IsNull())
          << key.path << " has no default value";
    }
  }
}

// The declared defaults are the single truth; the embedded, commented
// kestrel.yaml users read must say the same thing, key by key, as typed
// values (so "1m" and "60s" would agree, "1m" and "2m" would not).
TEST(Config, EmbeddedKestrelYamlAgreesWithTheDeclaredDefaults) {
  TempFile yaml_file{std::string(default_config_text())};
  auto from_yaml = load_config({yaml_file.path(), {}});
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.status().to_string();
  auto declared = load_config({});
  ASSERT_TRUE(declared.ok()) << declared.status().to_string();
  size_t compared = 0;
  for (const auto& key : config_keys()) {
    std::visit(
        [&](auto field) {
          if constexpr (!std::is_same_v<decltype(field), std::monostate>) {
            KestrelConfig a = *from_yaml, b = *declared;
            EXPECT_TRUE(field(a) == field(b)) << key.path << ": kestrel.yaml disagrees with the declared default '"
                                              << key.default_value << "'";
            ++compared;
          }
        },
        key.bind);
  }
  size_t leaves = 0;
  for (const auto& key : config_keys()) leaves += key.type != ConfigType::kSection;
  EXPECT_EQ(compared, leaves);
}

// Each key binds to a member of the type its schema type stores, and a
// section to none; a key with a default has a binding.
TEST(Config, EveryKeyIsBoundToAMemberOfItsType) {
  for (const auto& key : config_keys()) {
    const size_t alternative = key.bind.index();
    switch (key.type) {
      case ConfigType::kSection:
        EXPECT_TRUE(std::holds_alternative<std::monostate>(key.bind)) << key.path;
        EXPECT_TRUE(key.default_value.empty()) << key.path;
        break;
      case ConfigType::kBool: EXPECT_TRUE(std::holds_alternative<ConfigField<bool>>(key.bind)) << key.path; break;
      case ConfigType::kInt:
        EXPECT_TRUE(std::holds_alternative<ConfigField<uint64_t>>(key.bind) ||
                    std::holds_alternative<ConfigField<std::chrono::milliseconds>>(key.bind))
            << key.path;
        break;
      case ConfigType::kFloat: EXPECT_TRUE(std::holds_alternative<ConfigField<double>>(key.bind)) << key.path; break;
      case ConfigType::kString:
      case ConfigType::kEnum:
      case ConfigType::kPriority:
        EXPECT_TRUE(std::holds_alternative<ConfigField<std::string>>(key.bind)) << key.path;
        break;
      case ConfigType::kStringList:
      case ConfigType::kEnumList:
      case ConfigType::kConfigFiles:
        EXPECT_TRUE(std::holds_alternative<ConfigField<std::vector<std::string>>>(key.bind)) << key.path;
        break;
      case ConfigType::kDuration:
        EXPECT_TRUE(std::holds_alternative<ConfigField<std::chrono::milliseconds>>(key.bind)) << key.path;
        break;
      case ConfigType::kPluginList:
        EXPECT_TRUE(std::holds_alternative<ConfigField<std::vector<PluginConfig>>>(key.bind)) << key.path;
        break;
      case ConfigType::kAppendOutput:
        EXPECT_TRUE(std::holds_alternative<ConfigField<std::vector<AppendOutput>>>(key.bind)) << key.path;
        break;
      case ConfigType::kRulesToggles:
        EXPECT_TRUE(std::holds_alternative<ConfigField<std::vector<RulesToggle>>>(key.bind)) << key.path;
        break;
      case ConfigType::kCorrelations:
        EXPECT_TRUE(std::holds_alternative<ConfigField<std::vector<FleetCorrelation>>>(key.bind)) << key.path;
        break;
      case ConfigType::kStringMap:
        EXPECT_TRUE(
            (std::holds_alternative<ConfigField<std::vector<std::pair<std::string, std::string>>>>(key.bind)))
            << key.path;
        break;
    }
    if (key.type != ConfigType::kSection) {
      EXPECT_NE(alternative, 0u) << key.path << " is bound to nothing";
    }
    if (key.type == ConfigType::kEnum || key.type == ConfigType::kEnumList) {
      EXPECT_FALSE(key.choices.empty()) << key.path;
    }
  }
}

TEST(Config, UnknownDropActionNamesKeyAndValue) {
  TempFile f("syscall_event_drops:\n  actions:\n    - log\n    - page\n");
  auto c = load_config({f.path(), {}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'syscall_event_drops.actions'"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("'page'"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().where().line, 4);
}

TEST(Config, UserFileMergesOverDefaults) {
  TempFile f("json_output: true\nfile_output:\n  filename: /var/log/k.txt\npriority: WARNING\n");
  auto c = load_config({f.path(), {}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE(c->json_output);
  EXPECT_EQ(c->file_output.filename, "/var/log/k.txt");
  EXPECT_FALSE(c->file_output.enabled);  // sibling default kept
  EXPECT_EQ(c->priority, "warning");
}

TEST(Config, UnknownKeyNamesKeyFileLineAndColumn) {
  TempFile f("json_output: true\nfile_output:\n  enabled: false\n  filenme: x\n");
  auto c = load_config({f.path(), {}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().where().file, f.path());
  EXPECT_EQ(c.status().where().line, 4);
  EXPECT_EQ(c.status().where().column, 3);
  EXPECT_NE(c.status().message().find("file_output.filenme"), std::string::npos) << c.status().message();
}

TEST(Config, BadValuesAreRejectedWithTheKey) {
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"json_output: maybe\n", "json_output"},
           {"priority: loud\n", "priority"},
           {"rule_matching: some\n", "rule_matching"},
           {"webserver:\n  listen_port: -3\n", "webserver.listen_port"},
           {"metrics:\n  interval: soon\n", "metrics.interval"},
           {"rules_files: 3\n", "rules_files"},
           {"stdout_output: yes\n", "stdout_output"},
           {"syscall_event_drops:\n  rate: often\n", "syscall_event_drops.rate"},
       }) {
    TempFile f(yaml);
    auto c = load_config({f.path(), {}});
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find("'" + key + "'"), std::string::npos) << c.status().message();
    EXPECT_GT(c.status().where().line, 0) << yaml;
  }
}

// fleet.correlations: every entry key read; unknown or missing keys and
// bad values are errors at their line.
TEST(Config, FleetCorrelationsLoad) {
  TempFile f("fleet:\n  correlations:\n    - name: Same binary\n      rule: Exec from tmp\n"
             "      key: proc.exepath\n      nodes: 3\n      window: 1m\n      priority: CRITICAL\n");
  auto c = load_config({f.path(), {}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->fleet.correlations.size(), 1u);
  const FleetCorrelation& k = c->fleet.correlations[0];
  EXPECT_EQ(k.name, "Same binary");
  EXPECT_EQ(k.rule, "Exec from tmp");
  EXPECT_EQ(k.key, "proc.exepath");
  EXPECT_EQ(k.nodes, 3u);
  EXPECT_EQ(k.window, std::chrono::minutes(1));
  EXPECT_EQ(k.priority, "critical");
  EXPECT_TRUE(load_config({})->fleet.correlations.empty());
}

TEST(Config, FleetCorrelationErrorsNameTheLine) {
  const std::string head = "fleet:\n  correlations:\n    - name: Same binary\n      rule: R\n      key: fd.name\n";
  for (const auto& [yaml, what, line] : std::vector<std::tuple<std::string, std::string, int>>{
           {head + "      nodes: 2\n      window: 1m\n      priority: critical\n      nodez: 3\n", "unknown key 'nodez'", 9},
           {head + "      nodes: 0\n      window: 1m\n      priority: critical\n", "nodes '0'", 6},
           {head + "      nodes: 2\n      window: soon\n      priority: critical\n", "not a duration", 7},
           {head + "      nodes: 2\n      window: 1m\n      priority: loud\n", "'loud' is not a priority", 8},
           {head + "      nodes: 2\n      window: 1m\n", "entry needs priority:", 3},
       }) {
    TempFile f(yaml);
    auto c = load_config({f.path(), {}});
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find("'fleet.correlations'"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find(what), std::string::npos) << c.status().message();
    EXPECT_EQ(c.status().where().file, f.path());
    EXPECT_EQ(c.status().where().line, line) << yaml;
  }
}

TEST(Config, BrokenYamlReportsPosition) {
  TempFile f("a: [1, 2\nb: 3\n");
  auto c = load_config({f.path(), {}});
  ASSERT_FALSE(c.ok());
  EXPECT_GT(c.status().where().line, 0);
}

TEST(Config, OverridesApplyInOrderAndAppendToLists) {
  auto c = load_config({"", {"json_output=true", "engine.ebpf.buf_size=4096", "rules_files=a.yaml",
                              "rules_files[]=b.yaml", "rules_files[]=c.yaml", "metrics.interval=500ms"}});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_TRUE(c->json_output);
  EXPECT_EQ(c->engine.ebpf_buf_size, 4096u);
  EXPECT_EQ(c->rules_files, (std::vector<std::string>{"a.yaml", "b.yaml", "c.yaml"}));
  EXPECT_EQ(c->metrics.interval, std::chrono::milliseconds(500));
  auto lists = load_config({"", {"rules_files=[x.yaml, y.yaml]"}});
  ASSERT_TRUE(lists.ok());
  EXPECT_EQ(lists->rules_files, (std::vector<std::string>{"x.yaml", "y.yaml"}));
}

TEST(Config, BadOverridesNameTheArgument) {
  for (const char* arg : {"nope=1", "json_output", "engine.kind=turbo", "json_output[]=true", "engine.nope.x=1"}) {
    auto c = load_config({"", {arg}});
    ASSERT_FALSE(c.ok()) << arg;
    EXPECT_NE(c.status().to_string().find(arg), std::string::npos) << c.status().to_string();
  }
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("30s").value(), std::chrono::seconds(30));
  EXPECT_EQ(parse_duration("2h").value(), std::chrono::hours(2));
  EXPECT_EQ(parse_duration("15").value(), std::chrono::seconds(15));
  EXPECT_FALSE(parse_duration("1d").ok());
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("ms").ok());
}

// Listeners an operator did not ask to expose stay on loopback; untrusted
// input and shutdown have bounds by default.
TEST(Config, SafeDefaults) {
  auto c = load_config({});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->webserver.listen_address, "127.0.0.1");
  EXPECT_EQ(c->output_timeout, std::chrono::milliseconds(2000));  // falco.yaml's default
  EXPECT_EQ(c->limits.rules_file_bytes, 16u << 20);
}

}  // namespace
}  // namespace kestrel
