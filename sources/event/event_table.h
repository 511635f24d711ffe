// event_table.h — userspace view of the one event table (sources/abi/events.def).
//
// Every consumer that needs to know what an event type is called, which
// category it belongs to, or what its params are (decoders, --list-events,
// evt.arg.* extractors, capture readers) asks here. The table is built at
// compile time from events.def; nothing is copied by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

extern "C" {
#include <stdint.h>
#include "sources/abi/kestrel_event.h"
}
#include "sources/event/symbols.h"

namespace kestrel {

struct ParamInfo {
  std::string_view name;
  kestrel_param_type type;
  SymbolSet symbols;  // for FLAGS32/ENUM32 rendering; kNone otherwise
};

struct EventInfo {
  uint16_t type = KE_NONE;
  std::string_view name;
  kestrel_event_category category = KEC_OTHER;
  uint32_t flags = 0;  // KEF_*
  std::span<const ParamInfo> params;

  bool is_syscall() const { return flags & KEF_SYSCALL; }
  // Index of the param called `param`, if this event has one.
  std::optional<uint16_t> param_index(std::string_view param) const;
};

// Info for `type`; the KE_NONE row (name "unknown", no params) for ids
// outside the table, so callers never index out of bounds.
const EventInfo& event_info(uint16_t type);

// All rows, KE_NONE excluded, in id order.
std::span<const EventInfo> all_events();

// Event type id for an evt.type name ("openat"), if there is one.
std::optional<uint16_t> event_type_by_name(std::string_view name);

std::string_view category_name(kestrel_event_category category);
std::string_view param_type_name(kestrel_param_type type);

// Fixed encoded size of a param type in bytes, or 0 for variable-size types.
size_t param_fixed_size(kestrel_param_type type);

}  // namespace kestrel
