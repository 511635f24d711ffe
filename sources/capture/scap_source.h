// scap_source.h — replays a .scap capture (Falco, sysdig, Stratoshark; plain
// or gzip) through the Source interface, like CaptureSource does .kcap.
//
// open() reads the section header and the metadata blocks; initial_state()
// returns the process list with its fds; users() the capture's user and
// group lists (user.name of a replay comes from the machine that recorded
// it). next() converts events through the scap event table
// (scap_converter.h): enter events become enter-direction records (Event::
// enter), exits carry the merged params. Events Kestrel does not model are
// counted per scap type in stats().counters ("scap_unmodelled.<name>"),
// never silently lost. A cut or damaged file delivers every event before
// the damage, then next() returns the error with its byte offset.
//
// set_event_filter() is honoured as a live source honours it: events of
// modelled types the collector did not ask for (the rules' and the state
// tables' types, all with -A) are skipped before conversion and counted
// ("scap_events_filtered"), which is most of a replay's cost on a capture
// of reads and writes that no rule reads. set_capture_request() also names
// the types whose enters the consumer reads: the enters of the others are
// remembered for their exits' params, never delivered
// ("scap_enters_left_out").
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "sources/capture/scap_converter.h"
#include "sources/capture/scap_reader.h"
#include "sources/source.h"

namespace kestrel {

class ScapSource final : public Source {
 public:
  explicit ScapSource(std::string path);
  // Reads `stream` (already open, `path` naming it): see StreamedCaptureSource.
  ScapSource(std::string path, std::unique_ptr<kcap::ByteSource> stream);

  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  std::vector<ThreadInfo> initial_state() override;
  std::optional<CaptureUsers> capture_users() const override;
  // A process from a process list that came after the first event block
  // (a concatenated capture, lists re-emitted): its threads with their fds,
  // as the list gave them. A process the capture never described (in no
  // process list, no clone seen): known by its id only; credentials and
  // parent unknown (-1, as libscap has them), not this host's root.
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const override;
  Status set_event_filter(const EventTypeSet& types) override;
  // The event filter, and enter records only for request.enter_event_types
  // (the others' enters are remembered for their exits, never delivered).
  Status set_capture_request(const CaptureRequest& request) override;
  // Exits of the judge's types are offered to it before they are built,
  // each when the batch is empty (the batch ends before one the judge may
  // answer for, or one whose key already has a record in the batch, whose
  // verdict comes once it is handled); those it answers for are passed
  // over and counted ("scap_events_passed_over").
  bool prejudge_with(EventPrejudge* judge) override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  // A replay streamed through a FIFO waits for its writer: this ends the
  // wait (next() then returns an error).
  void interrupt() override { reader_.interrupt(); }
  void close() override;

  // After open(): the parsed metadata, for tests and tools.
  const scap::ScapReader& reader() const { return reader_; }

 private:
  // Moves the threads of process lists met after open() into late_.
  void adopt_late_threads();

  std::string path_;
  std::unique_ptr<kcap::ByteSource> stream_;  // given at construction, read by open()
  SourceCapabilities caps_;
  scap::ScapReader reader_;
  scap::ScapConverter converter_;
  std::vector<ThreadInfo> threads_;
  bool snapshot_taken_ = false;
  // Where each of this batch's records ends in the batch's storage.
  std::vector<size_t> record_ends_;
  std::vector<bool> enter_;
  EventPrejudge* judge_ = nullptr;
  // By scap id: a judged exit type's Kestrel type and fd param (fd -1: not judged).
  struct Judged {
    int16_t fd = -1;
    uint16_t type = 0;
  };
  std::vector<Judged> judged_;
  // The keys of the judged exits built in the current batch (see next()).
  struct Awaited {
    uint16_t type;
    int64_t tid;
    int64_t fd;
    bool operator==(const Awaited&) const = default;
  };
  static constexpr size_t kAwaitedMax = 8;
  std::vector<Awaited> awaited_;
  // An event read but not yet converted: the batch ended before it so that
  // the judge, asked at the next next(), sees every record before it
  // processed. Its params still point into the reader's buffer, which
  // only the reader's next next() moves.
  scap::RawEvent held_;
  bool holding_ = false;
  Status deferred_;  // an error met after events already in the batch
  bool ended_ = false;
  mutable std::mutex mu_;  // guards the converter's counts for stats()
  // Threads of late process lists by pid, for describe_process(), which
  // the state tables call from another thread when they meet that pid.
  mutable std::mutex late_mu_;
  std::map<int64_t, std::vector<ThreadInfo>> late_;
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> bytes_{0};
};

// Whether `path` is a regular file holding a .scap capture (after gunzip):
// its first block is a section header. False for anything else, unreadable
// files and FIFOs included: a FIFO cannot be read twice, so
// StreamedCaptureSource looks at its head once, at open().
bool is_scap_file(const std::string& path);

// Whether `head` (the first decompressed bytes of a capture) starts a .scap
// capture: a section header block's type.
bool is_scap_head(std::span<const uint8_t> head);

}  // namespace kestrel
