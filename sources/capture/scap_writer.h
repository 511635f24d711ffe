// scap_writer.h — writes a .scap capture (the format of Falco, sysdig and
// Stratoshark) from Kestrel's records, so a capture Kestrel takes live opens
// in the tools people already use. scap_reader.h reads what this writes.
//
// Layout (scap_format.h): section header; machine info; interface list
// (empty: Kestrel does not collect interfaces); user list; one process list
// block with every thread of the initial state; one fd list block per
// process with open fds; then event blocks, each record through
// ScapRecordEncoder (scap_record_encoder.h: one table, enter + exit).
//
// Block versions are chosen for the oldest reader that matters, Debian 12's
// sysdig 0.29 (libs of 2022-03): process list v9 with entries ending at
// the pre-0.10 fields (loginuid, exe_writable, capabilities, which newer
// readers still recognise by the entry's length), fd list v1, user list
// v1, and v2 event blocks (an explicit param count; v2 large blocks, u32
// param lengths, for libscap's large-payload events: plugin events). Strings longer than
// libscap's limits (scap_format.h) are cut to them: libscap refuses a
// whole capture for one over-long command line.
//
// Usage: open() -> write_header() -> write_threads() -> append() per record
// -> close(). Every method returns a Status; the first I/O error is sticky
// (later calls return it). close() flushes: a capture stopped by a signal
// or -M, and closed, is complete. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/capture/byte_stream.h"
#include "sources/capture/scap_reader.h"
#include "sources/capture/scap_record_encoder.h"
#include "state/thread_info.h"

namespace kestrel::scap {

struct ScapHeader {
  MachineInfo machine;
  std::vector<UserEntry> users;
  std::vector<GroupEntry> groups;
};

class ScapWriter {
 public:
  ScapWriter();
  ~ScapWriter();  // close()s, dropping its Status
  ScapWriter(const ScapWriter&) = delete;
  ScapWriter& operator=(const ScapWriter&) = delete;

  // Creates `path` (mode 0600; gzip-compressed if `gzip`).
  Status open(const std::string& path, bool gzip = false);
  // Section header, machine info, interface list, user list.
  Status write_header(const ScapHeader& header);
  // The initial thread table: process list and fd lists. Once, before the
  // first append().
  Status write_threads(const std::vector<ThreadInfo>& threads);
  // One record (a valid Kestrel record): zero, one or two event blocks.
  // Records without a scap mapping are counted in not_written().
  Status append(std::span<const uint8_t> record);
  Status close();

  uint64_t records_written() const { return records_; }
  uint64_t events_written() const { return events_; }
  // Records no scap event carries, by Kestrel event type.
  const std::map<uint16_t, uint64_t>& not_written() const { return encoder_.not_written(); }

 private:
  Status write_block(uint32_t type, const std::vector<uint8_t>& body);
  Status fail(Status st);

  std::unique_ptr<kcap::ByteSink> sink_;
  std::string path_;
  Status error_;
  ScapRecordEncoder encoder_;
  std::vector<uint8_t> block_;  // reused for event blocks
  std::vector<uint8_t> body_;
  std::vector<uint8_t> event_;  // one serialised event, reused
  uint64_t records_ = 0;
  uint64_t events_ = 0;
  uint64_t offset_ = 0;
  bool threads_written_ = false;
};

}  // namespace kestrel::scap
