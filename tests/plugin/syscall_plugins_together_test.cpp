// Several plugins on syscall events in one run of the real kestrel binary,
// over a replay of Falco's open-multiple-files.scap (issue 16). The
// plugins are built against the reference plugin_api.h only:
//   sysplug, sysplug2  the same decoder (test_plugins/syscall_fields_plugin.cpp)
//                      under two names: both extract from and parse syscall
//                      events; both fields must work on the same alerts.
//   subt               reads the threads table's file_descriptors and args
//                      sub-tables for the event's thread
//                      (test_plugins/thread_subtables_plugin.cpp).
// On every alert: each plugin's parse_event and extract_fields were given
// the same evtnum for the event (= evt.num); subt's name of the event's fd,
// read from the file_descriptors sub-table, is Kestrel's fd.name, and its
// args are proc.args.
// Also: a plugin's get_required_event_schema_version is enforced — newer
// than ours (3.0.0) or malformed is refused naming both versions; ours or
// none runs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "../support/run_command.h"
#include "../support/test_files.h"

using kestrel::testing::write_temp_file;

namespace {

using kestrel::testing::run_command;

const std::string kTrace = std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/open-multiple-files.scap";

std::string text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

const std::string kRules = R"(
- rule: Plugins See Open
  desc: fields of three syscall plugins on one event
  condition: evt.type = open and evt.dir = < and fd.name startswith /tmp/
  output: "open num=%evt.num a=%sysplug.name b=%sysplug2.name ae=%sysplug.evtnum ap=%sysplug.parsenum be=%sysplug2.evtnum bp=%sysplug2.parsenum fd=%fd.name sfd=%subt.evtfdname n=%subt.nfds args=%proc.args sargs=%subt.args"
  priority: WARNING
  source: syscall
)";

TEST(SyscallPluginsTogether, TwoExtractorsAndATableReaderAllWorkWithOneEvtnumPerEvent) {
  const std::string rules = write_temp_file("plugins_together.yaml", kRules);
  const std::string plugins = std::string("plugins=[{name: sysplug, library_path: ") + SYSPLUG_PLUGIN +
                              "}, {name: sysplug2, library_path: " + SYSPLUG2_PLUGIN +
                              "}, {name: subt, library_path: " + SUBT_PLUGIN + "}]";
  auto [code, out] = run_command(std::string(KESTREL_BINARY) + " -r " + rules + " -e " + kTrace +
                                 " -o json_output=true -o 'load_plugins=[sysplug, sysplug2, subt]' -o '" + plugins +
                                 "' 2>&1");
  ASSERT_EQ(code, 0) << out;
  size_t alerts = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto a = nlohmann::json::parse(line);
    const auto& f = a["output_fields"];
    const std::string num = text(f["evt.num"]);
    // Both extractors answer, each from its own decoding of the event.
    EXPECT_NE(text(f["sysplug.name"]), "<NA>") << line;
    EXPECT_EQ(text(f["sysplug.name"]), text(f["sysplug2.name"])) << line;
    // One evtnum per event, for parsing and extraction, in both plugins.
    EXPECT_EQ(text(f["sysplug.evtnum"]), num) << line;
    EXPECT_EQ(text(f["sysplug.parsenum"]), num) << line;
    EXPECT_EQ(text(f["sysplug2.evtnum"]), num) << line;
    EXPECT_EQ(text(f["sysplug2.parsenum"]), num) << line;
    // The sub-tables show Kestrel's state of the thread.
    EXPECT_EQ(text(f["subt.evtfdname"]), text(f["fd.name"])) << line;
    EXPECT_NE(text(f["subt.nfds"]), "0") << line;
    EXPECT_EQ(text(f["subt.args"]), text(f["proc.args"])) << line;
    ++alerts;
  }
  EXPECT_GE(alerts, 3u) << out;
}

// One run with sysplug's init_config naming `schema`; {exit code, output}.
std::pair<int, std::string> run_with_schema(const std::string& schema) {
  const std::string rules = write_temp_file("plugins_schema.yaml", kRules.substr(0, kRules.find("  output:")) +
                                                                  "  output: \"open %sysplug.name\"\n  priority: WARNING\n  source: syscall\n");
  std::string init = schema.empty() ? "" : ", init_config: {schema: \"" + schema + "\"}";
  return run_command(std::string(KESTREL_BINARY) + " -r " + rules + " -e " + kTrace +
                     " -o load_plugins=sysplug -o 'plugins=[{name: sysplug, library_path: " + SYSPLUG_PLUGIN + init +
                     "}]' 2>&1");
}

TEST(SyscallPluginsTogether, RequiredEventSchemaVersionIsEnforced) {
  struct Refused {
    const char* wanted;
    const char* why;
  } refused[] = {
      {"3.1.0", "minor version is less than the requested one"},
      {"3.0.1", "patch version is less than the requested one"},
      {"4.0.0", "major versions disagree"},
      {"2.9.0", "major versions disagree"},
      {"three", "invalid required event schema version"},
  };
  for (const Refused& r : refused) {
    auto [code, out] = run_with_schema(r.wanted);
    EXPECT_NE(code, 0) << r.wanted << ": " << out;
    EXPECT_NE(out.find(std::string("required event schema version '") + r.wanted +
                       "' not compatible with the event schema version in use '3.0.0'"),
              std::string::npos)
        << r.wanted << ": " << out;
    EXPECT_NE(out.find(r.why), std::string::npos) << r.wanted << ": " << out;
    EXPECT_NE(out.find("sysplug"), std::string::npos) << out;
  }
  for (const char* ok : {"", "3.0.0"}) {
    auto [code, out] = run_with_schema(ok);
    EXPECT_EQ(code, 0) << ok << ": " << out;
    EXPECT_NE(out.find("open /tmp/"), std::string::npos) << ok << ": " << out;
  }
}

}  // namespace
