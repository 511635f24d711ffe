// The default ruleset's kernel module rules ("Kernel Module Loaded",
// "Kernel Module Load Attempt") proven live on a kernel that can load
// modules: this host's kernel cannot, so the test boots Debian's own
// kernel (linux-image-*-amd64) in qemu under TCG with the real `kestrel`
// binary (embedded config and rules, eBPF source) and module_loader, which
// loads crc7 with finit_module, crc8 with init_module, has a zeroed image
// refused, and lets busybox insmod (an exempt loader) load crc16. See
// module_rules_scenario.sh for what runs in the VM.
//
// The same run checks what the probe recorded on that kernel (replayed
// through probe_records.yaml): the module syscalls' types and results, and
// the reads through fd-table pointers that 6.1, lacking bpf_rdonly_cast,
// makes with bpf_probe_read_kernel() (an inode, a TCP tuple).
//
// It fails (never skips) when qemu, busybox or the kernel package cannot
// be had, the VM does not boot, or the probe does not load on that kernel.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/vm/vm_alerts.h"
#include "tests/vm/vm_expect.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

using Fields = AlertFields;

bool contains_line(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& l : lines)
    if (l.starts_with(prefix)) return true;
  return false;
}

TEST(ModuleRulesVm, DefaultRulesFireOnDebianKernel) {
  ASSERT_EQ(geteuid(), 0u) << "the VM test fetches packages and runs qemu as root";
  const std::string src = KESTREL_SOURCE_DIR;
  VmOptions options;
  options.scenario = src + "/tests/vm/module_rules_scenario.sh";
  options.binaries = {KESTREL_BINARY, MODULE_LOADER_BINARY};
  options.files = {{src + "/tests/vm/probe_records.yaml", "/etc/kestrel/probe_records.yaml"}};
  options.modules = {"lib/crc7.ko", "lib/crc8.ko", "lib/crc16.ko"};
  options.timeout_s = 240;
  options.work_dir = VM_WORK_DIR;
  VmRun run = run_vm(options);
  const std::string context = vm_failure_context(run, options, 4000);

  ASSERT_EQ(run.exit_code, 0) << "the VM did not power itself off (124: timed out)" << context;
  auto ready = console_marker(run.console, "READY");
  ASSERT_TRUE(ready) << "the kernel did not reach /init" << context;
  auto started = console_marker(run.console, "START COLLECTOR");
  auto capturing = console_marker(run.console, "CAPTURING");
  ASSERT_TRUE(started && capturing) << "kestrel did not start capturing on " << *ready << context;
  auto collector_exit = console_marker(run.console, "COLLECTOR EXIT");
  ASSERT_TRUE(collector_exit) << context;
  EXPECT_TRUE(collector_exit->starts_with("KESTREL-VM: COLLECTOR EXIT 0 ")) << *collector_exit << context;
  EXPECT_TRUE(scenario_ran_cleanly(run.console)) << context;

  // The workload did what it says: both modules loaded, the bad image refused.
  auto workload = console_section(run.console, "workload");
  ASSERT_TRUE(workload) << context;
  EXPECT_TRUE(contains_line(*workload, "module_loader: finit_module /modules/crc7.ko = 0")) << context;
  EXPECT_TRUE(contains_line(*workload, "module_loader: init_module /modules/crc8.ko = 0")) << context;
  EXPECT_TRUE(contains_line(*workload, "module_loader: init_module <64 zero bytes> = -1 (Exec format error)"))
      << context;
  EXPECT_TRUE(contains_line(*workload, "insmod crc16 = 0")) << context;
  for (const char* m : {"crc7 ", "crc8 ", "crc16 "}) EXPECT_TRUE(contains_line(*workload, m)) << m << context;

  // The default rules, as the collector emitted them live.
  auto alert_lines = console_section(run.console, "alerts");
  ASSERT_TRUE(alert_lines) << context;
  auto alerts = json_lines(*alert_lines);
  const Fields common = {{"proc.name", "module_loader"}, {"proc.pname", "sh"}, {"user.name", "root"},
                         {"container.id", "host"}};
  auto with = [&](Fields extra) {
    extra.insert(common.begin(), common.end());
    return extra;
  };
  EXPECT_EQ(count_alerts(alerts, "Kernel Module Loaded", "Critical",
                         with({{"proc.cmdline", "module_loader finit /modules/crc7.ko"}, {"proc.aname[2]", "init"}})),
            1)
      << context;
  EXPECT_EQ(count_alerts(alerts, "Kernel Module Loaded", "Critical",
                         with({{"proc.cmdline", "module_loader init /modules/crc8.ko"}, {"proc.aname[2]", "init"}})),
            1)
      << context;
  EXPECT_EQ(count_alerts(alerts, "Kernel Module Load Attempt", "Warning",
                         with({{"proc.cmdline", "module_loader init-bad"}, {"evt.res", "ENOEXEC"}})),
            1)
      << context;
  // Nothing else: insmod is an exempt loader, and no other rule fires.
  EXPECT_EQ(alerts.size(), 3u) << context;
  for (const auto& a : alerts) {
    EXPECT_NE(a["output_fields"].value("proc.name", ""), "insmod") << a.dump();
    EXPECT_TRUE(a.contains("tags") && a["tags"].dump().find("T1547.006") != std::string::npos) << a.dump();
  }

  // What the probe recorded, replayed through probe_records.yaml: the
  // syscall types and results behind those alerts.
  EXPECT_TRUE(console_marker(run.console, "REPLAY EXIT 0 ")) << context;
  auto syscall_lines = console_section(run.console, "syscalls");
  ASSERT_TRUE(syscall_lines) << context;
  std::vector<std::string> outputs;
  for (const auto& s : json_lines(*syscall_lines)) outputs.push_back(alert_message(s));
  auto seen = [&](const std::string& text) {
    for (const auto& o : outputs)
      if (o == text) return true;
    return false;
  };
  EXPECT_TRUE(seen("module syscall finit_module rawres=0 proc=module_loader cmdline=module_loader finit "
                   "/modules/crc7.ko"))
      << context;
  EXPECT_TRUE(seen("module syscall init_module rawres=0 proc=module_loader cmdline=module_loader init "
                   "/modules/crc8.ko"))
      << context;
  EXPECT_TRUE(seen("module syscall init_module rawres=-8 proc=module_loader cmdline=module_loader init-bad"))
      << context;
  // busybox insmod uses finit_module here (proc.cmdline is proc.name and the arguments).
  EXPECT_TRUE(seen("module syscall finit_module rawres=0 proc=insmod cmdline=insmod /modules/crc16.ko")) << context;
  int module_syscalls = 0;
  for (const auto& o : outputs) module_syscalls += o.starts_with("module syscall ");
  EXPECT_EQ(module_syscalls, 4) << context;

  // The reads through fd-table pointers (ebpf/bpf/sock.bpf.h; on 6.1 the
  // bpf_probe_read_kernel() fallback): the opened file's inode as stat(1)
  // saw it in the VM, and the loopback connection's tuple on both ends
  // (busybox nc listens on a dual-stack IPv6 socket: the accepted end is
  // IPv4-mapped), with the same client port.
  std::smatch m;
  std::string ino;
  for (const auto& line : *workload)
    if (std::regex_match(line, m, std::regex("marker ino=([0-9]+)"))) ino = m[1];
  ASSERT_FALSE(ino.empty()) << context;
  EXPECT_TRUE(seen("open ino=" + ino + " name=/tmp/kestrel-vm-marker proc=cat")) << context;
  EXPECT_TRUE(contains_line(*workload, "nc connected")) << context;
  std::string connect_port, accept_port;
  for (const auto& o : outputs) {
    if (std::regex_match(o, m, std::regex(R"(connect res=SUCCESS tuple=127\.0\.0\.1:([0-9]+)->127\.0\.0\.1:8080)")))
      connect_port = m[1];
    if (std::regex_match(o, m,
                         std::regex(R"(accept tuple=\[::ffff:127\.0\.0\.1\]:([0-9]+)->\[::ffff:127\.0\.0\.1\]:8080)")))
      accept_port = m[1];
  }
  EXPECT_FALSE(connect_port.empty()) << context;
  EXPECT_EQ(connect_port, accept_port) << context;

  // Where the time goes under TCG (reported, not asserted: the host is shared).
  double probe_s = marker_uptime(*capturing) - marker_uptime(*started);
  std::printf("VM timings: host wall %.1fs; guest: /init at %.1fs, probe open+load %.1fs, done at %.1fs\n",
              run.wall_s, marker_uptime(*ready), probe_s,
              marker_uptime(console_marker(run.console, "SCENARIO EXIT").value_or("")));
  std::printf("%s", run.harness.c_str());
  RecordProperty("vm_wall_s", std::to_string(run.wall_s));
  RecordProperty("probe_load_s", std::to_string(probe_s));
}

}  // namespace
}  // namespace kestrel::testing
