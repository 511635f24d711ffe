#include "gvisor/runsc_command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace kestrel::gvisor {

namespace {

// PATH lookup in the parent: after fork only async-signal-safe calls are
// allowed, so the child gets a ready path for execv.
std::string resolve(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

void close_pair(int p[2]) {
  if (p[0] >= 0) ::close(p[0]);
  if (p[1] >= 0) ::close(p[1]);
}

}  // namespace

Result<CommandResult> run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
  if (argv.empty()) return Status(StatusCode::kInvalidArgument, "run_command: empty argv");
  std::string exe = resolve(argv[0]);
  if (exe.empty()) return Status(StatusCode::kNotFound, "'" + argv[0] + "' is not in PATH");
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int out[2] = {-1, -1}, err[2] = {-1, -1}, gate[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(gate, O_CLOEXEC) != 0) {
    Status s(StatusCode::kUnavailable, std::string("pipe: ") + std::strerror(errno));
    close_pair(out), close_pair(err), close_pair(gate);
    return s;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    Status s(StatusCode::kUnavailable, std::string("fork: ") + std::strerror(errno));
    close_pair(out), close_pair(err), close_pair(gate);
    return s;
  }
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::close(gate[1]);  // else the child itself keeps the gate open
    char c;
    while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::execv(exe.c_str(), args.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  ::close(gate[0]);
  if (options.before_start) options.before_start(pid);
  ::close(gate[1]);  // EOF at the gate: the child execs

  CommandResult r;
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_streams = 2;
  char buf[65536];
  while (open_streams > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && n > 0; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative fds
        --open_streams;
        continue;
      }
      size_t room = options.max_output - std::min(options.max_output, sinks[i]->size());
      if (static_cast<size_t>(got) > room) r.truncated = true;
      sinks[i]->append(buf, std::min(room, static_cast<size_t>(got)));
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) ::close(p.fd);
  if (r.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  // Both streams closed does not mean the child exited; give it until the
  // deadline, then kill it.
  for (;;) {
    pid_t w = ::waitpid(pid, &status, r.timed_out ? 0 : WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (w == 0 && std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      continue;
    }
    if (w == 0) ::usleep(2000);
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string describe_failure(const CommandResult& r, std::chrono::milliseconds timeout) {
  if (r.timed_out) return "timed out after " + std::to_string(timeout.count()) + " ms";
  std::string line = r.err.substr(0, r.err.find('\n'));
  if (line.empty()) line = r.out.substr(0, r.out.find('\n'));
  if (line.size() > 300) line.resize(300);
  return "exit " + std::to_string(r.exit_code) + (line.empty() ? "" : ": " + line);
}

}  // namespace kestrel::gvisor
