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
// of reads and writes that no rule reads.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sources/capture/scap_converter.h"
#include "sources/capture/scap_reader.h"
#include "sources/source.h"

namespace kestrel {

class ScapSource final : public Source {
 public:
  explicit ScapSource(std::string path);

  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override;
  std::vector<ThreadInfo> initial_state() override;
  std::optional<CaptureUsers> capture_users() const override;
  // A process the capture never described (not in its process list, no
  // clone seen): known by its id only; credentials and parent unknown (-1,
  // as libscap has them), not this host's root.
  std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const override;
  Status set_event_filter(const EventTypeSet& types) override;
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;
  SourceStats stats() const override;
  void close() override;

  // After open(): the parsed metadata, for tests and tools.
  const scap::ScapReader& reader() const { return reader_; }

 private:
  std::string path_;
  SourceCapabilities caps_;
  scap::ScapReader reader_;
  scap::ScapConverter converter_;
  std::vector<ThreadInfo> threads_;
  bool snapshot_taken_ = false;
  std::vector<std::vector<uint8_t>> records_;  // this batch's records
  std::vector<bool> enter_;
  Status deferred_;  // an error met after events already in the batch
  bool ended_ = false;
  mutable std::mutex mu_;  // guards the converter's counts for stats()
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> bytes_{0};
};

// Whether `path` is a regular file holding a .scap capture (after gunzip):
// its first block is a section header. False for anything else, unreadable
// files and FIFOs included (the .kcap reader then reads or explains them;
// a .scap streamed through a FIFO is not recognised).
bool is_scap_file(const std::string& path);

}  // namespace kestrel
