// kernel_filter.h — predicates a kernel-side source checks before it sends
// an event up (issue #19, "in-kernel filtering from the rules").
//
// The engine derives them (engine/eval/kernel_filter.h); the eBPF probe and
// the kernel module evaluate them with the same semantics. Plain data, so a
// source needs no engine header.
//
// Semantics, per event type that has a filter: the event goes up when ANY
// of its alternatives holds; an alternative holds when ALL of its parts do:
//   - res:   the sign of the result param (bit kResNegative: res < 0 is
//            allowed, bit kResNonNegative: res >= 0 is allowed);
//   - acc:   the open access mode (flags & O_ACCMODE, 0..3) is in the set
//            (bit n: access mode n allowed); only where the type has a
//            flags param;
//   - path:  when present, the path param matches one of the atoms.
// A type without a filter, and an event whose path the kernel cannot judge
// (relative, not canonical: "//", "/.", a trailing "/", longer than
// kKernelFilterMaxPath, unreadable), always goes up for the path part: the
// state tables would resolve such a path (engine: fd.name is the lexical
// normalisation against the cwd or dirfd) and the kernel does not.
//
// Path atoms all start with '/'. An atom anchored at the start matches a
// path that begins with its text; an unanchored one a path that has its
// text beginning at any '/' of the path. `exact` adds the end of the path
// after the text (equality, or "ends with" for an unanchored atom).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kestrel {

// Longest path (without its NUL) the kernel compares; longer paths go up.
inline constexpr size_t kKernelFilterMaxPath = 240;
// Alternatives per event type (one bit each in the kernel's masks); a
// deriver with more merges them (a merge only widens what goes up).
inline constexpr size_t kKernelFilterMaxAlternatives = 64;

struct KernelPathAtom {
  std::string text;  // starts with '/'
  bool anchored = true;
  bool exact = false;
  bool operator==(const KernelPathAtom&) const = default;
  auto operator<=>(const KernelPathAtom&) const = default;
};

struct KernelFilterAlternative {
  static constexpr uint8_t kResNegative = 1, kResNonNegative = 2, kResAny = 3;
  uint8_t res = kResAny;
  uint8_t acc = 0xF;                                 // bits 0..3: O_RDONLY, O_WRONLY, O_RDWR, 3
  std::optional<std::vector<KernelPathAtom>> path;  // nullopt: any path
  // No rule asks for it: only the state tables need the fd the event
  // creates (see KernelEventFilter::defer_state).
  bool state_only = false;
  bool operator==(const KernelFilterAlternative&) const = default;
};

struct KernelEventFilter {
  uint16_t type = 0;
  int16_t res_param = -1;    // index of the result param (8-byte signed)
  int16_t path_param = -1;   // index of the path param, -1: no path part
  int16_t flags_param = -1;  // index of the open flags param, -1: no acc part
  std::vector<KernelFilterAlternative> alternatives;  // never empty
  // An event of this type (an open) that only state_only alternatives pass
  // may be kept in the kernel and sent just before the first event that
  // goes up and reads its fd (an fd param, a dirfd, a cwd or fd-table
  // change of its process); when its fd is closed first, the open and the
  // close are both dropped. Set only when no rule reads close events, the
  // process's fd table as a whole (proc.fd*, proc.std*) or fields
  // appended to every output. A source that cannot defer sends the event.
  bool defer_state = false;
  // fcntl with no rule on it: the index of its cmd param. Only F_DUPFD and
  // F_DUPFD_CLOEXEC change state (they create an fd); a source may drop
  // the other commands (F_GETFL, F_SETFD, F_SETLK, ...). -1: no such rule.
  int16_t fcntl_cmd_param = -1;
};

// The filters of one capture request; a type absent here is not filtered.
using KernelFilterSet = std::vector<KernelEventFilter>;

// The counter name a source reports for events of `type_name` it dropped
// in the kernel by these filters (SourceStats::counters).
inline std::string kernel_filtered_counter(const std::string& type_name) { return "kernel_filtered." + type_name; }

}  // namespace kestrel
