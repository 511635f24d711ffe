// A plugin extracting from syscall events receives them as the published
// plugin API defines them (issue 16, part A): libscap's event format. The
// sysplug test plugin (test_plugins/syscall_fields_plugin.cpp, built
// against the reference plugin_api.h only) decodes the scap header and the
// open/openat exit layouts of falcosecurity/libs' event table itself; its
// fields drive a syscall rule over a replay of Falco's
// open-multiple-files.scap, and every alert must agree with what sysdig
// prints for the same event (same timestamp): thread, fd, path. The scap
// code must be PPME_SYSCALL_OPEN_X (3) — libs' enum, the capture's own
// open exits — and the plugin must get only the types it asked for. The
// plugin also parses (parse_event) the same types: at each alert it must
// have parsed exactly the open exits sysdig saw up to that event.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../support/kestrel_collector.h"
#include "../support/run_command.h"
#include "../support/test_files.h"

using kestrel::testing::write_temp_file;

namespace {

using kestrel::testing::run_command;

const std::string kTrace = std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/open-multiple-files.scap";

std::string plugin_args() {
  return std::string(" -o load_plugins=sysplug -o 'plugins=[{name: sysplug, library_path: ") + SYSPLUG_PLUGIN +
         "}]'";
}

// A JSON output field as text (numbers may come as numbers or strings).
std::string text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

struct SysdigOpen {
  std::string tid, fd, name;
};

// sysdig's view of every open exit, by timestamp.
std::map<std::string, SysdigOpen> sysdig_opens() {
  auto [code, out] = run_command("sysdig -r " + kTrace +
                                 " -p '%evt.rawtime %thread.tid %fd.num %evt.rawarg.name' "
                                 "'evt.type in (open, openat) and evt.dir=<'");
  EXPECT_EQ(code, 0) << out;
  std::map<std::string, SysdigOpen> by_ts;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string ts;
    SysdigOpen o;
    if (f >> ts >> o.tid >> o.fd >> o.name) by_ts[ts] = o;
  }
  return by_ts;
}

TEST(SyscallPluginFields, ScapOpenExitsDecodedByThePluginMatchSysdig) {
  std::string rules = write_temp_file("sysplug_rules.yaml", R"(
- rule: Plugin Sees Open
  desc: a plugin's fields on syscall events
  condition: evt.type = open and evt.dir = < and sysplug.name startswith /tmp/
  output: "sysplug ts=%evt.rawtime type=%sysplug.evtype tid=%sysplug.tid fd=%sysplug.fd name=%sysplug.name src=%sysplug.evtsrc n=%sysplug.nparams parsed=%sysplug.parsed kfd=%fd.num"
  priority: WARNING
  source: syscall
- rule: Plugin Sees Close
  desc: close is not among the plugin's event types, so its fields read as missing
  condition: evt.type = close and sysplug.evtype exists
  output: "close ts=%evt.rawtime"
  priority: WARNING
  source: syscall
)");
  auto [code, out] = run_command(std::string(KESTREL_BINARY) + " -r " + rules + " -e " + kTrace +
                                 " -o json_output=true" +
                                 plugin_args() + " 2>/dev/null");
  ASSERT_EQ(code, 0) << out;
  const auto sysdig = sysdig_opens();
  ASSERT_GE(sysdig.size(), 8u) << "sysdig saw too few open exits";
  size_t matched = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto a = nlohmann::json::parse(line);
    ASSERT_EQ(a["rule"], "Plugin Sees Open") << line;
    const auto& f = a["output_fields"];
    const std::string ts = text(f["evt.rawtime"]);
    auto it = sysdig.find(ts);
    ASSERT_NE(it, sysdig.end()) << "no sysdig open exit at " << ts << ": " << line;
    EXPECT_EQ(text(f["sysplug.evtype"]), "3") << line;   // PPME_SYSCALL_OPEN_X
    EXPECT_EQ(text(f["sysplug.nparams"]), "6") << line;  // fd, name, flags, mode, dev, ino
    EXPECT_EQ(text(f["sysplug.evtsrc"]), "syscall") << line;
    EXPECT_EQ(text(f["sysplug.tid"]), it->second.tid) << line;
    EXPECT_EQ(text(f["sysplug.fd"]), it->second.fd) << line;
    EXPECT_EQ(text(f["sysplug.name"]), it->second.name) << line;
    // And Kestrel's own view of the same record agrees.
    EXPECT_EQ(text(f["fd.num"]), it->second.fd) << line;
    // The plugin parsed every open exit up to and including this one, in
    // order, once each, before the rule read its fields.
    const size_t exits_so_far = static_cast<size_t>(std::distance(sysdig.begin(), it)) + 1;
    EXPECT_EQ(text(f["sysplug.parsed"]), std::to_string(exits_so_far)) << line;
    ++matched;
  }
  // Every open of a /tmp path sysdig saw raised one alert.
  size_t tmp_opens = 0;
  for (const auto& [ts, o] : sysdig) tmp_opens += o.name.rfind("/tmp/", 0) == 0;
  EXPECT_GT(tmp_opens, 0u);
  EXPECT_EQ(matched, tmp_opens) << out;
}

}  // namespace

namespace {

// Live: the eBPF probe's openat records (scap's PPME_SYSCALL_OPENAT_2_X,
// 307: fd, dirfd, name, ...) reach the plugin in that layout. The run is
// also written to a .scap, and sysdig's decoding of the same openat exit
// (same timestamp) must agree with what the plugin decoded. Needs root and
// a BTF kernel; fails loudly without them.
TEST(SyscallPluginFields, LiveOpenatExitsDecodedByThePluginMatchSysdig) {
  ASSERT_EQ(geteuid(), 0u) << "needs root";
  const std::string tag = std::to_string(getpid());
  const std::string target = ::testing::TempDir() + "/sysplug-live-" + tag;
  std::ofstream(target) << "x\n";
  std::string rules = write_temp_file("sysplug_live_rules.yaml", R"(
- rule: Plugin Sees Openat
  desc: a plugin's fields on live syscall events
  condition: evt.type = openat and sysplug.name endswith "/sysplug-live-)" + tag + R"("
  output: "openat type=%sysplug.evtype tid=%sysplug.tid fd=%sysplug.fd name=%sysplug.name n=%sysplug.nparams kfd=%fd.num kname=%fd.name ts=%evt.rawtime"
  priority: WARNING
  source: syscall
)");
  const std::string capture = ::testing::TempDir() + "/sysplug-live-" + tag + ".scap";
  kestrel::testing::Collector c;
  c.start({KESTREL_BINARY, "-r", rules, "-o", "engine.kind=ebpf", "-o", "json_output=true", "-o",
           "load_plugins=sysplug", "-o", std::string("plugins=[{name: sysplug, library_path: ") + SYSPLUG_PLUGIN + "}]",
           "-w", capture, "-M", "120"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;
  ASSERT_EQ(std::system(("cat " + target + " > /dev/null").c_str()), 0);
  for (int i = 0; i < 40; ++i) c.pump(50);
  ASSERT_EQ(c.stop(), 0) << c.err;

  auto [code, out] = run_command("sysdig -r " + capture +
                                 " -p '%evt.rawtime %thread.tid %fd.num %evt.rawarg.name' "
                                 "'evt.type=openat and evt.dir=< and fd.name endswith /sysplug-live-" + tag + "'");
  ASSERT_EQ(code, 0) << out;
  std::map<std::string, SysdigOpen> sysdig;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string ts;
    SysdigOpen o;
    if (f >> ts >> o.tid >> o.fd >> o.name) sysdig[ts] = o;
  }
  size_t matched = 0;
  for (const auto& a : c.alerts()) {
    if (a["rule"] != "Plugin Sees Openat") continue;
    const auto& f = a["output_fields"];
    EXPECT_EQ(text(f["sysplug.evtype"]), "307") << a.dump();  // PPME_SYSCALL_OPENAT_2_X
    EXPECT_EQ(text(f["sysplug.nparams"]), "7") << a.dump();   // fd, dirfd, name, flags, mode, dev, ino
    EXPECT_EQ(text(f["sysplug.fd"]), text(f["fd.num"])) << a.dump();
    // The raw param ("/tmp//x" as cat was given it); fd.name is Kestrel's
    // normalised path of it.
    EXPECT_NE(text(f["fd.name"]).find("/sysplug-live-" + tag), std::string::npos) << a.dump();
    auto it = sysdig.find(text(f["evt.rawtime"]));
    ASSERT_NE(it, sysdig.end()) << "sysdig has no such openat exit: " << a.dump() << "\n" << out;
    EXPECT_EQ(text(f["sysplug.tid"]), it->second.tid) << a.dump();
    EXPECT_EQ(text(f["sysplug.fd"]), it->second.fd) << a.dump();
    EXPECT_EQ(text(f["sysplug.name"]), it->second.name) << a.dump();
    ++matched;
  }
  EXPECT_GE(matched, 1u) << c.out << c.err;
  std::remove(target.c_str());
  std::remove(capture.c_str());
}

}  // namespace
