#include "sources/capture/triggered_capture.h"

#include <algorithm>
#include <cstdio>

namespace kestrel {

TriggeredCapture::TriggeredCapture(TriggeredCaptureOptions options, std::function<void(const std::string&)> log)
    : options_(std::move(options)), log_(std::move(log)) {}

TriggeredCapture::~TriggeredCapture() { finish(); }

void TriggeredCapture::trigger(uint64_t ts_ns, uint64_t evt_num, uint64_t duration_ms,
                               const std::function<std::vector<ThreadInfo>()>& threads) {
  const uint64_t duration_ns = (duration_ms ? duration_ms : options_.default_duration_ms) * 1'000'000ull;
  const uint64_t deadline = ts_ns + duration_ns;
  if (recorder_) {
    deadline_ns_ = std::max(deadline_ns_, deadline);
    return;
  }
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "_%020llu_%020llu%s", static_cast<unsigned long long>(ts_ns),
                static_cast<unsigned long long>(evt_num), options_.format == CaptureFormat::kScap ? ".scap" : ".kcap");
  const std::string path = options_.path_prefix + suffix;
  auto opened = open_capture_recorder(path, options_.format);
  if (!opened.ok()) {
    ++stats_.failed;
    log_("capture: cannot start " + path + ": " + opened.status().to_string());
    return;
  }
  recorder_ = std::move(*opened);
  if (Status s = recorder_->begin(threads()); !s.ok()) {
    ++stats_.failed;
    log_("capture: cannot write " + path + ": " + s.to_string());
    (void)recorder_->close();
    recorder_.reset();
    return;
  }
  files_.push_back(path);
  ++stats_.captures;
  deadline_ns_ = deadline;
  bytes_ = 0;
  log_("capture: started " + path);
}

void TriggeredCapture::on_event(std::span<const uint8_t> record, uint32_t domain, bool enter, uint64_t ts_ns) {
  if (!recorder_) return;
  if (ts_ns > deadline_ns_) {
    end("its duration passed");
    return;
  }
  if (Status s = recorder_->append(record, domain, enter); !s.ok()) {
    ++stats_.failed;
    log_("capture: write failed: " + s.to_string());
    end("a write failed");
    return;
  }
  ++stats_.events;
  bytes_ += record.size();
  if (options_.max_file_size_bytes && bytes_ >= options_.max_file_size_bytes) {
    ++stats_.stopped_by_size;
    end("it reached capture.max_file_size_mb");
  }
}

void TriggeredCapture::finish() {
  if (recorder_) end("the run ended");
}

void TriggeredCapture::end(const char* why) {
  Status closed = recorder_->close();
  recorder_.reset();
  if (!closed.ok()) {
    ++stats_.failed;
    log_("capture: closing " + files_.back() + " failed: " + closed.to_string());
    return;
  }
  log_("capture: " + files_.back() + " complete (" + why + ")");
}

}  // namespace kestrel
