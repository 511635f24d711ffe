#include "outputs/program_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace kestrel::engine {
namespace {

using Clock = std::chrono::steady_clock;

// How often a blocked write or wait looks at cancel().
constexpr auto kSlice = std::chrono::milliseconds(50);

int slice_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(kSlice)).count());
}

// Blocks SIGPIPE on this thread for its lifetime; a SIGPIPE a failed write
// raised is consumed before the mask is restored, so it never reaches the
// process.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_set_);
  }
  ~SigpipeBlock() {
    const struct timespec zero {};
    while (sigtimedwait(&pipe_set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set_, nullptr);
  }

 private:
  sigset_t pipe_set_, old_set_;
};

class ProgramSink : public OutputSink {
 public:
  ProgramSink(std::string program, bool keep_alive, std::chrono::milliseconds timeout)
      : program_(std::move(program)), keep_alive_(keep_alive), timeout_(timeout) {}
  ~ProgramSink() override { close_child(Clock::now() + timeout_); }
  std::string_view name() const override { return "program"; }

  Status write(const Alert&, const std::string& line) override {
    const std::string data = line + "\n";
    const auto deadline = Clock::now() + timeout_;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (cancelled_.load()) return Status(StatusCode::kUnavailable, "program output: shutting down");
      if (pid_ > 0 && child_exited()) {
        ::close(fd_);
        fd_ = -1;
        ++restarts_;
      }
      if (fd_ < 0)
        if (Status s = start(); !s.ok()) return s;
      int error = write_all(data, deadline);
      if (error == 0) {
        if (keep_alive_ || close_child(deadline)) return ok_status();
        return timed_out("did not exit within");
      }
      if (error == ETIMEDOUT) return timed_out("did not read its input within");
      kill_child();
      if (error == ECANCELED) return Status(StatusCode::kUnavailable, "program output: shutting down");
      if (error != EPIPE)
        return Status(StatusCode::kUnavailable, "program output: write failed: " + std::string(std::strerror(error)));
      ++restarts_;  // the reader went away: the line is retried on a fresh process
    }
    return Status(StatusCode::kUnavailable, "program output: '" + program_ + "' exits before reading its input");
  }

  void flush() override { close_child(Clock::now() + timeout_); }
  void reopen() override { close_child(Clock::now() + timeout_); }
  void cancel() override { cancelled_.store(true); }
  std::map<std::string, uint64_t> counters() const override {
    return {{"restarts", restarts_.load()}, {"timeouts", timeouts_.load()}};
  }

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
      // Child: only async-signal-safe calls until exec. Its own process
      // group, so a time-out kills the shell and whatever it started.
      setpgid(0, 0);
      dup2(fds[0], STDIN_FILENO);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGPIPE, SIG_DFL);
      execl("/bin/sh", "sh", "-c", program_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(pid, pid);  // also here: whichever of the two runs first
    ::close(fds[0]);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    fd_ = fds[1];
    pid_ = pid;
    return ok_status();
  }

  // 0, or the errno of the failure: ETIMEDOUT at the deadline, ECANCELED
  // after cancel().
  int write_all(const std::string& data, Clock::time_point deadline) {
    SigpipeBlock no_sigpipe;
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n >= 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return errno;
      if (cancelled_.load()) return ECANCELED;
      if (Clock::now() >= deadline) return ETIMEDOUT;
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, slice_ms(deadline));
    }
    return 0;
  }

  Status timed_out(const char* what) {
    kill_child();
    ++timeouts_;
    ++restarts_;
    return Status(StatusCode::kUnavailable, "program output: '" + program_ + "' " + what + " " +
                                                     std::to_string(timeout_.count()) +
                                                     " ms; killed, the next alert starts it again");
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

  void kill_child() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  // Closing stdin lets the command finish; wait for it (until `deadline`)
  // so its output is complete when the sink is flushed. False: it did not
  // exit in time and was killed.
  bool close_child(Clock::time_point deadline) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (pid_ <= 0) return true;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    while (!child_exited()) {
      if (cancelled_.load() || Clock::now() >= deadline) {
        kill_child();
        if (pidfd >= 0) ::close(pidfd);
        return false;
      }
      if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        ::poll(&p, 1, slice_ms(deadline));
      } else {
        ::usleep(1000);
      }
    }
    if (pidfd >= 0) ::close(pidfd);
    return true;
  }

  std::string program_;
  bool keep_alive_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  pid_t pid_ = -1;
  std::atomic<bool> cancelled_{false};
  std::atomic<uint64_t> restarts_{0}, timeouts_{0};
};

}  // namespace

std::unique_ptr<OutputSink> make_program_sink(std::string program, bool keep_alive, std::chrono::milliseconds timeout) {
  return std::make_unique<ProgramSink>(std::move(program), keep_alive, timeout);
}

}  // namespace kestrel::engine
