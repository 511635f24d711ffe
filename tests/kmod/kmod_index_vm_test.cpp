// engine.kmod.index end to end, in one VM boot of Debian's own kernel:
// kestrel.ko is built for that kernel by kestrel-driverkit and put into the
// image NOT loaded, with driver indexes written here by driverkit's own
// writer (they are input). With the kernel's BTF hidden (the eBPF probe
// cannot run), the collector under engine.kind=auto:
//   - refuses an index lacking this kernel with the remedy (exit 1),
//   - refuses an index whose artifact is not the one it records (sha256),
//     loading nothing in either case,
//   - loads the module from the good index itself, captures, and raises the
//     default rule's alert for a read of /etc/shadow (exit 0),
// and under engine.kind=kmod, with the module loaded but /dev/kestrel
// removed, finds it loaded (EEXIST) and makes the node from sysfs.
// See kmod_index_scenario.sh. Fails (never skips) when the module does not
// build or the VM does not boot.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "driverkit/driver_index.h"
#include "driverkit/sha256.h"
#include "tests/kmod/build_module.h"
#include "tests/vm/vm_alerts.h"
#include "tests/vm/vm_expect.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

namespace fs = std::filesystem;

bool contains(const std::optional<std::vector<std::string>>& lines, const std::string& text) {
  if (!lines) return false;
  for (const auto& l : *lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

driverkit::IndexRow ok_row(const std::string& release, const std::string& artifact, const std::string& sha256) {
  driverkit::IndexRow row;
  row.kernelrelease = release;
  row.target = "debian";
  row.architecture = "amd64";
  row.status = driverkit::IndexStatus::kOk;
  row.artifact = artifact;
  row.sha256 = sha256;
  return row;
}

void write_one(const driverkit::IndexRow& row, const std::string& path) {
  driverkit::DriverIndex index;
  index.kernels.push_back(row);
  fs::create_directories(fs::path(path).parent_path());
  Status s = driverkit::write_index(index, path);
  ASSERT_TRUE(s.ok()) << s.to_string();
}

TEST(KmodIndexVm, CollectorLoadsTheModuleFromTheIndex) {
  ASSERT_EQ(geteuid(), 0u) << "the VM test fetches packages and runs qemu as root";
  std::string build_log;
  double build_s = 0;
  std::string ko = build_kestrel_module(KMOD_OUT_DIR, build_log, build_s);
  ASSERT_FALSE(ko.empty()) << "kestrel-driverkit build failed:\n" << tail(build_log);
  std::string release = vm_kernel_release(build_log);
  ASSERT_FALSE(release.empty()) << build_log;
  auto sum = driverkit::sha256_file(ko);
  ASSERT_TRUE(sum.ok()) << sum.status().to_string();

  // The image's /drivers, staged on the host.
  const std::string stage = std::string(VM_WORK_DIR) + "/drivers";
  fs::remove_all(stage);
  fs::create_directories(stage + "/tampered");
  const std::string artifact = "kestrel_debian_" + release + "_1.ko";
  write_one(ok_row(release, artifact, *sum), stage + "/index.json");
  write_one(ok_row("6.1.0-0-not-this-amd64", "../" + artifact, *sum), stage + "/other/index.json");
  // The tampered index names its own copy of the module with a byte more,
  // recording the genuine module's sha256.
  fs::copy_file(ko, stage + "/tampered/" + artifact, fs::copy_options::overwrite_existing);
  std::ofstream(stage + "/tampered/" + artifact, std::ios::app | std::ios::binary) << '\0';
  write_one(ok_row(release, artifact, *sum), stage + "/tampered/index.json");

  const std::string src = KESTREL_SOURCE_DIR;
  VmOptions options;
  options.scenario = src + "/tests/kmod/kmod_index_scenario.sh";
  options.binaries = {KESTREL_BINARY};
  options.files = {{ko, "/drivers/" + artifact},
                   {stage + "/index.json", "/drivers/index.json"},
                   {stage + "/other/index.json", "/drivers/other/index.json"},
                   {stage + "/tampered/index.json", "/drivers/tampered/index.json"},
                   {stage + "/tampered/" + artifact, "/drivers/tampered/" + artifact}};
  options.timeout_s = 300;
  options.work_dir = VM_WORK_DIR;
  VmRun run = run_vm(options);
  const std::string context = vm_failure_context(run, options);

  ASSERT_EQ(run.exit_code, 0) << "the VM did not power itself off (124: timed out)" << context;
  ASSERT_TRUE(console_marker(run.console, "READY")) << "the kernel did not reach /init" << context;
  EXPECT_TRUE(scenario_ran_cleanly(run.console)) << context;
  EXPECT_FALSE(console_marker(run.console, "MODULE LOADED AT BOOT")) << context;
  EXPECT_FALSE(console_marker(run.console, "DEVICE AT BOOT")) << context;

  // The kernel is not in the index: the remedy names it and the build.
  EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT lacking 1 ")) << context;
  auto lacking = console_section(run.console, "lacking.err");
  EXPECT_TRUE(contains(lacking, "kernel " + release + " is not in the driver index /drivers/other/index.json"))
      << context;
  EXPECT_TRUE(contains(lacking, "kestrel-driverkit build --target <distro> --kernelrelease " + release)) << context;
  EXPECT_TRUE(contains(lacking, "the eBPF probe cannot run here (")) << context;
  EXPECT_FALSE(console_marker(run.console, "MODULE LOADED AFTER lacking")) << context;

  // The artifact is not the one the index records: refused, nothing loaded.
  EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT tampered 1 ")) << context;
  auto tampered = console_section(run.console, "tampered.err");
  EXPECT_TRUE(contains(tampered, "/drivers/tampered/" + artifact + " does not match the driver index "
                                 "/drivers/tampered/index.json")) << context;
  EXPECT_TRUE(contains(tampered, "the index says " + *sum)) << context;
  EXPECT_FALSE(console_marker(run.console, "MODULE LOADED AFTER tampered")) << context;

  struct Run {
    std::string name;
    std::vector<std::string> log;  // lines the collector's log must hold
  };
  const std::vector<Run> runs = {
      {"auto",
       {"engine.kind=auto: the kernel module, loaded from the driver index /drivers/index.json (/dev/kestrel is "
        "missing; the eBPF probe cannot run here: ",
        "loaded the kestrel module /drivers/" + artifact + " (sha256 " + *sum +
            ", checked) from the driver index /drivers/index.json for kernel " + release + " (amd64)"}},
      {"renode",
       {"engine.kind=kmod: the kernel module, loaded from the driver index /drivers/index.json (/dev/kestrel is "
        "missing)",
        "the kestrel module was loaded already (finit_module: EEXIST) for /drivers/" + artifact,
        "created /dev/kestrel from /sys/class/misc/kestrel/dev"}},
  };
  for (const Run& r : runs) {
    SCOPED_TRACE("run " + r.name);
    ASSERT_TRUE(console_marker(run.console, "CAPTURING " + r.name)) << "kestrel did not start capturing" << context;
    EXPECT_TRUE(console_marker(run.console, "MODULE LOADED " + r.name)) << context;
    EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT " + r.name + " 0 ")) << context;
    auto log = console_section(run.console, r.name + ".err");
    for (const auto& want : r.log) EXPECT_TRUE(contains(log, want)) << "missing: " << want << context;
    auto device = console_section(run.console, r.name + ".device");
    ASSERT_TRUE(device && !device->empty()) << context;
    EXPECT_EQ(device->front().substr(0, 10), "crw-------") << device->front();

    auto alert_lines = console_section(run.console, r.name + ".alerts");
    ASSERT_TRUE(alert_lines) << context;
    auto alerts = json_lines(*alert_lines);
    EXPECT_EQ(count_alerts(alerts, "Sensitive File Read By Untrusted Program", "Warning",
                           {{"fd.name", "/etc/shadow"}, {"proc.name", "cat"}, {"user.name", "root"}}),
              1)
        << context;
    EXPECT_EQ(alerts.size(), 1u) << context;

    auto metrics = console_section(run.console, r.name + ".metrics");
    ASSERT_TRUE(metrics && !metrics->empty()) << context;
    auto mj = nlohmann::json::parse(metrics->back(), nullptr, false);
    ASSERT_FALSE(mj.is_discarded()) << metrics->back();
    ASSERT_TRUE(mj.contains("sources") && mj["sources"].size() == 1) << mj.dump();
    EXPECT_EQ(mj["sources"][0].value("name", ""), "kmod") << mj.dump();
  }
  std::printf("kmod_index_vm_test: module build %.0f s, VM run %.0f s\n", build_s, run.wall_s);
}

}  // namespace
}  // namespace kestrel::testing
