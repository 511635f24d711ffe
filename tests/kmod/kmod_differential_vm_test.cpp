// The differential test: the kernel module must emit what the eBPF probe
// emits. One VM boot of Debian's own kernel (qemu, TCG) with kestrel.ko;
// the collector records every event type (-A -w) twice while the same
// deterministic workload (tests/vm/every_event.c) runs: once with
// engine.kind=kmod, once with engine.kind=ebpf (kmod_differential_scenario.sh).
// On the host, both captures' workload records are paired per (process
// role, event type) in order and compared param by param
// (tests/kmod/record_diff.h: pids, ABSTIME and the listed exceptions aside).
//
// Fails when: any event type the probe object has a program for did not
// occur in the ebpf run (the workload must cover them all); any type's
// records differ in number or in a param between the runs, including a
// type the module does not emit at all; the kernel printed a splat.
// Prints the per-type table (type, records kmod, records ebpf, match) and
// writes it to <work dir>/table.txt.
//
// Inputs, for running it against other builds (tests/kmod/run-differential.sh):
//   KESTREL_DIFF_KO       a kestrel.ko built for the VM kernel (default: build
//                         this tree's with kmod/build-module.sh)
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
#include <string>
#include <vector>

#include "ebpf/probe.h"
#include "sources/event/event_table.h"
#include "tests/kmod/build_module.h"
#include "tests/kmod/record_diff.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

TEST(KmodDifferentialVm, ModuleRecordsMatchTheProbesForEveryEventType) {
  ASSERT_EQ(geteuid(), 0u) << "the VM test fetches packages and runs qemu as root";
  const std::string src = KESTREL_SOURCE_DIR;
  const std::string work = env_or("KESTREL_DIFF_OUT", VM_WORK_DIR);
  const std::string kestrel = env_or("KESTREL_DIFF_KESTREL", KESTREL_BINARY);
  const std::string workload = env_or("KESTREL_DIFF_WORKLOAD", EVERY_EVENT_BINARY);
  std::string ko = env_or("KESTREL_DIFF_KO", "");
  double build_s = 0;
  if (ko.empty()) {
    std::string log;
    ko = build_kestrel_module(KMOD_OUT_DIR, log, build_s);
    ASSERT_FALSE(ko.empty()) << "kmod/build-module.sh failed:\n" << tail(log);
  }
  ASSERT_TRUE(std::filesystem::exists(ko)) << ko;
  ASSERT_TRUE(std::filesystem::exists(kestrel)) << kestrel;
  ASSERT_TRUE(std::filesystem::exists(workload)) << workload;

  auto probe_types = ebpf::probe_event_types();
  ASSERT_TRUE(probe_types.ok()) << probe_types.status().to_string();
  ASSERT_GT(probe_types->count(), 50u) << "the probe object lists too few programs";

  VmOptions options;
  options.scenario = src + "/tests/kmod/kmod_differential_scenario.sh";
  options.binaries = {kestrel, workload};
  options.files = {{ko, "/kestrel.ko"}};
  options.timeout_s = 480;
  options.work_dir = work;
  VmRun run = run_vm(options);
  const std::string context = "\n--- harness ---\n" + tail(run.harness) + "\n--- console (" + work +
                              "/console.log) ---\n" + tail(run.console, 6000);

  ASSERT_EQ(run.exit_code, 0) << "the VM did not power itself off (124: timed out)" << context;
  ASSERT_TRUE(console_marker(run.console, "READY")) << "the kernel did not reach /init" << context;
  ASSERT_TRUE(console_marker(run.console, "INSMOD 0 ")) << "insmod kestrel.ko failed" << context;
  EXPECT_TRUE(console_marker(run.console, "SCENARIO EXIT 0 ")) << context;
  EXPECT_TRUE(console_marker(run.console, "RMMOD 0 ")) << context;
  auto splats = kernel_splats(run.console);
  EXPECT_TRUE(splats.empty()) << "the kernel complained:\n" << splats.front() << context;

  std::map<std::string, RoleRecords> records;
  for (const std::string name : {"kmod", "ebpf"}) {
    SCOPED_TRACE("run " + name);
    ASSERT_TRUE(console_marker(run.console, "CAPTURING " + name)) << "kestrel did not start capturing" << context;
    auto workload = console_section(run.console, name + ".workload");
    ASSERT_TRUE(workload) << context;
    std::string workload_out;
    for (const auto& l : *workload) workload_out += l + "\n";
    EXPECT_TRUE(console_marker(run.console, "WORKLOAD EXIT " + name + " 0 ")) << workload_out << context;
    EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT " + name + " 0 ")) << context;

    // Nothing lost: a dropped record would show up as a mismatch.
    auto metrics = console_section(run.console, name + ".metrics");
    ASSERT_TRUE(metrics && !metrics->empty()) << context;
    auto mj = nlohmann::json::parse(metrics->back(), nullptr, false);
    ASSERT_FALSE(mj.is_discarded()) << metrics->back();
    ASSERT_TRUE(mj.contains("sources") && mj["sources"].size() == 1) << mj.dump();
    EXPECT_EQ(mj["sources"][0].value("name", ""), name) << mj.dump();
    EXPECT_TRUE(mj["sources"][0]["drops"].empty()) << mj.dump();

    auto pid_lines = console_section(run.console, name + ".pids");
    ASSERT_TRUE(pid_lines) << context;
    auto pids = parse_pids(*pid_lines);
    ASSERT_TRUE(pids.ok()) << pids.status().to_string();

    auto b64 = console_section(run.console, name + ".kcap.gz.b64");
    ASSERT_TRUE(b64) << context;
    const std::string kcap = work + "/" + name + ".kcap.gz";
    {
      std::vector<uint8_t> bytes = base64_decode(*b64);
      ASSERT_FALSE(bytes.empty()) << context;
      std::ofstream out(kcap, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      ASSERT_TRUE(out.good()) << kcap;
    }
    auto selected = select_records(kcap, *pids);
    ASSERT_TRUE(selected.ok()) << kcap << ": " << selected.status().to_string();
    ASSERT_TRUE(selected->count("main")) << "no records of the workload's main process in " << kcap;
    records[name] = std::move(selected).value();
  }

  auto results = compare_runs(records["kmod"], records["ebpf"]);
  const std::string table = format_table(results, *probe_types);
  std::printf("%s", table.c_str());
  std::ofstream(work + "/table.txt") << table;
  std::printf("exceptions (params not compared, or compared in part):\n");
  for (const auto& e : kExceptions)
    std::printf("  %s.%s: %s\n", std::string(e.type).c_str(), std::string(e.param).c_str(),
                std::string(e.reason).c_str());

  // The workload covers every type the probe can emit.
  for (size_t t = 1; t < KE_COUNT; ++t) {
    if (!probe_types->test(t)) continue;
    auto it = results.find(static_cast<uint16_t>(t));
    EXPECT_TRUE(it != results.end() && it->second.ebpf > 0)
        << event_info(static_cast<uint16_t>(t)).name << ": the probe has a program for it but the ebpf run "
        << "recorded none of the workload's (extend tests/vm/every_event.c)";
  }
  // And the module emits the same records.
  for (const auto& [type, r] : results) {
    if (r.ok()) continue;
    std::string why;
    for (const auto& m : r.mismatches) why += "\n  " + m;
    ADD_FAILURE() << event_info(type).name << ": " << r.kmod << " records kmod, " << r.ebpf << " ebpf, "
                  << r.matched << " matching" << why;
  }
  std::printf("differential VM: module build %.1fs, VM host wall %.1fs; work dir %s\n", build_s, run.wall_s,
              work.c_str());
}

}  // namespace
}  // namespace kestrel::testing
