// kestrel_collector.h — runs the real `kestrel` binary as a child process
// and collects what it prints, for live tests of the whole collector.
//
// Collector::start() forks and execs the binary with stdout and stderr on
// pipes; pump() reads whatever arrived; wait_for_stderr() waits for a
// progress line ("kestrel: capturing"); stop() sends SIGTERM and returns
// the exit code; alerts() parses stdout as JSON lines (-o json_output=true).
// Header-only so each live test binary links nothing extra but
// nlohmann_json and gtest.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace kestrel::testing {

struct Collector {
  using Clock = std::chrono::steady_clock;

  pid_t pid = -1;
  int out_fd = -1;  // its stdout: JSON alerts
  int err_fd = -1;  // its stderr: progress
  std::string out, err;

  // Forks and execs args[0] with args; gtest-fails on pipe/fork errors.
  void start(std::vector<std::string> args) {
    int out_pipe[2], err_pipe[2];
    ASSERT_EQ(pipe(out_pipe), 0);
    ASSERT_EQ(pipe(err_pipe), 0);
    pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      dup2(out_pipe[1], 1);
      dup2(err_pipe[1], 2);
      close_range(3, ~0U, 0);  // no inherited fd (the build lock's) outlives the test in the collector
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

  // Reads whatever is available from both pipes, waiting up to `ms`.
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

  // True once `text` appeared on stderr; false after `limit` or if the
  // collector exited without printing it.
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

  // Waits (up to `limit`) for the collector to exit by itself and drains
  // the pipes. Returns the exit code, -1 if it did not exit normally or in
  // time (then it is killed).
  int wait_exit(std::chrono::seconds limit) {
    int status = 0;
    auto end = Clock::now() + limit;
    while (pid > 0 && Clock::now() < end) {
      pump(50);
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        for (int i = 0; i < 20; ++i) pump(10);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
    }
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      pid = -1;
    }
    return -1;
  }

  // SIGTERM, then waits (up to 60 s) and drains the pipes. Returns the
  // exit code, -1 if it did not exit normally.
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

  // Every complete JSON line printed so far (a partial last line is left
  // for the next call).
  std::vector<nlohmann::json> alerts() const {
    std::vector<nlohmann::json> v;
    size_t end = out.rfind('\n');
    if (end == std::string::npos) return v;
    std::istringstream lines(out.substr(0, end));
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) v.push_back(nlohmann::json::parse(line));
    return v;
  }
};

}  // namespace kestrel::testing
