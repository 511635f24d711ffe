// log_route.h — where Kestrel's own log lines go: log_stderr, log_syslog
// and log_level, as falco.yaml's keys.
//
// A streambuf in front of the log stream's: it gathers each line, gives it
// a severity, drops it when less severe than log_level, and writes it to
// stderr (the wrapped streambuf) when log_stderr and to syslog (ident
// kestrel) when log_syslog. Kestrel's log lines carry no level field, so
// the severity is read from the words they use: a line saying "warning" is
// a warning, one saying "error", "failed" or "cannot" an error, the rest
// informational. Since that reading can miss, a run that fails gets its
// last held-back line written to stderr anyway (emit_held_back()), so the
// reason for a non-zero exit is never filtered away. Used by one thread
// at a time, like the stream it wraps.
#pragma once

#include <streambuf>
#include <string>

namespace kestrel {

struct LogRouting {
  bool to_stderr = true;
  bool to_syslog = false;
  int min_level = 6;  // syslog level (LOG_INFO); lines above it (less severe) are dropped
};

// The syslog level of a Falco priority / log_level name ("warning" -> 4).
int log_level_of(const std::string& priority_name);

// The syslog level Kestrel gives a log line (see above).
int log_line_level(const std::string& line);

class LogRouteBuf : public std::streambuf {
 public:
  LogRouteBuf(std::streambuf* target, LogRouting routing);
  ~LogRouteBuf() override;
  // Writes the last line log_level or log_stderr held back (if any) to
  // the wrapped streambuf: for a run about to exit with an error.
  void emit_held_back();

 protected:
  int overflow(int c) override;
  int sync() override;

 private:
  void emit();
  std::streambuf* target_;
  LogRouting routing_;
  std::string line_;
  std::string held_back_;  // the last line not written to stderr
};

}  // namespace kestrel
