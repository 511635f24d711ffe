// scap_converter.h — turns raw .scap events (scap_reader.h) into Kestrel
// event records through the one mapping table (scap_event_table.h).
//
// scap captures hold a syscall's enter and exit as two events. Each becomes
// a record of the same Kestrel type: the enter record carries the enter's
// params (evt.dir '>'), the exit record the exit's params merged with those
// of the same thread's pending enter (evt.dir '<'), so an exit reads as a
// live source's record. Syscalls the table does not model (access, fstat,
// scap's generic events) become generic KE_SYSCALL records carrying the
// syscall's number for this machine and no params, as Falco sees syscalls
// it has no row for; other events it does not model are counted per scap
// id, never dropped silently. scap events carry a tid but no pid: the
// converter keeps tid -> pid from the capture's process list, clone and
// execve.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sources/capture/scap_reader.h"
#include "sources/event/event_builder.h"

namespace kestrel::scap {

struct EventRow;

struct Converted {
  std::span<const uint8_t> record;  // valid until the next convert()
  bool enter = false;
};

class ScapConverter {
 public:
  // tid -> pid of the threads the capture's process list names.
  void seed_threads(const std::vector<ThreadInfo>& threads);

  // The record for `ev`, or nullopt when its type is not modelled (counted
  // in unmodelled()) or its params do not fit the table (counted in
  // malformed()).
  std::optional<Converted> convert(const RawEvent& ev);

  // Events read per scap id, modelled or not.
  const std::map<uint16_t, uint64_t>& read_by_id() const { return read_; }
  const std::map<uint16_t, uint64_t>& unmodelled_by_id() const { return unmodelled_; }
  // Events delivered as generic syscall records (KE_SYSCALL), per scap id.
  const std::map<uint16_t, uint64_t>& generic_by_id() const { return generic_; }
  uint64_t modelled() const { return modelled_; }
  uint64_t malformed() const { return malformed_; }
  const std::string& last_error() const { return last_error_; }

 private:
  struct Pending {
    uint16_t id = 0;
    std::vector<std::vector<uint8_t>> params;
  };
  int64_t pid_of(int64_t tid) const;
  void track_process(const RawEvent& ev, uint16_t kestrel_type);
  std::optional<int64_t> generic_syscall_number(const RawEvent& ev, const EventRow& row) const;
  std::optional<Converted> convert_generic(const RawEvent& ev, const EventRow& row, int64_t nr);

  EventBuilder builder_;
  std::unordered_map<int64_t, Pending> pending_;  // by tid
  std::unordered_map<int64_t, int64_t> pid_of_tid_;
  std::map<uint16_t, uint64_t> read_;
  std::map<uint16_t, uint64_t> generic_;
  std::map<uint16_t, uint64_t> unmodelled_;
  uint64_t modelled_ = 0;
  uint64_t malformed_ = 0;
  std::string last_error_;
};

// "open", or "id 70" when the table has no name for it.
std::string scap_event_label(uint16_t id);

}  // namespace kestrel::scap
