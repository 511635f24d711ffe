// progress.h — what a build is doing, for a person watching or a log.
//
// On a terminal a step's progress rewrites one line with carriage returns
// ("downloading linux-headers-… 3.1/10.5 MB"); anywhere else (CI logs, a
// pipe) only whole lines are written, one per step and one when it ends,
// so logs stay readable. Every line carries the seconds since the start.
#pragma once

#include <chrono>
#include <mutex>
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

// The matrix's view of many builds at once (called from several threads).
// Every kernel's start and result is a line that stays; on a terminal a
// bar under them is rewritten in place:
//   [#######.............] 7/20 done, 1 failed, 13 remaining | 6.1.0-57-amd64: compiling kestrel.ko ...
// Anywhere else only the lines are written, never the bar. The bar is cut
// to the terminal's width (a wrapped line cannot be rewritten with \r).
class MatrixProgress {
 public:
  // COLUMNS: the bar's width limit; 0 = stderr's terminal width (80 when unknown).
  MatrixProgress(std::ostream& out, bool terminal, size_t total, size_t columns = 0);
  void started(const std::string& kernel);
  // What KERNEL is doing now (its build's step); shown on the bar only.
  // A leading "[  12.3s] " or "verify: " of a log line is dropped.
  void activity(const std::string& kernel, const std::string& what);
  void finished(const std::string& kernel, const std::string& result, bool failed);
  void note(const std::string& line);
  // Clears the bar (the summary table follows).
  void close();

 private:
  void line_locked(const std::string& line);
  void draw_locked();
  std::mutex mu_;
  std::ostream& out_;
  bool terminal_;
  size_t total_, columns_, done_ = 0, failed_ = 0;
  std::string current_;  // "kernel: step" of the latest activity
  bool bar_shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

// Whether FD (stdout/stderr) is a terminal.
bool is_terminal(int fd);

}  // namespace kestrel::driverkit
