// The collector as `make run` starts it — the real binary, the embedded
// config and rules, the live eBPF source — must alert when someone reads
// /etc/shadow or when a process named nc spawns a shell. Runs as root on a
// kernel with BTF; fails (never skips) when the probe cannot load.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

struct Collector {
  pid_t pid = -1;
  int out_fd = -1;  // its stdout: JSON alerts
  int err_fd = -1;  // its stderr: progress
  std::string out, err;

  void start(std::vector<std::string> args) {
    int out_pipe[2], err_pipe[2];
    ASSERT_EQ(pipe(out_pipe), 0);
    ASSERT_EQ(pipe(err_pipe), 0);
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      dup2(out_pipe[1], 1);
      dup2(err_pipe[1], 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    out_fd = out_pipe[0];
    err_fd = err_pipe[0];
  }

  // Reads whatever is available from both pipes for up to `ms`.
  void pump(int ms) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (poll(fds, 2, ms) <= 0) return;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
    }
  }

  bool wait_for_stderr(const std::string& text, std::chrono::seconds limit) {
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (err.find(text) != std::string::npos) return true;
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        pump(100);
        return err.find(text) != std::string::npos;
      }
      pump(100);
    }
    return false;
  }

  int stop() {
    if (pid > 0) kill(pid, SIGTERM);
    int status = 0;
    auto end = Clock::now() + std::chrono::seconds(60);
    while (pid > 0 && Clock::now() < end) {
      pump(50);
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        break;
      }
    }
    for (int i = 0; i < 20; ++i) pump(10);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::vector<nlohmann::json> alerts() const {
    std::vector<nlohmann::json> v;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) v.push_back(nlohmann::json::parse(line));
    return v;
  }
};

void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

TEST(LiveCollector, AlertsOnShadowReadAndShellFromNc) {
  ASSERT_EQ(geteuid(), 0u) << "the live collector test needs root";
  std::string dir = "/tmp/kestrel_live_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  // A program named `nc` that forks a shell: a copy of bash runs a script,
  // so the shell's parent process is really called nc.
  run("cp /bin/bash " + dir + "/nc");

  Collector c;
  c.start({KESTREL_BINARY, "-o", "json_output=true", "-M", "120"});
  ASSERT_TRUE(c.wait_for_stderr("kestrel: capturing", std::chrono::seconds(90))) << c.err;

  run("cat /etc/shadow > /dev/null");
  run(dir + "/nc -c '/bin/sh -c \"exit 0\"; exit 0'");
  // Let the events cross the ring buffers and the engine.
  for (int i = 0; i < 30; ++i) c.pump(50);
  int code = c.stop();
  run("rm -r " + dir);
  ASSERT_EQ(code, 0) << c.err;

  bool shadow = false, nc_shell = false;
  for (const auto& a : c.alerts()) {
    if (a["rule"] == "Sensitive File Read By Untrusted Program" && a["output_fields"]["fd.name"] == "/etc/shadow" &&
        a["output_fields"]["proc.name"] == "cat") {
      shadow = true;
      EXPECT_EQ(a["priority"], "Warning");
      EXPECT_EQ(a["output_fields"]["container.id"], "host");
    }
    if (a["rule"] == "Shell Spawned By Network Service" && a["output_fields"]["proc.pname"] == "nc") {
      nc_shell = true;
      EXPECT_EQ(a["output_fields"]["proc.name"], "sh");
      EXPECT_EQ(a["priority"], "Critical");
    }
  }
  EXPECT_TRUE(shadow) << c.out << c.err;
  EXPECT_TRUE(nc_shell) << c.out << c.err;
  EXPECT_NE(c.err.find("Events processed:"), std::string::npos) << "SIGTERM must end with the summary";
}

}  // namespace
