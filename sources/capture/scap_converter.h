// scap_converter.h — turns raw .scap events (scap_reader.h) into Kestrel
// event records through the one mapping table (scap_event_table.h).
//
// scap captures hold a syscall's enter and exit as two events. Each becomes
// a record of the same Kestrel type: the enter record carries the enter's
// params (evt.dir '>'), the exit record the exit's params merged with those
// of the same thread's pending enter (evt.dir '<'), so an exit reads as a
// live source's record. Syscalls the table does not model (access, fstat,
// scap's generic events) become generic KE_SYSCALL records carrying the
// syscall's number for this machine (and its fd, if any), as Falco sees syscalls
// it has no row for; other events it does not model are counted per scap
// id, never dropped silently. scap events carry a tid but no pid: the
// converter keeps tid -> pid from the capture's process list, clone and
// execve.
//
// Generic events (scap ids 0 and 1: a syscall libscap's driver had no event
// of its own for) carry the syscall's number, not its arguments: the enter's
// nativeID (the recording kernel's x86_64 number; its exit has only libscap's
// own PPM_SC code, so it takes the number of the same thread's enter). The
// number is named through libseccomp (sources/event/syscall_table.h) and
// becomes that syscall's Kestrel event type when Kestrel has one (its params
// missing), else Kestrel's generic 'syscall' event with the native number,
// whose evt.type is the syscall's name. A generic event whose syscall cannot
// be named is counted as unmodelled.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sources/capture/scap_event_table.h"
#include "sources/capture/scap_reader.h"
#include "sources/event/event.h"
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
  // The same record appended to `out` (a batch's storage: no copy after),
  // and whether it is an enter record; nullopt, and `out` unchanged, as
  // convert() answers nullopt.
  std::optional<bool> convert_into(const RawEvent& ev, std::vector<uint8_t>& out);

  // For an exit `ev` of a modelled type: the value its record's Kestrel
  // param `kestrel_index` would carry, from the exit's own params or its
  // thread's pending enter (as convert_into() merges them), in `out`
  // (true); false, `out` unchanged, when neither holds it or it is not an
  // integer.
  bool exit_param_int(const RawEvent& ev, int kestrel_index, int64_t& out);
  // The exit `ev` is counted as read and passed over (EventPrejudge): its
  // thread's pending enter is answered, as convert_into() would, and no
  // record is built.
  void pass_over_exit(const RawEvent& ev);
  uint64_t passed_over() const { return passed_over_; }

  // The Kestrel types whose enter events become records; the enters of
  // other types are only remembered for their exits (which carry their
  // params) and counted in enters_left_out(). Default: every type.
  void set_enter_types(const EventTypeSet& types) { enter_types_ = types; }
  uint64_t enters_left_out() const { return enters_left_out_; }

  // Events read per scap id, modelled or not.
  std::map<uint16_t, uint64_t> read_by_id() const;
  uint64_t events_read() const { return events_read_; }
  const std::map<uint16_t, uint64_t>& unmodelled_by_id() const { return unmodelled_; }
  // Generic events delivered, by syscall name ("madvise"); those that could
  // not be named (no enter, a number libseccomp does not know) are in
  // unmodelled_by_id() under ids 0 and 1, and by reason here.
  const std::map<std::string, uint64_t>& generic_by_name() const { return generic_; }
  const std::map<std::string, uint64_t>& generic_unnamed() const { return generic_unnamed_; }
  uint64_t modelled() const { return modelled_; }
  uint64_t malformed() const { return malformed_; }
  const std::string& last_error() const { return last_error_; }

 private:
  // No enter pending (answered by an exit): never an enter's id, whose
  // exit would be id + 1.
  static constexpr uint16_t kNoPending = UINT16_MAX;
  // A thread's last enter: its params back to back in `data`, param i
  // ending at ends[i]. Kept per thread and reused.
  struct Pending {
    uint16_t id = kNoPending;
    std::vector<uint8_t> data;
    std::vector<uint32_t> ends;
    std::span<const uint8_t> param(size_t i) const {
      const uint32_t begin = i == 0 ? 0 : ends[i - 1];
      return {data.data() + begin, ends[i] - begin};
    }
  };
  // The record built, or nullopt with malformed() and last_error() told why.
  std::optional<std::span<const uint8_t>> finish(const RawEvent& ev);
  void remember_enter(int64_t tid, uint16_t id, const RawParams& params);
  // The thread's pending entry (created if `create`, else nullptr when it
  // has none). A capture's events come in runs of a few threads: the last
  // answers are kept by tid (map nodes are stable) and dropped when
  // entries are.
  Pending* pending_of(int64_t tid, bool create);
  int64_t pid_of(int64_t tid) const;
  void forget_cached() {
    cached_pending_.fill(CachedPending{});
    cached_pid_tid_ = -1;
  }
  static bool tracks_process(uint16_t kestrel_type) {
    return kestrel_type == KE_EXECVE || kestrel_type == KE_CLONE || kestrel_type == KE_CLONE3 ||
           kestrel_type == KE_FORK || kestrel_type == KE_VFORK || kestrel_type == KE_PROCEXIT;
  }
  void track_process(const RawEvent& ev, const EventRow& row, uint16_t kestrel_type);
  std::optional<Converted> convert_generic(const RawEvent& ev);
  // A syscall scap has a row for and Kestrel does not model (access, fstat):
  // a generic KE_SYSCALL record with its number and fd, as Falco sees it.
  std::optional<int64_t> unmodelled_syscall_number(const EventRow& row) const;
  std::optional<Converted> convert_unmodelled_syscall(const RawEvent& ev, const EventRow& row, int64_t nr);

  EventTypeSet enter_types_ = EventTypeSet().set();
  uint64_t enters_left_out_ = 0;
  uint64_t passed_over_ = 0;
  // exit_param_int()'s answer to where a Kestrel param comes from, by exit id.
  struct ParamSource {
    int16_t kestrel_index = -1;  // the param it was worked out for (-1: none yet)
    bool modelled_exit = false;
    int8_t exit_i = -1, enter_i = -1;  // scap param index in the exit / its enter
    const ParamRow* exit_row = nullptr;
    const ParamRow* enter_row = nullptr;
  };
  // By scap id, up to the table's ids (id_limit()), not all 65,536: a
  // table of every id was ~500 pages touched at each start, a page fault
  // (~20 us in a VM) each.
  std::vector<ParamSource> param_sources_ = std::vector<ParamSource>(id_limit());
  EventBuilder builder_;  // the rare records: generic and unmodelled syscalls
  std::vector<uint8_t> scratch_;  // convert()'s record
  std::unordered_map<int64_t, Pending> pending_;  // by tid
  std::unordered_map<int64_t, int64_t> pid_of_tid_;
  struct CachedPending {
    int64_t tid = -1;
    Pending* pending = nullptr;
  };
  std::array<CachedPending, 16> cached_pending_{};  // by tid % 16
  mutable int64_t cached_pid_tid_ = -1;  // pid_of's last answer: tid -> pid
  mutable int64_t cached_pid_ = 0;
  std::unordered_map<int64_t, uint16_t> generic_pending_;  // tid -> nativeID of its generic enter
  std::map<std::string, uint64_t> generic_;
  std::map<std::string, uint64_t> generic_unnamed_;
  // By scap id: no map lookup per event; ids the table lacks in read_beyond_.
  std::vector<uint64_t> read_ = std::vector<uint64_t>(id_limit());
  std::map<uint16_t, uint64_t> read_beyond_;
  void count_read(uint16_t id) {
    if (id < read_.size()) ++read_[id];
    else ++read_beyond_[id];
    ++events_read_;
  }
  uint64_t events_read_ = 0;
  std::map<uint16_t, uint64_t> unmodelled_;
  uint64_t modelled_ = 0;
  uint64_t malformed_ = 0;
  std::string last_error_;
};

// "open", or "id 70" when the table has no name for it.
std::string scap_event_label(uint16_t id);

}  // namespace kestrel::scap
