// evttype_index.h — which event types can make a condition true.
//
// Falco indexes rules by event type so an event only meets rules that can
// match it, and warns (LOAD_NO_EVTTYPE) when a syscall rule cannot be
// narrowed. The set is computed on the resolved tree exactly as libsinsp's
// ppm_event_codes does: `and` intersects, `or` unions; checks on
// `evt.type` (=, ==, !=, in) give their names' types; every other check is
// neutral (all types); negation is pushed down to the leaves with De
// Morgan's laws, and inverts only evt.type checks (a neutral check stays
// neutral under `not`).
//
// Event type names. Conditions may name (a) every Kestrel event type
// (sources/event/event_table.h), (b) every syscall name libseccomp knows for
// x86_64 or aarch64 — Falco accepts these through its generic syscall
// events; Kestrel may not emit them, so such a name restricts a rule to
// types that never arrive — and (c) the non-syscall event names Falco
// accepts (switch, procinfo, signaldeliver, page_fault, …), which Kestrel
// never emits either. Anything else is an "unknown event type" compile
// error, as in Falco. The universe of all these names is what `not` and
// `!=` complement against, so "matches too many types" means what it means
// in Falco (> 100 names, or none).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ast.h"

namespace kestrel::engine {

// A set over the event name universe.
class EvttypeSet {
 public:
  static EvttypeSet none();
  static EvttypeSet all();

  void add(size_t code);
  bool contains(size_t code) const;
  size_t count() const;
  bool empty() const { return count() == 0; }
  bool is_all() const;
  EvttypeSet& intersect(const EvttypeSet& o);
  EvttypeSet& merge(const EvttypeSet& o);
  EvttypeSet complement() const;
  bool operator==(const EvttypeSet& o) const { return bits_ == o.bits_; }

  // Sorted names; {"all"} when the set is the whole universe.
  std::vector<std::string> names() const;
  // The Kestrel event type ids in the set (names Kestrel does not emit are
  // dropped). Empty when the set is empty; every type when is_all().
  std::vector<uint16_t> kestrel_types() const;
  // The syscalls of this machine in the set that have no Kestrel event type
  // (madvise): they arrive only as generic KE_SYSCALL records, which are
  // captured only when all event types are (-A). Empty when is_all().
  std::vector<std::string> generic_syscalls() const;

 private:
  std::vector<uint64_t> bits_;
};

// Code of an event name in the universe, if the name is accepted.
std::optional<size_t> evttype_code(std::string_view name);
size_t evttype_universe_size();

// The event types `e` can match (see the file comment). `e` must be
// resolved (macros expanded); a leftover macro reference is neutral.
EvttypeSet condition_evttypes(const Expr& e);

// Falco's LOAD_NO_EVTTYPE criterion: no type, or more than 100.
bool matches_too_many_evttypes(const EvttypeSet& s);

}  // namespace kestrel::engine
