#include "sources/capture/capture_source.h"

#include <sys/stat.h>

#include <utility>

#include "sources/capture/replay_capabilities.h"
#include "sources/capture/scap_source.h"
#include "sources/capture/streamed_capture_source.h"

namespace kestrel {

// Whatever the capturing host saw, containers included; sandboxes come
// through as their own domains.
CaptureSource::CaptureSource(std::string path) : path_(std::move(path)), caps_(replay_capabilities(true)) {}

CaptureSource::CaptureSource(std::string path, std::unique_ptr<kcap::ByteSource> stream)
    : CaptureSource(std::move(path)) {
  stream_ = std::move(stream);
}

Status CaptureSource::open() {
  snapshot_taken_ = false;
  if (stream_) return reader_.open(path_, std::move(stream_));
  return reader_.open(path_);
}

std::vector<ThreadInfo> CaptureSource::initial_state() {
  if (snapshot_taken_) return {};
  snapshot_taken_ = true;
  return reader_.snapshot();
}

Result<NextOutcome> CaptureSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  (void)wait;
  out.clear();
  auto outcome = reader_.next_batch(views_);
  if (!outcome.ok()) return outcome.status();
  if (*outcome == kcap::BatchOutcome::kEnd) return NextOutcome::kEof;
  const DomainId domain = reader_.batch_domain();
  uint64_t bytes = 0;
  out.events.reserve(views_.size());
  for (const EventView& v : views_) {
    out.events.push_back(Event{v, domain, 0});
    bytes += v.len();
  }
  events_.fetch_add(views_.size(), std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return NextOutcome::kBatch;
}

SourceStats CaptureSource::stats() const {
  SourceStats s;
  s.events = events_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  return s;
}

void CaptureSource::close() { reader_.close(); }

std::unique_ptr<Source> make_capture_source(std::string path) {
  // By content, not extension: a .scap file's first block is a section
  // header (scap_format.h); everything else goes to the .kcap reader,
  // which explains what it is not. A FIFO or pipe can be read only once:
  // StreamedCaptureSource looks at its head when it opens it.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return std::make_unique<StreamedCaptureSource>(std::move(path));
  if (is_scap_file(path)) return std::make_unique<ScapSource>(std::move(path));
  return std::make_unique<CaptureSource>(std::move(path));
}

}  // namespace kestrel
