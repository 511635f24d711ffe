// capture_source.h — replays a Kestrel capture file (.kcap / .kcap.gz)
// through the Source interface, so the engine cannot tell a replay from a
// live source except by capabilities().live == false.
//
// open() reads the file's header and snapshot; initial_state() returns the
// snapshot; next() returns one file batch per call (never kIdle: a file
// does not make us wait) until kEof after the end frame. A damaged or cut
// file makes next() return the KcapReader's Status (kCorrupt / kTruncated
// with the byte offset); the events before the damage have been delivered.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "sources/capture/kcap_reader.h"
#include "sources/source.h"

namespace kestrel {

class CaptureSource final : public Source {
 public:
  explicit CaptureSource(std::string path);
  // Reads `stream` (already open, `path` naming it): see StreamedCaptureSource.
  CaptureSource(std::string path, std::unique_ptr<kcap::ByteSource> stream);

  // name "capture", live = false, every event type (a file may hold any).
  const SourceCapabilities& capabilities() const override { return caps_; }

  // Errors from KcapReader::open: missing file, not a capture, damaged.
  Status open() override;

  // The file's snapshot. The first call moves it out; later calls return {}.
  std::vector<ThreadInfo> initial_state() override;

  // Views in `out` are valid until the next next() or close(). `wait` is
  // ignored. Returns the same error again if called after one.
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;

  // events and bytes delivered so far; no drops (a damaged file is an error,
  // not a drop). Safe from any thread.
  SourceStats stats() const override;

  // A replay streamed through a FIFO waits for its writer: this ends the
  // wait (next() then returns an error).
  void interrupt() override { reader_.interrupt(); }

  void close() override;

  // The capture's header (machine info); valid after a successful open().
  const kcap::KcapHeader& header() const { return reader_.header(); }

 private:
  std::string path_;
  std::unique_ptr<kcap::ByteSource> stream_;  // given at construction, read by open()
  SourceCapabilities caps_;
  kcap::KcapReader reader_;
  std::vector<EventView> views_;
  bool snapshot_taken_ = false;
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> bytes_{0};
};

// The factory the app uses for `-e FILE`: a ScapSource for a .scap capture
// (recognised by its first block, scap_source.h), a CaptureSource otherwise.
std::unique_ptr<Source> make_capture_source(std::string path);

}  // namespace kestrel
