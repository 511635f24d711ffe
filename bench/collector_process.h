// collector_process.h — the real kestrel binary as a child of a benchmark:
// started with the arguments given, ready once it logs "kestrel: capturing",
// stopped with SIGTERM, its stderr (the --stats summary) handed back. The
// child is killed on every exit path (the destructor) and keeps none of the
// benchmark's descriptors.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kestrel::bench {

class CollectorProcess {
 public:
  // Starts `argv` (argv[0] the binary) with stdout to /dev/null and stderr
  // to `stderr_path`. False (and the reason on stderr) if it cannot.
  bool start(const std::vector<std::string>& argv, const std::string& stderr_path) {
    stderr_path_ = stderr_path;
    pid_ = ::fork();
    if (pid_ < 0) {
      std::perror("collector_process: fork");
      return false;
    }
    if (pid_ == 0) {
      int out = ::open("/dev/null", O_WRONLY);
      int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
      ::close_range(3, ~0U, 0);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return true;
  }

  // Waits up to `timeout` for the collector to start capturing.
  bool wait_capturing(std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (stderr_text().find("kestrel: capturing") != std::string::npos) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // SIGTERM, wait for its summary, and return its stderr.
  std::string stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    return stderr_text();
  }

  std::string stderr_text() const {
    std::ifstream in(stderr_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  ~CollectorProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
  std::string stderr_path_;
};

}  // namespace kestrel::bench
