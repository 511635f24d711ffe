// progress.h — what a build is doing, for a person watching or a log.
//
// On a terminal a step's progress rewrites one line with carriage returns
// ("downloading linux-headers-… 3.1/10.5 MB"); anywhere else (CI logs, a
// pipe) only whole lines are written, one per step and one when it ends,
// so logs stay readable. Every line carries the seconds since the start.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace kestrel::driverkit {

class Progress {
 public:
  Progress(std::ostream& out, bool terminal);
  // A new step: "unpacking linux-kbuild-6.1".
  void step(const std::string& what);
  // A step shown only on a terminal, and erased by the next line: in a log
  // only the note that ends it appears ("fetching …" before "read …").
  void transient(const std::string& what);
  // Progress within the current step; written on a terminal only.
  void update(const std::string& detail);
  // A line that stays: warnings, results.
  void note(const std::string& line);
  double seconds() const;

 private:
  void end_line();
  std::ostream& out_;
  bool terminal_;
  bool open_line_ = false;  // a step line is being rewritten (terminal)
  bool transient_ = false;  // ... and is erased rather than kept when it ends
  std::string step_;
  std::chrono::steady_clock::time_point start_;
};

// Whether FD (stdout/stderr) is a terminal.
bool is_terminal(int fd);

}  // namespace kestrel::driverkit
