// event.h — one event as it flows through Kestrel: a record view tagged with
// the domain its tids belong to and the source that produced it. State, the
// engine and every source share this type, so it stands with the record
// format rather than with the Source interface.
#pragma once

#include <bitset>
#include <cstdint>

#include "sources/event/event_view.h"

namespace kestrel {

// Domain 0 is the host. Other domains are namespaces whose tids are only
// unique within themselves (a gVisor sandbox); the source that owns them
// assigns their ids.
using DomainId = uint32_t;
inline constexpr DomainId kHostDomain = 0;

// A set of event types (selective capture; what a source can emit).
using EventTypeSet = std::bitset<KE_COUNT>;

struct Event {
  EventView view;
  DomainId domain = kHostDomain;
  uint16_t source_id = 0;  // set by the multiplexer
  // An enter-direction record (evt.dir '>'): only replays of captures that
  // recorded syscall enters (.scap) produce them; it carries the arguments
  // known at entry and no result. Live sources emit exits only.
  bool enter = false;
};

}  // namespace kestrel
