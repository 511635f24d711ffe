// output_sink.h — where formatted alerts go.
//
// Each sink receives alerts on its own worker thread (sink_worker.h), one at
// a time, so write/flush/reopen need no locking of their own. write()
// returns an error for a lost alert; the worker counts it and carries on —
// one failing or blocked sink never stops the others. A write may block
// (a full pipe, a server that is down), but must return soon after
// cancel().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "engine/alert.h"
#include "base/status.h"

namespace kestrel::engine {

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual std::string_view name() const = 0;
  // `line` is the alert in the configured wire form (text or JSON), no newline.
  virtual Status write(const Alert& alert, const std::string& line) = 0;
  virtual void flush() {}
  // Called by the worker after a write() that left its queue empty: a sink
  // that batches (the alert store commits many alerts in one transaction
  // under load) finishes its batch here, so an alert never waits for the
  // next one. Unlike flush(), it is not a request to flush buffered output.
  virtual void queue_drained() {}
  // Reopen files and connections (SIGHUP, for logrotate).
  virtual void reopen() {}
  // Called from another thread at the shutdown deadline: make a write() or
  // flush() in progress return promptly (giving its alert up) and every
  // later one fail fast. Sinks whose writes cannot block keep the default.
  virtual void cancel() {}
  // The sink's own counters for metrics (e.g. "retries", "dropped_queue_full",
  // "restarts"). Called from any thread: implementations make it safe.
  virtual std::map<std::string, uint64_t> counters() const { return {}; }
};

// Writes each line to a stream (stdout) and flushes it at once, so a
// reader piping kestrel sees alerts as they happen; with `buffered`
// (buffered_outputs) lines are flushed when the stream's buffer fills and
// at the sink's flush(), not after every alert.
std::unique_ptr<OutputSink> make_stream_sink(std::ostream& out, std::string name = "stdout", bool buffered = false);

// Appends each line to a file. keep_alive=false opens and closes the file
// per alert (as Falco does); true keeps it open until reopen(), and then
// `buffered` (buffered_outputs) leaves flushing to the stream and flush().
std::unique_ptr<OutputSink> make_file_sink(std::string path, bool keep_alive, bool buffered = false);

}  // namespace kestrel::engine
