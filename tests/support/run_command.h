// run_command.h — runs a shell command for a test and returns what it
// printed on stdout (add 2>&1 to the command for stderr too).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <utility>

namespace kestrel::testing {

// {exit code, stdout}; the exit code is -1 if the command did not exit
// normally (killed by a signal) or could not be started.
inline std::pair<int, std::string> run_command(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed: " + cmd};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::move(out)};
}

}  // namespace kestrel::testing
