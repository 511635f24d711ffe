// replay_capabilities.h — what a capture replay offers, whatever its
// format: every event type as it was recorded (no capture request changes
// what a file holds), the capturing host's containers, never live.
#pragma once

#include "sources/abi/kestrel_event.h"
#include "sources/source.h"

namespace kestrel {

// `sandboxes`: the format carries gVisor sandboxes as their own domains
// (.kcap does; .scap has no place for them).
inline SourceCapabilities replay_capabilities(bool sandboxes) {
  SourceCapabilities caps;
  caps.name = "capture";
  caps.live = false;
  caps.sees_containers = true;
  caps.sees_sandboxes = sandboxes;
  caps.event_types.set();
  caps.event_types.reset(KE_NONE);
  return caps;
}

}  // namespace kestrel
