// The kernel module source end to end, on a kernel that can load modules:
// this host's kernel cannot, so the test builds kestrel.ko against the
// headers of Debian's own kernel (kestrel-driverkit build), boots that kernel
// (linux-image-*-amd64) in qemu under TCG with the module, the real
// `kestrel` binary and module_loader, insmods the module and runs the
// collector with the embedded config and rules three times: engine.kind=kmod,
// engine.kind=auto with the kernel's BTF hidden (so the eBPF probe cannot
// run and auto must fall back to the module), and engine.kind=ebpf, whose
// records the module's must match. See kmod_scenario.sh.
//
// Checked: the default rules' alerts for the workload (a sensitive read, a
// shell started by a program named nc, a module load), the source named in
// the collector's metrics ("kmod"; no drops but compat_ignored, which an
// i386 program's openat must raise while the 64-bit workload's records are
// all there; the probe sees no compat syscalls), drops counted (buffer_full)
// with a one-page ring under a burst, rmmod once capture stopped, and the
// module's raw records replayed through kmod_records.yaml against facts the
// VM printed (inode, resolved executable path, ports, results, and the
// cgroups of an exec: every cgroup v2 controller named with the cgroup that
// enables it, from the guest's cgroup.controllers, for the module and the
// probe alike).
// Also: rmmod refused while a collector holds the device and done right
// after a collector was killed (SIGKILL) mid-capture; no kernel splat
// (kernel_splats).
//
// It fails (never skips) when the headers, qemu or the kernel cannot be
// had, the module does not build or load, or the VM does not boot.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sources/capture/kcap_reader.h"
#include "tests/kmod/build_module.h"
#include "tests/support/record_conformance.h"
#include "tests/vm/vm_alerts.h"
#include "tests/vm/vm_expect.h"
#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

using Fields = AlertFields;

bool contains_line(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

TEST(KmodVm, ModuleSourceFeedsTheDefaultRules) {
  ASSERT_EQ(geteuid(), 0u) << "the VM test fetches packages and runs qemu as root";
  std::string build_log;
  double build_s = 0;
  std::string ko = build_kestrel_module(KMOD_OUT_DIR, build_log, build_s);
  ASSERT_FALSE(ko.empty()) << "kestrel-driverkit build failed:\n" << tail(build_log);

  const std::string src = KESTREL_SOURCE_DIR;
  VmOptions options;
  options.scenario = src + "/tests/kmod/kmod_scenario.sh";
  options.binaries = {KESTREL_BINARY, MODULE_LOADER_BINARY, COMPAT_I386_BINARY};
  options.files = {{ko, "/kestrel.ko"}, {src + "/tests/kmod/kmod_records.yaml", "/etc/kestrel/kmod_records.yaml"}};
  options.modules = {"lib/crc7.ko", "lib/crc8.ko", "lib/crc16.ko"};
  options.timeout_s = 300;
  options.work_dir = VM_WORK_DIR;
  VmRun run = run_vm(options);
  const std::string context = vm_failure_context(run, options);

  ASSERT_EQ(run.exit_code, 0) << "the VM did not power itself off (124: timed out)" << context;
  ASSERT_TRUE(console_marker(run.console, "READY")) << "the kernel did not reach /init" << context;
  ASSERT_TRUE(console_marker(run.console, "INSMOD 0 ")) << "insmod kestrel.ko failed" << context;
  // The probes ran, and the module unloaded, without the kernel complaining.
  EXPECT_TRUE(scenario_ran_cleanly(run.console)) << context;
  auto facts = console_section(run.console, "facts");
  ASSERT_TRUE(facts) << context;
  std::smatch m;
  std::string shadow_ino, sh_exepath;
  std::map<std::string, std::vector<std::string>> cgroup_controllers;  // cgroup path -> cgroup.controllers
  for (const auto& line : *facts) {
    if (std::regex_match(line, m, std::regex("cgroup (/\\S*)=(.*)"))) {
      std::istringstream names(m[2].str());
      for (std::string n; names >> n;) cgroup_controllers[m[1]].push_back(n);
    }
    if (std::regex_match(line, m, std::regex("shadow ino=([0-9]+)"))) shadow_ino = m[1];
    if (std::regex_match(line, m, std::regex("sh exepath=(/\\S+)"))) sh_exepath = m[1];
  }
  ASSERT_FALSE(shadow_ino.empty() || sh_exepath.empty()) << context;

  struct Run {
    std::string name, module, source;
  };
  for (const Run& r : {Run{"kmod", "crc7", "kmod"}, Run{"auto", "crc8", "kmod"}, Run{"ebpf", "crc16", "ebpf"}}) {
    const std::string& name = r.name;
    const std::string& module = r.module;
    SCOPED_TRACE("run " + name);
    ASSERT_TRUE(console_marker(run.console, "CAPTURING " + name)) << "kestrel did not start capturing" << context;
    EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT " + name + " 0 ")) << context;
    auto workload = console_section(run.console, name + ".workload");
    ASSERT_TRUE(workload) << context;
    EXPECT_TRUE(contains_line(*workload, "read shadow")) << context;
    EXPECT_TRUE(contains_line(*workload, "shell-from-nc")) << context;
    EXPECT_TRUE(contains_line(*workload, "module_loader: finit_module /modules/" + module + ".ko = 0")) << context;
    EXPECT_TRUE(contains_line(*workload, "nc connected")) << context;
    EXPECT_TRUE(contains_line(*workload, "exec failed")) << context;
    EXPECT_TRUE(contains_line(*workload, "i386 openat ok")) << context;

    auto alert_lines = console_section(run.console, name + ".alerts");
    ASSERT_TRUE(alert_lines) << context;
    auto alerts = json_lines(*alert_lines);
    EXPECT_EQ(count_alerts(alerts, "Sensitive File Read By Untrusted Program", "Warning",
                           {{"fd.name", "/etc/shadow"}, {"proc.name", "cat"}, {"user.name", "root"},
                            {"container.id", "host"}}),
              1)
        << context;
    EXPECT_EQ(count_alerts(alerts, "Shell Spawned By Network Service", "Critical",
                           {{"proc.name", "sh"}, {"proc.pname", "nc"}, {"proc.cmdline", "sh -c echo shell-from-nc"},
                            {"user.uid", "0"}}),
              1)
        << context;
    EXPECT_EQ(count_alerts(alerts, "Kernel Module Loaded", "Critical",
                           {{"proc.name", "module_loader"},
                            {"proc.cmdline", "module_loader finit /modules/" + module + ".ko"},
                            {"proc.pname", "sh"}}),
              1)
        << context;
    EXPECT_EQ(alerts.size(), 3u) << context;

    // The collector's own view of its source: the module, nothing lost.
    auto metrics = console_section(run.console, name + ".metrics");
    ASSERT_TRUE(metrics && !metrics->empty()) << context;
    auto mj = nlohmann::json::parse(metrics->back(), nullptr, false);
    ASSERT_FALSE(mj.is_discarded()) << metrics->back();
    ASSERT_TRUE(mj.contains("sources") && mj["sources"].size() == 1) << mj.dump();
    EXPECT_EQ(mj["sources"][0].value("name", ""), r.source) << mj.dump();
    EXPECT_GT(mj["sources"][0].value("events", 0), 20) << mj.dump();
    // Nothing lost; the module counts the i386 program's compat syscalls
    // of captured types (its exec, its openat: at least two) instead of
    // decoding them.
    nlohmann::json drops = mj["sources"][0]["drops"];
    if (r.source == "kmod") {
      EXPECT_GE(drops.value("compat_ignored", 0), 2) << mj.dump();
      drops.erase("compat_ignored");
    }
    EXPECT_TRUE(drops.empty()) << mj.dump();
  }

  // A one-page ring under a burst: records lost in the kernel are counted
  // by reason, and capture goes on.
  ASSERT_TRUE(console_marker(run.console, "CAPTURING tiny")) << context;
  EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT tiny 0 ")) << context;
  auto tiny = console_section(run.console, "tiny.metrics");
  ASSERT_TRUE(tiny && !tiny->empty()) << context;
  auto tj = nlohmann::json::parse(tiny->back(), nullptr, false);
  ASSERT_FALSE(tj.is_discarded()) << tiny->back();
  ASSERT_TRUE(tj.contains("sources") && tj["sources"].size() == 1) << tj.dump();
  EXPECT_EQ(tj["sources"][0].value("name", ""), "kmod") << tj.dump();
  EXPECT_GT(tj["sources"][0]["drops"].value("buffer_full", 0), 0) << tj.dump();
  // The module also counts them by the type of the record that did not fit
  // (Falco's drop categories come from this): the burst is cat's openat,
  // read and close of 400 files, and those are the records that were lost.
  const nlohmann::json by_type = tj["sources"][0].value("buffer_full_by_type", nlohmann::json::object());
  uint64_t typed = 0;
  for (const auto& [type, n] : by_type.items()) typed += n.get<uint64_t>();
  EXPECT_GT(typed, 0u) << tj.dump();
  EXPECT_GT(by_type.value("openat", 0) + by_type.value("close", 0) + by_type.value("read", 0), 0) << tj.dump();
  EXPECT_GT(tj["sources"][0].value("events", 0), 10) << tj.dump();
  // A ring the head goes round twice (in place and through the scratch):
  // every record of the burst arrives intact or is counted as lost. The
  // exit summary ("Source kmod: N events, dropped D (reason...)...") comes
  // after SIGTERM drained the rings.
  ASSERT_TRUE(console_marker(run.console, "CAPTURING wrap")) << context;
  EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT wrap 0 ")) << context;
  auto wrap_err = console_section(run.console, "wrap.err");
  ASSERT_TRUE(wrap_err) << context;
  std::string wrap_text;
  for (const auto& line : *wrap_err) wrap_text += line + "\n";
  EXPECT_EQ(wrap_text.find("corrupt"), std::string::npos) << wrap_text;
  std::smatch wm;
  ASSERT_TRUE(std::regex_search(wrap_text, wm, std::regex("Source kmod: ([0-9]+) events([^\n]*)"))) << wrap_text;
  const uint64_t wrap_events = std::stoull(wm[1]);
  uint64_t wrap_lost = 0;
  const std::string wrap_rest = wm[2];
  EXPECT_EQ(wrap_rest.find("failed"), std::string::npos) << wrap_text;
  // N counts what left the rings (queue_full and dropped_at_exit among
  // them); what the module lost (buffer_full ...) comes on top.
  static const std::regex kDropped("dropped ([0-9]+) \\((\\w+)");
  for (auto it = std::sregex_iterator(wrap_rest.begin(), wrap_rest.end(), kDropped); it != std::sregex_iterator(); ++it)
    if ((*it)[2] != "queue_full" && (*it)[2] != "dropped_at_exit") wrap_lost += std::stoull((*it)[1]);
  // 5 x 400 files, each an openat and a close (busybox cat copies with
  // sendfile, not read; -A adds the rest of what runs).
  EXPECT_GE(wrap_events + wrap_lost, 4000u) << wrap_text;
  EXPECT_GT(wrap_events, 131072u / 64) << "fewer records than fill the ring once: " << wrap_text;
  // And the module unloads once no collector holds it.
  EXPECT_TRUE(console_marker(run.console, "RMMOD 0 ")) << context;
  // Not while one does: refused (in use), the module stays, capture went on
  // (the kmod run's alerts above came after this).
  auto attached = console_marker(run.console, "RMMOD ATTACHED ");
  ASSERT_TRUE(attached) << context;
  EXPECT_FALSE(attached->starts_with("KESTREL-VM: RMMOD ATTACHED 0 ")) << *attached << context;
  EXPECT_TRUE(console_marker(run.console, "MODULE STILL LOADED")) << context;
  auto attached_err = console_section(run.console, "rmmod-attached.err");
  ASSERT_TRUE(attached_err && !attached_err->empty()) << context;
  EXPECT_TRUE(std::regex_search(attached_err->front(), std::regex("in use|busy|temporarily unavailable")))
      << attached_err->front();
  // A collector killed mid-capture lets go of the device as it dies.
  EXPECT_TRUE(console_marker(run.console, "REINSMOD 0 ")) << context;
  EXPECT_TRUE(console_marker(run.console, "CAPTURING killed")) << context;
  EXPECT_TRUE(console_marker(run.console, "COLLECTOR EXIT killed 137 ")) << context;
  EXPECT_TRUE(console_marker(run.console, "RMMOD AFTER SIGKILL 0 ")) << context;

  // The module's records of the kmod run, replayed through kmod_records.yaml.
  auto replay = [&](const std::string& name) {
    EXPECT_TRUE(console_marker(run.console, "REPLAY EXIT " + name + " 0 ")) << context;
    std::vector<std::string> out;
    auto lines = console_section(run.console, name + ".records");
    EXPECT_TRUE(lines) << context;
    if (lines)
      for (const auto& r : json_lines(*lines)) out.push_back(alert_message(r));
    return out;
  };
  std::vector<std::string> outputs = replay("kmod");
  // The root's controllers, and what /kestrel and /kestrel/nc enable.
  ASSERT_EQ(cgroup_controllers.size(), 3u) << context;
  auto enabled = [&](const std::string& cg, const std::string& c) {
    const auto& list = cgroup_controllers[cg];
    return std::find(list.begin(), list.end(), c) != list.end();
  };
  ASSERT_TRUE(enabled("/kestrel", "memory") && enabled("/kestrel/nc", "pids") && !enabled("/kestrel/nc", "memory"))
      << context;
  auto expect_cgroups_per_controller = [&](const std::vector<std::string>& records, const std::string& source) {
    SCOPED_TRACE(source);
    const std::regex exec_re("exec res=SUCCESS exe=/bin/sh args=-c echo shell-from-nc .* cgroups=(.*) tty=.*");
    std::smatch em;
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const std::string& r) { return std::regex_match(r, em, exec_re); });
    ASSERT_NE(it, records.end()) << context;
    std::map<std::string, std::string> got;  // subsystem -> path
    std::istringstream entries(em[1].str());
    for (std::string e; entries >> e;) {
      const size_t eq = e.find('=');
      ASSERT_NE(eq, std::string::npos) << e;
      EXPECT_TRUE(got.emplace(e.substr(0, eq), e.substr(eq + 1)).second) << e << " listed twice";
    }
    // Each controller of the hierarchy at the deepest level enabling it,
    // as libscap's walk up cgroup.controllers finds it.
    for (const std::string& c : cgroup_controllers["/"]) {
      const std::string want = enabled("/kestrel/nc", c) ? "/kestrel/nc" : enabled("/kestrel", c) ? "/kestrel" : "/";
      EXPECT_EQ(got[c], want) << c << " in " << em[1].str();
    }
  };
  expect_cgroups_per_controller(outputs, "kmod");
  auto seen = [&](const std::string& re) {
    for (const auto& o : outputs)
      if (std::regex_match(o, std::regex(re))) return true;
    return false;
  };
  std::string all;
  for (const auto& o : outputs) all += o + "\n";
  // exe is argv[0] as in Falco; exepath the resolved image; the fork child
  // ran in /srv (cd in the script) as root.
  EXPECT_TRUE(seen("exec res=SUCCESS exe=/bin/sh args=-c echo shell-from-nc cmdline=sh -c echo shell-from-nc exepath=" +
                   sh_exepath + " cwd=/srv comm=sh uid=0 euid=0 pid_is_tid=[0-9]+ cgroups=[a-z_]+=/.*"))
      << all;
  EXPECT_TRUE(seen("child (clone|clone3|fork|vfork) res=0 comm=nc")) << all;
  EXPECT_TRUE(seen("exec failed res=ENOENT exe=/nonexistent/prog args=a1 a2 exepath=<NA> comm=sh")) << all;
  EXPECT_TRUE(seen("open name=/etc/shadow ino=" + shadow_ino + " fd_ok=false")) << all;
  EXPECT_TRUE(seen("module syscall finit_module rawres=0 proc=module_loader cmdline=module_loader finit "
                   "/modules/crc7.ko"))
      << all;
  EXPECT_TRUE(seen(R"(connect res=SUCCESS tuple=127\.0\.0\.1:[0-9]+->127\.0\.0\.1:8080)")) << all;
  EXPECT_TRUE(seen("unlink (unlink|unlinkat) res=SUCCESS args=.*(path|name)=/tmp/kestrel-unlink-me.*")) << all;
  EXPECT_TRUE(seen("procexit status=0")) << all;

  // Same workload, same rules over the eBPF probe's records: the same
  // lines, but for what differs between runs (pids, ports, the module).
  auto normalized = [](std::vector<std::string> lines) {
    for (auto& l : lines) {
      l = std::regex_replace(l, std::regex("pid_is_tid=[0-9]+"), "pid_is_tid=N");
      l = std::regex_replace(l, std::regex("127\\.0\\.0\\.1:[0-9]+->"), "127.0.0.1:N->");
      l = std::regex_replace(l, std::regex("/modules/crc[0-9]+\\.ko"), "/modules/M.ko");
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto ebpf_outputs = replay("ebpf");
  EXPECT_FALSE(ebpf_outputs.empty()) << context;
  expect_cgroups_per_controller(ebpf_outputs, "ebpf");
  EXPECT_EQ(normalized(outputs), normalized(ebpf_outputs));

  // Every record the module wrote (the kmod run's capture, brought out of
  // the VM base64-encoded) conforms to the ABI and the table.
  auto b64 = console_section(run.console, "kmod.kcap.gz.b64");
  ASSERT_TRUE(b64) << context;
  const std::string kcap = std::string(VM_WORK_DIR) + "/kmod.kcap.gz";
  {
    std::vector<uint8_t> bytes = base64_decode(*b64);
    ASSERT_FALSE(bytes.empty()) << context;
    FILE* f = std::fopen(kcap.c_str(), "wb");
    ASSERT_NE(f, nullptr) << kcap;
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  kcap::KcapReader reader;
  Status opened = reader.open(kcap);
  ASSERT_TRUE(opened.ok()) << opened.to_string();
  std::vector<EventView> views;
  size_t checked = 0, nonconforming = 0;
  std::string first_problems;
  for (;;) {
    auto r = reader.next_batch(views);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    if (*r == kcap::BatchOutcome::kEnd) break;
    for (const EventView& v : views) {
      auto problems = test::record_problems(v);
      ++checked;
      if (problems.empty()) continue;
      if (nonconforming++ < 5) first_problems += test::describe_problems(problems);
    }
  }
  EXPECT_GT(checked, 10u);
  EXPECT_EQ(nonconforming, 0u) << "of " << checked << " module records; the first:\n" << first_problems;
  std::printf("kmod records checked for conformance: %zu\n", checked);

  std::printf("kmod timings: module build %.1fs, VM host wall %.1fs\n", build_s, run.wall_s);
  std::printf("%s", run.harness.c_str());
  RecordProperty("module_build_s", std::to_string(build_s));
  RecordProperty("vm_wall_s", std::to_string(run.wall_s));
}

}  // namespace
}  // namespace kestrel::testing
