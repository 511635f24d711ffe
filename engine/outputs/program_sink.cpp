#include "engine/outputs/program_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace kestrel::engine {
namespace {

// Writes all of `data` to `fd` with SIGPIPE blocked on this thread; a
// pending SIGPIPE raised by the write is consumed so it never reaches the
// process. Returns 0 or the errno of the failure.
int write_all_no_sigpipe(int fd, const std::string& data) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  int error = 0;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (error == EPIPE) {
    const struct timespec zero {};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return error;
}

class ProgramSink : public OutputSink {
 public:
  ProgramSink(std::string program, bool keep_alive) : program_(std::move(program)), keep_alive_(keep_alive) {}
  ~ProgramSink() override { close_child(); }
  std::string_view name() const override { return "program"; }

  Status write(const Alert&, const std::string& line) override {
    const std::string data = line + "\n";
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (pid_ > 0 && child_exited()) {
        ::close(fd_);
        fd_ = -1;
        ++restarts_;
      }
      if (fd_ < 0)
        if (Status s = start(); !s.ok()) return s;
      int error = write_all_no_sigpipe(fd_, data);
      if (error == 0) {
        if (!keep_alive_) close_child();
        return ok_status();
      }
      close_child();
      if (error != EPIPE)
        return Status(StatusCode::kUnavailable, "program output: write failed: " + std::string(std::strerror(error)));
    }
    return Status(StatusCode::kUnavailable, "program output: '" + program_ + "' exits before reading its input");
  }

  void flush() override { close_child(); }
  void reopen() override { close_child(); }
  std::map<std::string, uint64_t> counters() const override { return {{"restarts", restarts_}}; }

 private:
  Status start() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      return Status(StatusCode::kUnavailable, "program output: pipe: " + std::string(std::strerror(errno)));
    pid_t pid = fork();
    if (pid < 0) {
      int e = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      return Status(StatusCode::kUnavailable, "program output: fork: " + std::string(std::strerror(e)));
    }
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      dup2(fds[0], STDIN_FILENO);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGPIPE, SIG_DFL);
      execl("/bin/sh", "sh", "-c", program_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ::close(fds[0]);
    fd_ = fds[1];
    pid_ = pid;
    return ok_status();
  }

  bool child_exited() {
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return true;
    }
    return false;
  }

  // Closing stdin lets the command finish; wait for it so nothing is left
  // behind and its output is complete when the sink is flushed.
  void close_child() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (pid_ > 0) {
      int status;
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = -1;
  }

  std::string program_;
  bool keep_alive_;
  int fd_ = -1;
  pid_t pid_ = -1;
  std::atomic<uint64_t> restarts_{0};
};

}  // namespace

std::unique_ptr<OutputSink> make_program_sink(std::string program, bool keep_alive) {
  return std::make_unique<ProgramSink>(std::move(program), keep_alive);
}

}  // namespace kestrel::engine
