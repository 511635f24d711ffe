#include "driverkit/progress.h"

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

bool is_terminal(int fd) { return isatty(fd) == 1; }

}  // namespace kestrel::driverkit
