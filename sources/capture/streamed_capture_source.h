// streamed_capture_source.h — replays a capture that arrives through a FIFO
// or another input that cannot seek (`kestrel -e /path/to/fifo`), .scap or
// .kcap, plain or gzip, chosen by content as for regular files.
//
// A regular file is looked at before its reader opens it again
// (is_scap_file); a FIFO can be read only once. This source opens it at
// open() — where a replay from a FIFO waits for its writer anyway — reads
// the first bytes (after gunzip), puts them back in front of the stream
// (kcap::prefixed_source) and hands the stream to ScapSource or
// CaptureSource, which it then forwards to.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sources/capture/byte_stream.h"
#include "sources/source.h"

namespace kestrel {

class StreamedCaptureSource final : public Source {
 public:
  explicit StreamedCaptureSource(std::string path);

  // Before open(): a capture's (every event type, not live); after: the
  // chosen reader's.
  const SourceCapabilities& capabilities() const override;
  Status open() override;
  std::vector<ThreadInfo> initial_state() override;
  std::optional<CaptureUsers> capture_users() const override;
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  // Ends a wait for the writer, during open() (the head) or next().
  void interrupt() override;
  void close() override;

  // "scap" or "kcap" after a successful open(); "" before.
  const std::string& format() const { return format_; }

 private:
  std::string path_;
  SourceCapabilities caps_;
  std::string format_;
  mutable std::mutex mu_;            // guards stream_ and inner_ against interrupt() and stats()
  kcap::ByteSource* stream_ = nullptr;  // while open() reads the head
  std::unique_ptr<Source> inner_;
};

}  // namespace kestrel
