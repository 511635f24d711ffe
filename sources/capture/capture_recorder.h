// capture_recorder.h — where `-w FILE` records: one interface over the
// native .kcap writer and the .scap writer, and the rule that picks one.
//
// The pipeline hands a recorder the initial thread table once, then every
// event record; close() flushes and finishes the file (a capture stopped
// by SIGINT or -M is complete once closed). Errors are Status values; the
// first one is sticky.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "state/thread_info.h"

namespace kestrel {

enum class CaptureFormat { kKcap, kScap };

// The format of `-w path`: `forced` (--capture-format: "kcap" or "scap")
// when given, else the extension: .kcap, .kcap.gz, .scap, .scap.gz. A path
// with none of them and no --capture-format, or an unknown format name,
// is kInvalidArgument naming what is accepted.
Result<CaptureFormat> capture_format_for(const std::string& path, const std::optional<std::string>& forced);

class CaptureRecorder {
 public:
  virtual ~CaptureRecorder() = default;

  // Writes what precedes the events: the machine, and `threads` (the
  // state at capture start, fds on thread-group leaders).
  virtual Status begin(const std::vector<ThreadInfo>& threads) = 0;
  // One event record; `domain` its DomainId (0 = host); `enter`: an
  // enter-direction record (Event::enter, only from replaying a .scap).
  virtual Status append(std::span<const uint8_t> record, uint32_t domain, bool enter) = 0;
  // Flushes and finishes the file. Idempotent.
  virtual Status close() = 0;
  // Records the format cannot hold, by Kestrel event type: counted, and
  // reported at exit, never dropped silently.
  virtual std::map<uint16_t, uint64_t> not_written() const { return {}; }
};

// Creates `path` and a recorder of `format` on it (".gz": compressed).
Result<std::unique_ptr<CaptureRecorder>> open_capture_recorder(const std::string& path, CaptureFormat format);

}  // namespace kestrel
