// subprocess.h — runs a host tool (apt-get, dpkg-deb, make, modinfo) with an
// argument vector, never through a shell, and captures what it prints.
//
// Every external step of a build goes through run_process so a failure is
// reported with the command line, its exit status and its last output lines.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "driverkit/last_lines.h"

namespace kestrel::driverkit {

struct ProcessResult {
  int exit_code = 0;   // the tool's exit status; 128+N when killed by signal N
  std::string output;  // stdout and stderr interleaved, as printed
};

struct RunOptions {
  std::string cwd;                  // "" = the caller's working directory
  bool merge_stderr = true;         // false: stderr is discarded (stdout only)
};

// Runs argv[0] (searched as find_program does) with argv. A Status only when the tool
// could not be started at all; a non-zero exit is a ProcessResult.
Result<ProcessResult> run_process(const std::vector<std::string>& argv, const RunOptions& options = {});

// "apt-get download a b" — a command line for messages.
std::string command_line(const std::vector<std::string>& argv);

// The path of NAME in PATH (then /usr/sbin, /sbin), or "" when there is none.
std::string find_program(const std::string& name);


}  // namespace kestrel::driverkit
