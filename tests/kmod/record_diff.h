// record_diff.h — compares two captures of the same workload, record by
// record and param by param: the heart of the differential test (kernel
// module vs eBPF probe, kmod_differential_vm_test.cpp).
//
// A workload run is selected from a capture by the pids it wrote down
// ("ROLE PID" lines: tests/vm/every_event.c): every record whose tgid is one
// of them belongs to that role (the main role's records start at its first
// execve: before it, the pid was still the shell's child). Records are then
// paired per (role, event type) in time order — the i-th openat of the
// fork child in one run with the i-th in the other — so a type one source
// misses does not shift the pairs of the others.
//
// Two paired records match when they have the same params, byte for byte,
// except: params of type PID (pids differ between runs) and ABSTIME (start
// times), and the params of kExceptions, each with the reason it cannot be
// equal between two runs. Header timestamps and pids are never compared.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sources/event/event.h"

namespace kestrel::testing {

// One param that differs between two runs of the same workload for a
// reason no source can change: not compared. `type` "*" applies to every
// event type.
struct ParamException {
  std::string_view type;   // event name (events.def), or "*"
  std::string_view param;  // param name
  std::string_view reason;
};

// The exceptions, as small as the workload allows (it fixes ports, paths,
// fds, addresses and mounts a fresh tmpfs so inode numbers repeat). Not
// needed, so not listed: AF_UNIX tuples carry the two sockets' kernel
// addresses, which repeat between runs in the test's quiet VM (the slab
// hands the freed objects out again); should they ever differ, an entry
// here is the remedy, not a looser comparison.
extern const std::vector<ParamException> kExceptions;

// One record, copied out of the reader's buffer.
struct OwnedRecord {
  std::vector<uint8_t> bytes;
  uint64_t ts = 0;
  uint16_t type = 0;
};

// role -> records of that role, in time order.
using RoleRecords = std::map<std::string, std::vector<OwnedRecord>>;

// Parses "ROLE PID" lines; an error names a malformed line or a pid twice.
Result<std::map<int64_t, std::string>> parse_pids(const std::vector<std::string>& lines);

// Reads `kcap_path` and keeps the records of the processes in `pids`.
Result<RoleRecords> select_records(const std::string& kcap_path, const std::map<int64_t, std::string>& pids);

struct TypeResult {
  uint16_t type = 0;
  size_t kmod = 0, ebpf = 0;  // records of the workload in the first / second run
  size_t matched = 0;         // pairs equal in every compared param
  std::vector<std::string> mismatches;  // the first few, described
  std::set<std::string> excused;        // excepted params that did differ
  bool ok() const { return kmod == ebpf && kmod > 0 && matched == kmod; }
};

// Pairs and compares the two runs; one result per type seen in either.
std::map<uint16_t, TypeResult> compare_runs(const RoleRecords& kmod, const RoleRecords& ebpf);

// Why param `param` of event `type` is excepted; nullptr when it is not.
const ParamException* exception_for(uint16_t type, std::string_view param);

// Compares two records of the same type; "" when they match, otherwise
// which params differ and how (text form of both). Adds to `excused` the
// excepted params that differed.
std::string record_difference(const OwnedRecord& kmod, const OwnedRecord& ebpf, std::set<std::string>* excused = nullptr);

// The per-type table: type, records of the first run, of the second, match.
// `expected` types are listed even when neither run has them. `first` and
// `second` name the runs in the header and verdicts ("kmod", "ebpf").
std::string format_table(const std::map<uint16_t, TypeResult>& results, const EventTypeSet& expected,
                         const std::string& first = "kmod", const std::string& second = "ebpf");

}  // namespace kestrel::testing
