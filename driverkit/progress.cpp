#include "driverkit/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

namespace kestrel::driverkit {

Progress::Progress(std::ostream& out, bool terminal)
    : out_(out), terminal_(terminal), start_(std::chrono::steady_clock::now()) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

static std::string stamp(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%6.1fs] ", s);
  return buf;
}

void Progress::end_line() {
  if (open_line_) out_ << (transient_ ? "\r\033[K" : "\n");
  open_line_ = false;
  transient_ = false;
}

void Progress::transient(const std::string& what) {
  if (!terminal_) return;
  end_line();
  step_ = what;
  out_ << stamp(seconds()) << what;
  open_line_ = true;
  transient_ = true;
  out_.flush();
}

void Progress::step(const std::string& what) {
  end_line();
  step_ = what;
  out_ << stamp(seconds()) << what;
  if (terminal_) {
    open_line_ = true;
  } else {
    out_ << "\n";
  }
  out_.flush();
}

void Progress::update(const std::string& detail) {
  if (!terminal_) return;
  // \033[K clears what a longer previous update left on the line.
  out_ << "\r" << stamp(seconds()) << step_ << " " << detail << "\033[K";
  open_line_ = true;
  out_.flush();
}

void Progress::note(const std::string& line) {
  end_line();
  out_ << stamp(seconds()) << line << "\n";
  out_.flush();
}

MatrixProgress::MatrixProgress(std::ostream& out, bool terminal, size_t total, size_t columns)
    : out_(out), terminal_(terminal), total_(total), columns_(columns), start_(std::chrono::steady_clock::now()) {}

void MatrixProgress::line_locked(const std::string& line) {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (bar_shown_) out_ << "\r\033[K";
  out_ << stamp(s) << line << "\n";
  bar_shown_ = false;
  draw_locked();
}

void MatrixProgress::draw_locked() {
  if (!terminal_) {
    out_.flush();
    return;
  }
  constexpr size_t kWidth = 20;
  size_t filled = total_ == 0 ? kWidth : done_ * kWidth / total_;
  std::string bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
                    std::to_string(done_) + "/" + std::to_string(total_) + " done, " + std::to_string(failed_) +
                    " failed, " + std::to_string(total_ - done_) + " remaining";
  if (!current_.empty()) bar += " | " + current_;
  // One terminal line: a wrapped bar could not be rewritten with \r.
  struct winsize ws {};
  size_t columns = columns_ != 0                                                ? columns_
                   : ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col
                                                                                 : 80;
  if (bar.size() >= columns) bar = bar.substr(0, columns > 4 ? columns - 4 : 0) + "...";
  out_ << "\r" << bar << "\033[K";
  bar_shown_ = true;
  out_.flush();
}

void MatrixProgress::started(const std::string& kernel) {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = kernel + ": starting";
  line_locked(kernel + ": started");
}

void MatrixProgress::activity(const std::string& kernel, const std::string& what) {
  std::string shown = what;
  if (shown.starts_with("verify: ")) shown.erase(0, 8);
  if (shown.starts_with("[") && shown.find("s] ") != std::string::npos && shown.find("s] ") < 12)
    shown.erase(0, shown.find("s] ") + 3);
  std::lock_guard<std::mutex> lock(mu_);
  current_ = kernel + ": " + shown;
  if (terminal_) draw_locked();
}

void MatrixProgress::finished(const std::string& kernel, const std::string& result, bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  if (failed) ++failed_;
  if (current_.starts_with(kernel + ":")) current_.clear();
  line_locked(kernel + ": " + result);
}

void MatrixProgress::note(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  line_locked(line);
}

void MatrixProgress::close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (bar_shown_) out_ << "\r\033[K";
  bar_shown_ = false;
  out_.flush();
}

bool is_terminal(int fd) { return isatty(fd) == 1; }

}  // namespace kestrel::driverkit
