// output_sink.h — where formatted alerts go.
//
// A sink receives alerts on the single output thread (see
// alert_dispatcher.h), so implementations need no locking of their own.
// write() returns an error for a lost alert; the dispatcher counts it per
// sink and carries on — one failing sink never stops the others.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "engine/outputs/alert.h"
#include "sources/base/status.h"

namespace kestrel::engine {

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual std::string_view name() const = 0;
  // `line` is the alert in the configured wire form (text or JSON), no newline.
  virtual Status write(const Alert& alert, const std::string& line) = 0;
  virtual void flush() {}
  // Reopen files and connections (SIGHUP, for logrotate).
  virtual void reopen() {}
  // The sink's own counters for metrics (e.g. "retries", "dropped_queue_full",
  // "restarts"). Called from any thread: implementations make it safe.
  virtual std::map<std::string, uint64_t> counters() const { return {}; }
};

// Writes each line to a stream (stdout) and flushes it at once, so a
// reader piping kestrel sees alerts as they happen.
std::unique_ptr<OutputSink> make_stream_sink(std::ostream& out, std::string name = "stdout");

// Appends each line to a file. keep_alive=false opens and closes the file
// per alert (as Falco does); true keeps it open until reopen().
std::unique_ptr<OutputSink> make_file_sink(std::string path, bool keep_alive);

}  // namespace kestrel::engine
