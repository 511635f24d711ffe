// The differential test: the kernel module must emit what the eBPF probe
// emits. One VM boot of Debian's own kernel (qemu, TCG) with kestrel.ko;
// the collector records every event type (-A -w) three times while the
// same deterministic workload (tests/vm/every_event.c) runs: with
// engine.kind=kmod, with engine.kind=ebpf, and with ebpf again
// (kmod_differential_scenario.sh). On the host, the captures' workload
// records are paired per (process role, event type) in order and compared
// param by param (tests/kmod/record_diff.h: pids, ABSTIME and the listed
// exceptions aside).
//
//   VmRanCleanly                 the VM, collectors and workload ran; no kernel splat
//   WorkloadCoversEveryProbeType every type the probe object has a program
//                                for occurred in the ebpf run
//   ProbeAgreesWithItself        ebpf vs ebpf: the control — what the
//                                comparison calls a difference is one between
//                                sources, not between runs (so the exceptions
//                                table is enough)
//   ModuleMatchesProbe           kmod vs ebpf: every type, same records; a
//                                type the module does not emit fails. Prints
//                                the per-type table (type, records kmod,
//                                records ebpf, match), also in <work dir>/table.txt.
//
// Inputs, for running it against other builds (tests/kmod/run-differential.sh):
//   KESTREL_DIFF_KO       a kestrel.ko built for the VM kernel (default: build
//                         this tree's with kestrel-driverkit)
//   KESTREL_DIFF_KESTREL  the collector binary (default: this build's)
//   KESTREL_DIFF_WORKLOAD the every_event binary (default: this build's)
//   KESTREL_DIFF_OUT      the work dir: console log, captures, table
//                         (default: below this build dir)
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ebpf/probe.h"
#include "sources/event/event_table.h"
#include "tests/kmod/build_module.h"
#include "tests/kmod/record_diff.h"
#include "tests/vm/vm_expect.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}


struct Shared {
  std::string error;  // why the VM part failed; "" when it worked
  std::string context;
  VmRun run;
  EventTypeSet probe_types;
  std::map<std::string, RoleRecords> records;  // run name -> workload records
  double build_s = 0;
  std::string work;
};

Shared* g_shared = nullptr;

// Runs the VM and reads the captures; fills `s.error` on failure.
void run_scenario(Shared& s) {
  const std::string src = KESTREL_SOURCE_DIR;
  s.work = env_or("KESTREL_DIFF_OUT", VM_WORK_DIR);
  const std::string kestrel = env_or("KESTREL_DIFF_KESTREL", KESTREL_BINARY);
  const std::string workload = env_or("KESTREL_DIFF_WORKLOAD", EVERY_EVENT_BINARY);
  std::string ko = env_or("KESTREL_DIFF_KO", "");
  if (geteuid() != 0) {
    s.error = "the VM test fetches packages and runs qemu as root";
    return;
  }
  if (ko.empty()) {
    std::string log;
    ko = build_kestrel_module(KMOD_OUT_DIR, log, s.build_s);
    if (ko.empty()) {
      s.error = "kestrel-driverkit build failed:\n" + tail(log);
      return;
    }
  }
  for (const std::string& f : {ko, kestrel, workload})
    if (!std::filesystem::exists(f)) {
      s.error = f + " does not exist";
      return;
    }
  auto probe_types = ebpf::probe_event_types();
  if (!probe_types.ok()) {
    s.error = probe_types.status().to_string();
    return;
  }
  s.probe_types = *probe_types;

  VmOptions options;
  options.scenario = src + "/tests/kmod/kmod_differential_scenario.sh";
  options.binaries = {kestrel, workload};
  options.files = {{ko, "/kestrel.ko"}};
  options.timeout_s = 480;
  options.work_dir = s.work;
  s.run = run_vm(options);
  s.context = "\n--- harness ---\n" + tail(s.run.harness) + "\n--- console (" + s.work + "/console.log) ---\n" +
              tail(s.run.console, 6000);
  if (s.run.exit_code != 0) {
    s.error = "the VM did not power itself off (124: timed out)";
    return;
  }
  for (const std::string name : {"kmod", "ebpf", "ebpf2"}) {
    auto pid_lines = console_section(s.run.console, name + ".pids");
    auto b64 = console_section(s.run.console, name + ".kcap.gz.b64");
    if (!pid_lines || !b64) {
      s.error = "run " + name + ": no pids or capture on the console";
      return;
    }
    auto pids = parse_pids(*pid_lines);
    if (!pids.ok()) {
      s.error = "run " + name + ": " + pids.status().to_string();
      return;
    }
    const std::string kcap = s.work + "/" + name + ".kcap.gz";
    std::vector<uint8_t> bytes = base64_decode(*b64);
    std::ofstream(kcap, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    auto selected = select_records(kcap, *pids);
    if (!selected.ok()) {
      s.error = kcap + ": " + selected.status().to_string();
      return;
    }
    s.records[name] = std::move(selected).value();
  }
}

class KmodDifferentialVm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_shared = new Shared();
    run_scenario(*g_shared);
  }
  static void TearDownTestSuite() {
    delete g_shared;
    g_shared = nullptr;
  }
  void SetUp() override { ASSERT_EQ(g_shared->error, "") << g_shared->context; }
  const Shared& s() const { return *g_shared; }
};

void print_exceptions() {
  std::printf("exceptions (params not compared):\n");
  for (const auto& e : kExceptions)
    std::printf("  %s.%s: %s\n", std::string(e.type).c_str(), std::string(e.param).c_str(),
                std::string(e.reason).c_str());
}

// Which exceptions a comparison needed (an excepted param that did differ).
void print_excused(const std::map<uint16_t, TypeResult>& results, const char* between) {
  std::set<std::string> used;
  for (const auto& [type, r] : results)
    for (const auto& p : r.excused) used.insert(std::string(event_info(type).name) + "." + p);
  std::printf("excepted params that differed between %s:", between);
  for (const auto& u : used) std::printf(" %s", u.c_str());
  std::printf("\n");
}

// Fails once per type whose records differ between the two runs.
void expect_all_match(const std::map<uint16_t, TypeResult>& results, const std::string& first,
                      const std::string& second) {
  for (const auto& [type, r] : results) {
    if (r.ok()) continue;
    std::string why;
    for (const auto& m : r.mismatches) why += "\n  " + m;
    ADD_FAILURE() << event_info(type).name << ": " << r.kmod << " records " << first << ", " << r.ebpf << " "
                  << second << ", " << r.matched << " matching" << why;
  }
}

TEST_F(KmodDifferentialVm, VmRanCleanly) {
  const std::string& console = s().run.console;
  const std::string& context = s().context;
  ASSERT_TRUE(console_marker(console, "READY")) << "the kernel did not reach /init" << context;
  EXPECT_TRUE(console_marker(console, "INSMOD 0 ")) << "insmod kestrel.ko failed" << context;
  EXPECT_TRUE(scenario_ran_cleanly(console)) << context;
  EXPECT_TRUE(console_marker(console, "RMMOD 0 ")) << context;
  for (const std::string name : {"kmod", "ebpf", "ebpf2"}) {
    SCOPED_TRACE("run " + name);
    EXPECT_TRUE(console_marker(console, "CAPTURING " + name)) << "kestrel did not start capturing" << context;
    auto workload = console_section(console, name + ".workload");
    ASSERT_TRUE(workload) << context;
    std::string workload_out;
    for (const auto& l : *workload) workload_out += l + "\n";
    EXPECT_TRUE(console_marker(console, "WORKLOAD EXIT " + name + " 0 ")) << workload_out << context;
    EXPECT_TRUE(console_marker(console, "COLLECTOR EXIT " + name + " 0 ")) << context;
    // Nothing lost: a dropped record would show up as a mismatch.
    auto metrics = console_section(console, name + ".metrics");
    ASSERT_TRUE(metrics && !metrics->empty()) << context;
    auto mj = nlohmann::json::parse(metrics->back(), nullptr, false);
    ASSERT_FALSE(mj.is_discarded()) << metrics->back();
    ASSERT_TRUE(mj.contains("sources") && mj["sources"].size() == 1) << mj.dump();
    EXPECT_EQ(mj["sources"][0].value("name", ""), name == "kmod" ? "kmod" : "ebpf") << mj.dump();
    EXPECT_TRUE(mj["sources"][0]["drops"].empty()) << mj.dump();
    EXPECT_TRUE(s().records.at(name).count("main")) << "no records of the workload's main process";
  }
  std::printf("differential VM: module build %.1fs, VM host wall %.1fs; work dir %s\n", s().build_s,
              s().run.wall_s, s().work.c_str());
}

TEST_F(KmodDifferentialVm, WorkloadCoversEveryProbeType) {
  auto results = compare_runs(s().records.at("ebpf"), s().records.at("ebpf2"));
  EXPECT_GT(s().probe_types.count(), 50u) << "the probe object lists too few programs";
  for (size_t t = 1; t < KE_COUNT; ++t) {
    if (!s().probe_types.test(t)) continue;
    auto it = results.find(static_cast<uint16_t>(t));
    EXPECT_TRUE(it != results.end() && it->second.kmod > 0)
        << event_info(static_cast<uint16_t>(t)).name << ": the probe has a program for it but the ebpf run "
        << "recorded none of the workload's (extend tests/vm/every_event.c)";
  }
}

TEST_F(KmodDifferentialVm, ProbeAgreesWithItself) {
  auto results = compare_runs(s().records.at("ebpf"), s().records.at("ebpf2"));
  std::printf("%s", format_table(results, s().probe_types, "ebpf", "ebpf2").c_str());
  print_excused(results, "the two probe runs");
  expect_all_match(results, "ebpf", "ebpf2");
}

TEST_F(KmodDifferentialVm, ModuleMatchesProbe) {
  auto results = compare_runs(s().records.at("kmod"), s().records.at("ebpf"));
  const std::string table = format_table(results, s().probe_types);
  std::printf("%s", table.c_str());
  std::ofstream(s().work + "/table.txt") << table;
  print_exceptions();
  print_excused(results, "kmod vs ebpf");
  // Every type the probe can emit is compared, even one neither run has.
  for (size_t t = 1; t < KE_COUNT; ++t)
    if (s().probe_types.test(t) && !results.count(static_cast<uint16_t>(t)))
      ADD_FAILURE() << event_info(static_cast<uint16_t>(t)).name << ": in neither run";
  expect_all_match(results, "kmod", "ebpf");
}

}  // namespace
}  // namespace kestrel::testing
