#include "sources/capture/streamed_capture_source.h"

#include <utility>

#include "sources/capture/capture_source.h"
#include "sources/capture/replay_capabilities.h"
#include "sources/capture/scap_source.h"

namespace kestrel {
namespace {
// Enough to tell a .scap section header (its u32 block type) from anything
// else; the .kcap reader explains what is neither.
constexpr size_t kHeadBytes = 4;
}  // namespace

StreamedCaptureSource::StreamedCaptureSource(std::string path)
    : path_(std::move(path)), caps_(replay_capabilities(false)) {}

const SourceCapabilities& StreamedCaptureSource::capabilities() const {
  return inner_ ? inner_->capabilities() : caps_;
}

Status StreamedCaptureSource::open() {
  auto opened = kcap::open_byte_source(path_);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<kcap::ByteSource> stream = std::move(*opened);
  {
    std::lock_guard lock(mu_);
    stream_ = stream.get();
  }
  std::vector<uint8_t> head(kHeadBytes);
  auto got = stream->read(head);
  {
    std::lock_guard lock(mu_);
    stream_ = nullptr;
  }
  if (!got.ok()) return got.status();
  head.resize(*got);
  const bool scap = is_scap_head(head);
  std::unique_ptr<kcap::ByteSource> whole = kcap::prefixed_source(std::move(head), std::move(stream));
  std::unique_ptr<Source> inner;
  if (scap) inner = std::make_unique<ScapSource>(path_, std::move(whole));
  else inner = std::make_unique<CaptureSource>(path_, std::move(whole));
  Status st = inner->open();
  std::lock_guard lock(mu_);
  format_ = scap ? "scap" : "kcap";
  inner_ = std::move(inner);
  return st;
}

std::vector<ThreadInfo> StreamedCaptureSource::initial_state() {
  return inner_ ? inner_->initial_state() : std::vector<ThreadInfo>{};
}

std::optional<CaptureUsers> StreamedCaptureSource::capture_users() const {
  return inner_ ? inner_->capture_users() : std::nullopt;
}

std::optional<std::vector<ThreadInfo>> StreamedCaptureSource::describe_process(DomainId domain, int64_t pid) const {
  return inner_ ? inner_->describe_process(domain, pid) : std::nullopt;
}

Result<NextOutcome> StreamedCaptureSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  if (!inner_) return Status(StatusCode::kInternal, "capture " + path_ + " is not open");
  return inner_->next(out, wait);
}

SourceStats StreamedCaptureSource::stats() const {
  std::lock_guard lock(mu_);
  return inner_ ? inner_->stats() : SourceStats{};
}

void StreamedCaptureSource::interrupt() {
  std::lock_guard lock(mu_);
  if (stream_) stream_->interrupt();
  if (inner_) inner_->interrupt();
}

void StreamedCaptureSource::close() {
  if (inner_) inner_->close();
}

}  // namespace kestrel
