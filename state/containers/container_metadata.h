// container_metadata.h — the engine's view of container metadata.
//
// The rule engine knows container ids (from cgroups, or a gVisor sandbox's
// context) and nothing about runtimes. It asks this interface for what a
// runtime knows about an id; implementations (container_store.h) decide
// where the answer comes from (a cache, a runtime socket) and how long
// asking may take. Lives at the layer boundary so the engine never
// includes a runtime client.
#pragma once

#include <cstdint>
#include <string_view>

#include "state/containers/container_info.h"

namespace kestrel {

class ContainerMetadata {
 public:
  virtual ~ContainerMetadata() = default;

  // The metadata for the container with full id `full_id` (64 hex, or a
  // sandbox's OCI id), nullptr when nothing is known (no runtime, an id no
  // runtime has, a lookup that timed out). May block for at most the
  // implementation's lookup timeout, and only on the first event of an id
  // it has not asked about. The pointer stays valid until the next call
  // of find() on this object (a later call may evict the entry). Called on
  // the engine thread only; never throws.
  virtual const ContainerInfo* find(std::string_view full_id) = 0;
};

}  // namespace kestrel
