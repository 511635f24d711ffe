// The two kernel module rules cannot be proven live on a kernel built
// without module support (no init_module/finit_module syscalls, so no
// tracepoints: default_rules_live_test skips them there and says so).
// Until a machine with modules runs that live test, this replays through
// the real binary (-e) the records the eBPF probe writes for those
// syscalls, built here with EventBuilder from what a real loader does:
// an unknown program loads a module (finit_module succeeds), another is
// refused (init_module returns EPERM), and modprobe loads one (allowed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "sources/capture/kcap_writer.h"
#include "sources/event/event_builder.h"
#include "tests/rules/trigger_tree.h"
#include "tests/support/kestrel_collector.h"

namespace kestrel::testing {
namespace {

constexpr uint64_t kT0 = 1764417418000000000ull;

ThreadInfo process(int64_t pid, std::string comm, std::string exepath) {
  ThreadInfo t;
  t.tid = t.pid = pid;
  t.ptid = 1;
  t.comm = t.exe = comm;
  t.exepath = exepath;
  t.cwd = "/root";
  return t;
}

std::vector<uint8_t> finit_module(uint64_t ts, int64_t pid, int64_t res) {
  return EventBuilder(KE_FINIT_MODULE, ts, static_cast<uint32_t>(pid), static_cast<uint32_t>(pid))
      .put_int(KPARAM(FINIT_MODULE, res), res)
      .put_int(KPARAM(FINIT_MODULE, fd), 3)
      .put_str(KPARAM(FINIT_MODULE, uargs), "")
      .put_int(KPARAM(FINIT_MODULE, flags), 0)
      .finish_or_throw();
}

std::vector<uint8_t> init_module(uint64_t ts, int64_t pid, int64_t res) {
  return EventBuilder(KE_INIT_MODULE, ts, static_cast<uint32_t>(pid), static_cast<uint32_t>(pid))
      .put_int(KPARAM(INIT_MODULE, res), res)
      .put_int(KPARAM(INIT_MODULE, length), 4096)
      .put_str(KPARAM(INIT_MODULE, uargs), "")
      .finish_or_throw();
}

TEST(KernelModuleRulesReplay, LoadedAndRefusedModulesRaiseTheirRules) {
  std::string path = "/tmp/kestrel-module-rules-" + std::to_string(getpid()) + ".kcap";
  {
    kcap::KcapWriter w;
    ASSERT_TRUE(w.open(path).ok());
    ASSERT_TRUE(w.write_header(kcap::KcapHeader{.producer = "test", .created_ns = kT0, .machine = {}}).ok());
    ASSERT_TRUE(w.write_snapshot({process(1, "systemd", "/usr/lib/systemd/systemd"),
                                  process(500, "rootkit_loader", "/root/rootkit_loader"),
                                  process(600, "modprobe", "/usr/sbin/modprobe")})
                    .ok());
    for (const auto& e : {finit_module(kT0 + 1, 500, 0), init_module(kT0 + 2, 500, -EPERM),
                          finit_module(kT0 + 3, 600, 0)})
      ASSERT_TRUE(w.append(e).ok());
    ASSERT_TRUE(w.close().ok());
  }

  Collector c;
  c.start({KESTREL_BINARY, "-e", path, "-o", "json_output=true", "-o", "rule_matching=all"});
  ASSERT_TRUE(c.wait_for_stderr("Events processed:", std::chrono::seconds(60))) << c.err;
  c.stop();
  unlink(path.c_str());

  auto alerts = c.alerts();
  ASSERT_EQ(alerts.size(), 2u) << c.out << c.err;
  EXPECT_TRUE(alert_matches(alerts[0], {"Kernel Module Loaded", "", "",
                                        {{"proc.name", "rootkit_loader"}, {"container.id", "host"}}}))
      << alerts[0].dump();
  EXPECT_EQ(alerts[0]["priority"], "Critical");
  EXPECT_TRUE(alert_matches(alerts[1], {"Kernel Module Load Attempt", "", "",
                                        {{"proc.name", "rootkit_loader"}, {"evt.res", "EPERM"}}}))
      << alerts[1].dump();
  EXPECT_EQ(alerts[1]["priority"], "Warning");
}

}  // namespace
}  // namespace kestrel::testing
