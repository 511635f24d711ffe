// The app's side of plugins, through the real kestrel binary and real
// plugin libraries (the k8saudit plugin and the counter test plugins of
// test_plugins/counter_plugin.cpp): rules files' required_plugin_versions
// with Falco's messages, evt.pluginname / evt.plugininfo / evt.asynctype in
// conditions and outputs, --list SOURCE and --list-plugins with plugins
// configured, a relative library_path read from plugins_dir, and a loaded
// extractor's fields refused in the sources it does not extract from.
// Expected texts are Falco's, quoted from falcosecurity/falco (the file is
// named where each is checked), never taken from Kestrel's output.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../support/run_command.h"
#include "../support/test_files.h"

using kestrel::testing::write_text_file;

namespace {

const std::string kShared = KESTREL_SHARED_DIR;
const std::string kK8sRules = kShared + "/upstream-rules/plugins/k8s_audit_rules.yaml";
const std::string kAudit = kShared + "/falco-regression/trace_files/k8s_audit/create_nginx_pod_privileged.json";

struct KestrelRun {
  int code = -1;
  std::string out;  // stdout and stderr
  std::vector<nlohmann::json> alerts;
};

KestrelRun kestrel(const std::string& args) {
  KestrelRun r;
  std::tie(r.code, r.out) = kestrel::testing::run_command(std::string(KESTREL_BINARY) + " " + args + " 2>&1");
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{') r.alerts.push_back(nlohmann::json::parse(line));
  return r;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/plugin_app_" + std::to_string(getpid()) + "_" + name;
}

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = temp_path(name);
  write_text_file(path, text);
  return path;
}

// -o arguments loading `entries` ("{name: x, library_path: y, ...}") in order.
std::string plugins(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string names, list;
  for (const auto& [name, entry] : entries) {
    names += (names.empty() ? "" : ", ") + name;
    list += (list.empty() ? "" : ", ") + entry;
  }
  return "-o 'load_plugins=[" + names + "]' -o 'plugins=[" + list + "]'";
}

std::pair<std::string, std::string> k8saudit(const std::string& open_params = kAudit) {
  return {"k8saudit", std::string("{name: k8saudit, library_path: ") + K8SAUDIT_PLUGIN + ", open_params: '" +
                          open_params + "'}"};
}
std::pair<std::string, std::string> json_named() {
  return {"json", std::string("{name: json, library_path: ") + JSON_PLUGIN + "}"};
}
std::pair<std::string, std::string> counter(const std::string& library = COUNTER_PLUGIN, const std::string& n = "3") {
  return {"counter", "{name: counter, library_path: " + library + ", open_params: '" + n + "'}"};
}
std::pair<std::string, std::string> counterx() {
  return {"counterx", std::string("{name: counterx, library_path: ") + COUNTERX_PLUGIN + "}"};
}

const std::string kRun = " -o engine.kind=none -o json_output=true ";

// ---- required_plugin_versions ---------------------------------------------
// Texts: falcosecurity/falco userspace/engine/falco_engine.cpp,
// check_plugin_requirement_alternatives / check_plugin_requirements.

TEST(RequiredPluginVersions, K8sAuditRulesLoadWithK8sauditAndJson) {
  KestrelRun r = kestrel("-r " + kK8sRules + kRun + plugins({k8saudit(), json_named()}));
  ASSERT_EQ(r.code, 0) << r.out;
  bool privileged = false;
  for (const auto& a : r.alerts) privileged |= a.value("rule", std::string()) == "Create Privileged Pod";
  EXPECT_TRUE(privileged) << r.out;
}

TEST(RequiredPluginVersions, K8sAuditRulesRefusedWithoutJson) {
  KestrelRun r = kestrel("-r " + kK8sRules + kRun + plugins({k8saudit()}));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("Plugin requirement not satisfied, must load one of: json (>= 0.7.0)"), std::string::npos)
      << r.out;
  EXPECT_TRUE(r.alerts.empty()) << r.out;
}

TEST(RequiredPluginVersions, K8sAuditRulesRefusedWithNoPluginNamingEveryAlternative) {
  KestrelRun r = kestrel("-r " + kK8sRules + kRun + plugins({counter()}));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("Plugin requirement not satisfied, must load one of: k8saudit (>= 0.18.0), k8saudit-aks "
                       "(>= 0.6.0), k8saudit-eks (>= 0.12.0), k8saudit-gke (>= 0.9.0), k8saudit-ovh (>= 0.6.0)"),
            std::string::npos)
      << r.out;
}

TEST(RequiredPluginVersions, TooHighAVersionIsRefused) {
  std::string rules = write_file("too_high.yaml", R"(
- required_plugin_versions:
  - name: k8saudit
    version: 0.99.0
- rule: Any Audit Event
  desc: any
  condition: ka.verb exists
  output: verb=%ka.verb
  priority: NOTICE
  source: k8s_audit
)");
  KestrelRun r = kestrel("-r " + rules + kRun + plugins({k8saudit()}));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("Plugin 'k8saudit' version '0.18.0' is not compatible with required plugin version '0.99.0'"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(r.alerts.empty()) << r.out;
}

TEST(RequiredPluginVersions, SameMajorAndNotOlderIsMet) {
  // counter_new is the counter plugin at 2.3.4.
  auto rules_requiring = [](const std::string& version) {
    return write_file("counter_" + version + ".yaml", "- required_plugin_versions:\n  - name: counter\n    version: " +
                                                          version + "\n- rule: Counted\n  desc: any\n  condition: "
                                                          "counter.n > 0\n  output: n=%counter.n\n  priority: "
                                                          "NOTICE\n  source: counter\n");
  };
  for (const std::string met : {"2.3.4", "2.3.0", "2.0.9"}) {
    KestrelRun r = kestrel("-r " + rules_requiring(met) + kRun + plugins({counter(COUNTER_NEW_PLUGIN)}));
    EXPECT_EQ(r.code, 0) << met << "\n" << r.out;
    EXPECT_EQ(r.alerts.size(), 3u) << met << "\n" << r.out;
  }
  for (const std::string unmet : {"2.3.5", "2.4.0", "1.0.0", "3.0.0"}) {
    KestrelRun r = kestrel("-r " + rules_requiring(unmet) + kRun + plugins({counter(COUNTER_NEW_PLUGIN)}));
    EXPECT_EQ(r.code, 1) << unmet << "\n" << r.out;
    EXPECT_NE(r.out.find("Plugin 'counter' version '2.3.4' is not compatible with required plugin version '" + unmet +
                         "'"),
              std::string::npos)
        << r.out;
  }
}

TEST(RequiredPluginVersions, ValidateLoadsTheConfiguredPluginsAndChecksThem) {
  // falcosecurity/falco userspace/falco/app/actions/validate_rules_files.cpp:
  // after each file, the requirements against the loaded plugins (fatal).
  KestrelRun without = kestrel("-V " + kK8sRules + " " + plugins({k8saudit()}));
  EXPECT_EQ(without.code, 1) << without.out;
  EXPECT_NE(without.out.find("Plugin requirement not satisfied, must load one of: json (>= 0.7.0)"), std::string::npos)
      << without.out;
  KestrelRun with = kestrel("-V " + kK8sRules + " " + plugins({k8saudit(), json_named()}));
  EXPECT_EQ(with.code, 0) << with.out;
  EXPECT_NE(with.out.find(kK8sRules + ": Ok"), std::string::npos) << with.out;
  // The loaded plugins' fields validate: counterx's cx.n on the counter source.
  const std::string rules = write_file("validate_cx.yaml", R"(
- rule: Cx
  desc: a field only counterx declares
  condition: cx.n > 1
  output: cx=%cx.n
  priority: NOTICE
  source: counter
)");
  KestrelRun fields = kestrel("-V " + rules + " " + plugins({counter(), counterx()}));
  EXPECT_EQ(fields.code, 0) << fields.out;
  EXPECT_NE(fields.out.find(rules + ": Ok"), std::string::npos) << fields.out;
}

// ---- evt.pluginname, evt.plugininfo, evt.asynctype ------------------------

TEST(PluginEventFields, NameAndSummaryOfThePluginThatMadeTheEvent) {
  std::string rules = write_file("evt_fields.yaml", R"(
- rule: From Counter
  desc: the counter plugin's events, named in the condition
  condition: evt.pluginname = counter and evt.plugininfo = "counter event 2" and not evt.asynctype exists and evt.is_async = false
  output: name=%evt.pluginname info=%evt.plugininfo async=%evt.asynctype
  priority: NOTICE
  source: counter
)");
  KestrelRun r = kestrel("-r " + rules + kRun + plugins({counter()}));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(r.alerts.size(), 1u) << r.out;
  // The counter plugin's event_to_string is "counter event <i>".
  EXPECT_EQ(r.alerts[0].value("output", std::string()).substr(r.alerts[0].value("output", std::string()).find("name=")),
            "name=counter info=counter event 2 async=<NA>")
      << r.out;
  EXPECT_EQ(r.alerts[0]["output_fields"]["evt.pluginname"], "counter");
  EXPECT_TRUE(r.alerts[0]["output_fields"]["evt.asynctype"].is_null());
}

TEST(PluginEventFields, SummaryOfAPluginWithoutEventToStringIsLibsinspsDataPreview) {
  // The k8saudit plugin exports no event_to_string: libsinsp's own
  // rendering (sinsp_plugin::event_to_string, falcosecurity/libs
  // userspace/libsinsp/plugin.cpp): "datalen=<n> data=" then the first 50
  // bytes, or "<binary>" when one of them is not printable, and "...".
  std::string rules = write_file("plugininfo.yaml", R"(
- rule: Audit Event Summary
  desc: any audit event
  condition: evt.pluginname = k8saudit
  output: info=%evt.plugininfo
  priority: NOTICE
  source: k8s_audit
)");
  KestrelRun r = kestrel("-r " + rules + kRun + plugins({k8saudit()}));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(r.alerts.size(), 1u) << r.out;
  const std::string info = r.alerts[0]["output_fields"]["evt.plugininfo"].get<std::string>();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(info, m, std::regex(R"(datalen=(\d+) data=(.*))"))) << info;
  const size_t datalen = std::stoul(m[1]);
  EXPECT_GT(datalen, 50u);  // one audit event is more than 50 bytes
  const std::string shown = m[2];
  if (shown != "<binary>") {
    ASSERT_EQ(shown.size(), 53u) << shown;  // 50 bytes and "..."
    EXPECT_EQ(shown.substr(50), "...");
    EXPECT_EQ(shown.front(), '{') << "the audit event's JSON";
  }
}

TEST(PluginEventFields, AbsentFromEventsWithoutAPlugin) {
  // A rule on another source naming them loads; a syscall rule reading them
  // on a replayed syscall capture gets nothing.
  std::string rules = write_file("no_plugin.yaml", R"(
- rule: Plugin Named On Syscalls
  desc: never true on syscall events
  condition: evt.type = openat and (evt.pluginname exists or evt.plugininfo exists or evt.asynctype exists)
  output: impossible %evt.pluginname
  priority: NOTICE
- rule: Openat Seen
  desc: the same events without the plugin fields
  condition: evt.type = openat
  output: "name=%evt.pluginname info=%evt.plugininfo"
  priority: NOTICE
)");
  KestrelRun r = kestrel("-r " + rules + " -e " + std::string(KESTREL_SOURCE_DIR) +
                         "/tests/fixtures/kcap/host.kcap.gz -o json_output=true -o rule_matching=all");
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_FALSE(r.alerts.empty()) << r.out;
  for (const auto& a : r.alerts) {
    EXPECT_EQ(a.value("rule", std::string()), "Openat Seen");
    EXPECT_TRUE(a["output_fields"]["evt.pluginname"].is_null()) << a.dump();
    EXPECT_TRUE(a["output_fields"]["evt.plugininfo"].is_null()) << a.dump();
  }
}

// ---- --list SOURCE, --list-plugins -----------------------------------------

TEST(PluginLists, ListSourceShowsTheLoadedPluginsFields) {
  KestrelRun r = kestrel("--list k8s_audit " + plugins({k8saudit(), json_named()}));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Field Class: k8saudit (k8saudit plugin fields (loaded))"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Field Class: json (json plugin fields (loaded))"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Event Sources: k8s_audit"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nka.verb "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\njson.value"), std::string::npos) << r.out;  // the json plugin's own field
  EXPECT_EQ(r.out.find("Event Sources: syscall"), std::string::npos) << "only the source asked for";
}

TEST(PluginLists, ListOfASourceNoPluginProvidesIsRefusedWithFalcosText) {
  // falcosecurity/falco userspace/falco/app/actions/list_fields.cpp
  KestrelRun r = kestrel("--list counter");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("Value for --list must be a valid source type"), std::string::npos) << r.out;
  KestrelRun with = kestrel("--list counter " + plugins({counter()}));
  EXPECT_EQ(with.code, 0) << with.out;
  EXPECT_NE(with.out.find("\ncounter.n "), std::string::npos) << with.out;
}

TEST(PluginLists, ListPluginsInFalcosLayout) {
  // falcosecurity/falco userspace/falco/app/actions/list_plugins.cpp
  // (printf "%lu Plugins Loaded:\n\n%s\n") and format_plugin_info in
  // helpers_generic.cpp (one block per plugin, then an empty line).
  KestrelRun r = kestrel("--list-plugins " + plugins({counter(), counterx()}));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out,
            "2 Plugins Loaded:\n\n"
            "Name: counter\nDescription: counts\nContact: tests\nVersion: 0.1.0\nCapabilities: \n"
            "  - Event Sourcing (ID=999, source='counter')\n  - Field Extraction\n\n"
            "Name: counterx\nDescription: counts\nContact: tests\nVersion: 0.1.0\nCapabilities: \n"
            "  - Field Extraction\n\n\n");
}

// ---- plugins_dir -------------------------------------------------------------

TEST(PluginsDir, ARelativeLibraryPathIsReadFromThePluginsDirectory) {
  const std::filesystem::path dir = temp_path("plugins_dir");
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(COUNTER_PLUGIN, dir / "libcounter.so", std::filesystem::copy_options::overwrite_existing);
  std::string rules = write_file("dir_rules.yaml", R"(
- rule: Counted
  desc: any
  condition: counter.n > 0
  output: n=%counter.n
  priority: NOTICE
  source: counter
)");
  for (const std::string& d : {dir.string(), dir.string() + "/"}) {
    KestrelRun r = kestrel("-r " + rules + kRun + "-o plugins_dir=" + d + " " + plugins({counter("libcounter.so")}));
    EXPECT_EQ(r.code, 0) << d << "\n" << r.out;
    EXPECT_EQ(r.alerts.size(), 3u) << r.out;
  }
  // A name in a subdirectory is relative too, as in Falco (any path not
  // starting with '/').
  std::filesystem::create_directories(dir / "sub");
  std::filesystem::copy_file(COUNTER_PLUGIN, dir / "sub" / "libc2.so", std::filesystem::copy_options::overwrite_existing);
  KestrelRun sub = kestrel("-r " + rules + kRun + "-o plugins_dir=" + dir.string() + " " + plugins({counter("sub/libc2.so")}));
  EXPECT_EQ(sub.code, 0) << sub.out;
  EXPECT_EQ(sub.alerts.size(), 3u) << sub.out;
  // Without plugins_dir, Falco's directory: the error names the path tried.
  KestrelRun dflt = kestrel("-r " + rules + kRun + plugins({counter("libkestrel-no-such-plugin.so")}));
  EXPECT_EQ(dflt.code, 1) << dflt.out;
  EXPECT_NE(dflt.out.find("/usr/share/falco/plugins/libkestrel-no-such-plugin.so"), std::string::npos) << dflt.out;
  // An absolute path is used as written.
  KestrelRun abs = kestrel("-r " + rules + kRun + "-o plugins_dir=" + dir.string() + " " + plugins({counter(COUNTER_PLUGIN)}));
  EXPECT_EQ(abs.code, 0) << abs.out;
  std::filesystem::remove_all(dir);
}

// ---- a loaded extractor's fields and the sources it extracts from ---------

// counterx extracts from the "counter" source only (get_extract_event_sources
// ["counter"]) and declares cx.* and json.value; k8s_audit's static json set
// has json.value too.
TEST(ExtractorSources, FieldsFillTheSourcesTheExtractorNames) {
  std::string rules = write_file("cx_counter.yaml", R"(
- rule: Second Counter Event
  desc: fields of two plugins on one source
  condition: cx.n = 2 and json.value[/x] = "event-2" and counter.n = 2
  output: cx=%cx.n json=%json.value[/x] n=%counter.n
  priority: NOTICE
  source: counter
)");
  KestrelRun r = kestrel("-r " + rules + kRun + plugins({counter(), counterx()}));
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(r.alerts.size(), 1u) << r.out;
  EXPECT_NE(r.alerts[0].value("output", std::string()).find("cx=2 json=event-2 n=2"), std::string::npos) << r.out;
}

TEST(ExtractorSources, RefusedInConditionsAndOutputsOfOtherSourcesWithTheirPosition) {
  const std::string condition_rule = R"(
- rule: Audit Kind
  desc: json.value on k8s_audit, which counterx does not extract from
  condition: ka.verb = create and json.value[/kind] = Event
  output: verb=%ka.verb
  priority: NOTICE
  source: k8s_audit
)";
  const std::string output_rule = R"(
- rule: Audit Kind
  desc: json.value on k8s_audit, which counterx does not extract from
  condition: ka.verb = create
  output: kind=%json.value[/kind]
  priority: NOTICE
  source: k8s_audit
)";
  // Without counterx the static json set of k8s_audit has json.value: both load.
  for (const auto& text : {condition_rule, output_rule}) {
    KestrelRun r = kestrel("-r " + write_file("ok.yaml", text) + kRun + plugins({counter()}));
    EXPECT_EQ(r.code, 0) << text << r.out;
  }
  // With it, json.value belongs to counterx, which does not extract from
  // k8s_audit: refused, condition as output. The loader's texts are
  // Falco's (libsinsp's filter_check error and "invalid formatting token").
  const std::string c = write_file("cond.yaml", condition_rule);
  KestrelRun cond = kestrel("-r " + c + kRun + plugins({counter(), counterx()}));
  EXPECT_EQ(cond.code, 1) << cond.out;
  EXPECT_NE(cond.out.find(c + ":4:"), std::string::npos) << cond.out;  // the condition's line
  EXPECT_NE(cond.out.find("LOAD_ERR_COMPILE_CONDITION"), std::string::npos) << cond.out;
  EXPECT_NE(cond.out.find("filter_check called with nonexistent field json.value"), std::string::npos) << cond.out;
  const std::string o = write_file("out.yaml", output_rule);
  KestrelRun out = kestrel("-r " + o + kRun + plugins({counter(), counterx()}));
  EXPECT_EQ(out.code, 1) << out.out;
  EXPECT_NE(out.out.find(o + ":5:"), std::string::npos) << out.out;  // the output's line
  EXPECT_NE(out.out.find("LOAD_ERR_COMPILE_OUTPUT"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("invalid formatting token json.value"), std::string::npos) << out.out;
  // Its own fields likewise.
  KestrelRun cx = kestrel("-r " + write_file("cx.yaml", R"(
- rule: Audit Cx
  desc: cx.n on k8s_audit
  condition: ka.verb = create and cx.n > 0
  output: verb=%ka.verb
  priority: NOTICE
  source: k8s_audit
)") + kRun + plugins({counter(), counterx()}));
  EXPECT_EQ(cx.code, 1) << cx.out;
  EXPECT_NE(cx.out.find("filter_check called with nonexistent field cx.n"), std::string::npos) << cx.out;
}

}  // namespace
