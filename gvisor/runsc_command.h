// runsc_command.h — runs one runsc subcommand with a deadline.
//
// Attaching to sandboxes that were already running (sandbox_attach.h) means
// asking the runsc CLI: `runsc list`, `runsc trace create`, `runsc trace
// procfs`. Each is a child process that may hang (a wedged sandbox does not
// answer its control socket), so every run has a deadline after which the
// child is killed, and its output is capped.
//
// The child is held at a gate between fork and exec until `before_start`
// has run with its pid: the caller can register "a connection from this pid
// is sandbox X" (MonitorServer::expect_peer) before the child can connect.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace kestrel::gvisor {

struct CommandResult {
  int exit_code = -1;      // WEXITSTATUS, or -1 if killed by a signal
  bool timed_out = false;  // killed (SIGKILL) at the deadline
  bool truncated = false;  // output beyond max_output was discarded
  std::string out, err;
};

struct CommandOptions {
  std::chrono::milliseconds timeout{10000};
  size_t max_output = 64u << 20;  // per stream
  // Runs in the parent with the child's pid before the child may exec.
  std::function<void(pid_t)> before_start;
};

// Runs argv[0] (an absolute path, or a name looked up in PATH) with `argv`.
// Errors only when the command could not be started (not found, fork or
// pipe failure); a non-zero exit or a timeout is a CommandResult.
Result<CommandResult> run_command(const std::vector<std::string>& argv, const CommandOptions& options);

// One line for logs: "exit 3: <first line of stderr>" / "timed out after 10s".
std::string describe_failure(const CommandResult& r, std::chrono::milliseconds timeout);

}  // namespace kestrel::gvisor
