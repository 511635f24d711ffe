// The whole forward path with a real guest: Debian's 6.1 kernel in qemu
// (TCG) runs Kestrel's eBPF source with --forward over virtio-serial; the
// qemu chardev is a unix socket the host Kestrel listens on
// (--listen-remote). The guest reads a secret: the host raises the rule's
// alert with vm.name (qemu's -name, found through the socket's peer pid),
// vm.id (qemu's -uuid) and the guest's kernel. The host then SIGKILLs
// qemu while the guest is busy and boots it again: the guest reconnects as
// a new stream (a new domain), the host counts the restart and the records
// lost with the killed guest, and the drop alarm raises its alert.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/vm/vm_run.h"

namespace kestrel::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

template <typename Pred>
bool wait_until(Pred p, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return p();
}

// The qemu whose command line names `needle` (our own socket path). Only a
// process whose program (argv[0]) is qemu counts: boot.sh runs qemu under
// `timeout`, whose command line names qemu and the socket too, and killing
// that one would orphan a running guest.
pid_t qemu_pid_naming(const std::string& needle) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = read_all(e.path().string() + "/cmdline");
    const std::string program = fs::path(cmd.substr(0, cmd.find('\0'))).filename();
    if (program.starts_with("qemu-system") && cmd.find(needle) != std::string::npos)
      return static_cast<pid_t>(std::stol(name));
  }
  return 0;
}

TEST(ForwardVm, GuestAlertsReachTheHostWithVmNameAndAKilledGuestsGapIsCounted) {
  const std::string work = VM_WORK_DIR;
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string sock = work + "/fwd.sock";
  const std::string src = KESTREL_SOURCE_DIR;
  const std::string rules = src + "/tests/remote/forward_vm_rules.yaml";

  // The host Kestrel: no syscall source of its own, the guests' streams only.
  const std::string host_out = work + "/host.alerts", host_err = work + "/host.err";
  pid_t host = fork();
  ASSERT_GE(host, 0);
  if (host == 0) {
    // Inherited fds (the heavy lock flock(1) holds for this test) must not
    // outlive the test in the host Kestrel.
    close_range(3, ~0U, 0);
    freopen(host_out.c_str(), "w", stdout);
    freopen(host_err.c_str(), "w", stderr);
    execl(KESTREL_BINARY, "kestrel", "-o", "engine.kind=none", "-o", "containers.enabled=false", "--listen-remote",
          ("unix://" + sock).c_str(), "-r", rules.c_str(), "-o", "json_output=true", "-o",
          "syscall_event_drops.threshold=0", "-o", "json_include_output_property=true", "--stats", "-u",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Whatever happens below (an ASSERT returns early), the host Kestrel ends with the test.
  struct KillAtExit {
    pid_t pid;
    ~KillAtExit() {
      if (pid > 0 && ::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
    }
  } host_guard{host};
  ASSERT_TRUE(wait_until([&] { return read_all(host_err).find("kestrel: capturing") != std::string::npos; }, 30s))
      << read_all(host_err);

  auto boot = [&](int keep_busy, const std::string& dir) {
    const std::string scenario = work + "/scenario-" + std::to_string(keep_busy) + ".sh";
    std::ofstream(scenario) << "KEEP_BUSY=" << keep_busy << "\n" << read_all(src + "/tests/remote/forward_vm_scenario.sh");
    VmOptions o;
    o.scenario = scenario;
    o.binaries = {KESTREL_BINARY};
    o.files = {{rules, "/etc/kestrel/forward_vm_rules.yaml"}};
    o.modules = {"drivers/virtio/virtio.ko",           "drivers/virtio/virtio_ring.ko",
                 "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
                 "drivers/virtio/virtio_pci.ko",       "drivers/char/virtio_console.ko"};
    o.kernel = "6.1.0-57-amd64";
    o.timeout_s = 240;
    o.work_dir = dir;
    o.qemu_args = {"-name", "guest=kestrel-guest", "-uuid", "5c1f5a3e-7d2b-4b8e-9f00-18aa1e5e0001",
                   "-device", "virtio-serial-pci", "-chardev", "socket,id=kfwd,path=" + sock,
                   "-device", "virtserialport,chardev=kfwd,name=org.kestrel.forward"};
    return o;
  };

  // Boot 1: wait for the host's alert, then kill the guest mid-stream.
  VmOptions first = boot(1, work + "/boot1");
  auto run1 = std::async(std::launch::async, [&] { return run_vm(first); });
  const bool alerted = wait_until([&] { return count(read_all(host_out), "VM secret read") >= 1; }, 200s);
  pid_t qemu = qemu_pid_naming(sock);
  std::this_thread::sleep_for(1500ms);  // the busy loop streams on
  if (qemu > 0) kill(qemu, SIGKILL);
  VmRun r1 = run1.get();
  ASSERT_TRUE(alerted) << "no alert on the host\nhost: " << tail(read_all(host_err)) << "\n"
                       << vm_failure_context(r1, first);
  ASSERT_GT(qemu, 0) << "did not find qemu to kill";
  // The kill ended that boot: no guest of ours outlives it.
  EXPECT_EQ(r1.exit_code, 128 + SIGKILL) << vm_failure_context(r1, first);
  EXPECT_EQ(qemu_pid_naming(sock), 0) << "the first guest's qemu still runs";
  EXPECT_TRUE(kernel_splats(r1.console).empty()) << vm_failure_context(r1, first);

  // Boot 2: the same VM again; it stops cleanly after its read.
  VmOptions second = boot(0, work + "/boot2");
  VmRun r2 = run_vm(second);
  EXPECT_EQ(r2.exit_code, 0) << vm_failure_context(r2, second);
  EXPECT_TRUE(wait_until([&] { return count(read_all(host_out), "VM secret read") >= 2; }, 20s))
      << read_all(host_out) << vm_failure_context(r2, second);
  kill(host, SIGINT);
  int status = 0;
  waitpid(host, &status, 0);
  host_guard.pid = 0;
  const std::string out = read_all(host_out), err = read_all(host_err);
  const std::string context = "\nhost stderr:\n" + tail(err) + "\nhost alerts:\n" + tail(out);

  // The alert, from the guest's domain, says which VM and which kernel.
  EXPECT_EQ(count(out, "VM secret read (vm=kestrel-guest vm_id=5c1f5a3e-7d2b-4b8e-9f00-18aa1e5e0001 "
                       "kernel=6.1.0-57-amd64 hypervisor=qemu"),
            2u)
      << context;
  EXPECT_NE(out.find("proc=cat"), std::string::npos) << context;
  // Two streams from one VM: one restart, records lost with the killed guest.
  EXPECT_NE(err.find("remote.kestrel-guest.restarts: 1"), std::string::npos) << context;
  EXPECT_NE(err.find("remote.kestrel-guest.connections: 2"), std::string::npos) << context;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex("dropped ([0-9]+) \\(gap:kestrel-guest"))) << context;
  EXPECT_GT(std::stoull(m[1]), 0u) << context;
  // ... and the drop alarm's alert, as for kernel drops.
  EXPECT_NE(out.find("Falco internal: syscall event drop"), std::string::npos) << context;
  EXPECT_NE(err.find("restarted"), std::string::npos) << context;
}

}  // namespace
}  // namespace kestrel::testing
