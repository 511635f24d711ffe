// The kernel module's in-kernel filter (issue #19) end to end: kestrel.ko
// built with kestrel-driverkit for Debian's kernel, booted in qemu (TCG),
// the real collector run on it twice over one workload — the filter off
// (engine.kernel_filter=false), then on — see kmod_filter_scenario.sh.
//
// Checked: the same alerts both ways (as multisets of rule and output
// fields, less the time and process ids, which differ between the runs),
// the rules the workload is meant to trip among them; fewer events
// delivered with the filter on, the module's kernel_filtered.<type>
// counters in --stats (openat and execve above zero), none with it off;
// nothing lost; no kernel splat, and the module unloads after.
//
// It fails (never skips) when the headers, qemu or the kernel cannot be
// had, the module does not build or load, or the VM does not boot.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/kmod/build_module.h"
#include "tests/vm/vm_alerts.h"
#include "tests/vm/vm_expect.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

std::multiset<std::string> alert_keys(const std::vector<nlohmann::json>& alerts) {
  std::multiset<std::string> keys;
  for (auto a : alerts) {
    nlohmann::json fields = a.value("output_fields", nlohmann::json::object());
    for (auto it = fields.begin(); it != fields.end();)
      it = it.key() == "evt.time" || it.key().find("pid") != std::string::npos ? fields.erase(it) : std::next(it);
    keys.insert(a.value("rule", "") + " " + fields.dump());
  }
  return keys;
}

// The first number captured by `pattern` in `lines`; -1 when none matches.
long long number_in(const std::vector<std::string>& lines, const std::string& pattern) {
  std::smatch m;
  for (const auto& l : lines)
    if (std::regex_search(l, m, std::regex(pattern))) return std::stoll(m[1].str());
  return -1;
}

TEST(KmodFilterVm, SameAlertsFewerEventsWithTheModuleFilter) {
  ASSERT_EQ(geteuid(), 0u) << "the VM test fetches packages and runs qemu as root";
  std::string build_log;
  double build_s = 0;
  std::string ko = build_kestrel_module(KMOD_OUT_DIR, build_log, build_s);
  ASSERT_FALSE(ko.empty()) << "kestrel-driverkit build failed:\n" << tail(build_log);

  VmOptions options;
  options.scenario = std::string(KESTREL_SOURCE_DIR) + "/tests/kmod/kmod_filter_scenario.sh";
  options.binaries = {KESTREL_BINARY};
  options.files = {{ko, "/kestrel.ko"}};
  options.timeout_s = 400;
  options.work_dir = VM_WORK_DIR;
  VmRun run = run_vm(options);
  const std::string context = vm_failure_context(run, options);

  ASSERT_EQ(run.exit_code, 0) << "the VM did not power itself off (124: timed out)" << context;
  ASSERT_TRUE(console_marker(run.console, "INSMOD 0 ")) << "insmod kestrel.ko failed" << context;
  EXPECT_TRUE(scenario_ran_cleanly(run.console)) << context;
  EXPECT_TRUE(console_marker(run.console, "RMMOD 0 ")) << context;

  struct Seen {
    std::multiset<std::string> alerts;
    long long events = -1, filtered_openat = -1, filtered_execve = -1;
    std::vector<std::string> err;
  };
  auto seen = [&](const std::string& name) {
    Seen s;
    EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT " + name + " 0 ")) << name << context;
    auto workload = console_section(run.console, name + ".workload");
    EXPECT_TRUE(workload) << context;
    if (workload) {
      for (const char* line : {"read shadow", "read key", "wrote etc", "shell-from-nc"}) {
        EXPECT_NE(std::find(workload->begin(), workload->end(), line), workload->end()) << name << ": " << line;
      }
    }
    auto alerts = console_section(run.console, name + ".alerts");
    auto err = console_section(run.console, name + ".err");
    EXPECT_TRUE(alerts && err) << context;
    if (!alerts || !err) return s;
    s.alerts = alert_keys(json_lines(*alerts));
    s.err = *err;
    s.events = number_in(*err, R"(^Source kmod: (\d+) events)");
    s.filtered_openat = number_in(*err, R"(^\s+kernel_filtered\.openat: (\d+))");
    s.filtered_execve = number_in(*err, R"(^\s+kernel_filtered\.execve: (\d+))");
    for (const auto& l : *err) {  // nothing lost in the kernel or the queues
      if (l.starts_with("Source kmod: ")) {
        EXPECT_EQ(l.find("dropped"), std::string::npos) << name << ": " << l;
      }
    }
    return s;
  };
  Seen off = seen("off"), on = seen("on");
  auto joined = [](const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  };

  EXPECT_EQ(on.alerts, off.alerts);
  for (const char* rule : {"Sensitive File Read By Untrusted Program", "SSH Private Key Read", "Write Below Etc",
                           "Shell Spawned By Network Service"}) {
    bool found = false;
    for (const auto& k : on.alerts) found = found || k.starts_with(std::string(rule) + " ");
    EXPECT_TRUE(found) << rule << " missing; alerts (filter on):\n" << [&] {
      std::string s;
      for (const auto& k : on.alerts) s += k + "\n";
      return s;
    }();
  }

  ASSERT_GT(off.events, 0) << joined(off.err);
  ASSERT_GT(on.events, 0) << joined(on.err);
  EXPECT_LT(on.events, off.events) << joined(on.err) << joined(off.err);
  // The workload's 200 failed opens and 50 failed execs stay in the kernel.
  EXPECT_GE(on.filtered_openat, 200) << joined(on.err);
  EXPECT_GE(on.filtered_execve, 50) << joined(on.err);
  EXPECT_EQ(off.filtered_openat, -1) << joined(off.err);
  EXPECT_EQ(off.filtered_execve, -1) << joined(off.err);

  std::printf("kmod filter: events delivered off=%lld on=%lld (%.2fx), kernel_filtered openat=%lld execve=%lld, "
              "alerts %zu\n",
              off.events, on.events, on.events > 0 ? double(off.events) / double(on.events) : 0.0,
              on.filtered_openat, on.filtered_execve, on.alerts.size());
  for (const auto& l : on.err)
    if (l.find("kernel_filtered.") != std::string::npos || l.find("events by type") != std::string::npos)
      std::printf("on: %s\n", l.c_str());
  for (const auto& l : off.err)
    if (l.find("events by type") != std::string::npos) std::printf("off: %s\n", l.c_str());
  std::printf("kmod filter timings: module build %.1fs, VM host wall %.1fs\n", build_s, run.wall_s);
  RecordProperty("events_off", std::to_string(off.events));
  RecordProperty("events_on", std::to_string(on.events));
}

}  // namespace
}  // namespace kestrel::testing
