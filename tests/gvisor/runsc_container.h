// runsc_container.h — a real runsc container started WITHOUT a pod-init
// config (so it does not connect to any monitor by itself), for tests of
// attaching to sandboxes that were already running.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "gvisor/runsc_command.h"

namespace kestrel::gvisor::testing {

inline constexpr const char* kRunscPath = "/usr/bin/runsc";

// The OCI runtime spec of a test sandbox: the host's / read-only as its
// rootfs, its own pid/network/ipc/uts/mount namespaces, /proc and a tmpfs
// /tmp, running `/bin/sh -c script` as root in /tmp.
inline nlohmann::json sandbox_spec(const std::string& script) {
  return {{"ociVersion", "1.0.0"},
          {"process", {{"terminal", false}, {"user", {{"uid", 0}, {"gid", 0}}},
                       {"args", {"/bin/sh", "-c", script}}, {"env", {"PATH=/usr/bin:/bin"}}, {"cwd", "/tmp"}}},
          {"root", {{"path", "/"}, {"readonly", true}}},
          {"hostname", "kestrel"},
          {"mounts", {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                      {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"}}}},
          {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}},
                                     {{"type", "uts"}}, {{"type", "mount"}}}}}}};
}

class RunscContainer {
 public:
  // `runsc --root DIR/root --network=none run --bundle DIR/bundle ID` with
  // the host's / read-only as rootfs, running /bin/sh -c script in /tmp.
  RunscContainer(const std::string& dir, const std::string& id, const std::string& script)
      : dir_(dir), root_(dir + "/root"), id_(id) {
    std::filesystem::create_directories(root_);
    std::string bundle = dir + "/bundle";
    std::filesystem::create_directories(bundle);
    std::ofstream(bundle + "/config.json") << sandbox_spec(script).dump();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open((dir + "/runsc.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::string root_flag = "--root=" + root_;
      execl(kRunscPath, kRunscPath, root_flag.c_str(), "--network=none", "run", "--bundle", bundle.c_str(),
            id.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~RunscContainer() {
    run_command({kRunscPath, "--root", root_, "kill", id_, "KILL"}, {});
    if (pid_ > 0) {
      for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(50000);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    run_command({kRunscPath, "--root", root_, "delete", "--force", id_}, {});
  }
  RunscContainer(const RunscContainer&) = delete;
  RunscContainer& operator=(const RunscContainer&) = delete;

  // Waits until runsc lists the container as running and `runsc ps` shows
  // its init has forked (two processes or more); false after 30 s.
  bool wait_running() {
    for (int i = 0; i < 150; ++i) {
      auto r = run_command({kRunscPath, "--root", root_, "list", "-format=json"}, {});
      if (r.ok() && r->out.find("\"running\"") != std::string::npos) {
        auto ps = run_command({kRunscPath, "--root", root_, "ps", "-format=json", id_}, {});
        auto procs = ps.ok() ? nlohmann::json::parse(ps->out, nullptr, false) : nlohmann::json();
        if (procs.is_array() && procs.size() >= 2) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  // `runsc exec ID argv...` inside the container.
  Result<CommandResult> exec(std::vector<std::string> argv) {
    std::vector<std::string> full = {kRunscPath, "--root", root_, "exec", id_};
    full.insert(full.end(), argv.begin(), argv.end());
    return run_command(full, {});
  }
  std::string log() const {
    std::ifstream in(dir_ + "/runsc.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  const std::string& root() const { return root_; }
  const std::string& id() const { return id_; }

 private:
  std::string dir_, root_, id_;
  pid_t pid_ = -1;
};

}  // namespace kestrel::gvisor::testing
