// container_runtime.h — one container runtime's API, as the store uses it.
//
// An implementation talks to one runtime over its local socket (Docker
// Engine API: docker_runtime.h). The store (container_store.h) asks it
// synchronously about an id it has never seen, and runs watch() on its own
// thread to hear about containers being created, started, renamed and
// destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "state/containers/container_info.h"

namespace kestrel {

enum class LookupOutcome {
  kFound,
  kNotFound,     // the runtime answered: no such container
  kUnavailable,  // no socket, connection refused: the runtime is not running
  kTimeout,      // the runtime did not answer within the timeout
  kError,        // an answer that could not be read (HTTP error, bad JSON)
};

struct LookupResult {
  LookupOutcome outcome = LookupOutcome::kError;
  ContainerInfo info;  // kFound only
  std::string error;   // what went wrong, for the log (not kFound)
};

// A change the runtime reports.
//   kUpdated: `info` is the container's fresh metadata;
//   kGone:    the container is gone;
//   kRefresh: the runtime's events say the container changed, but another
//             runtime describes it (containerd's events for containers the
//             CRI names, where containerd 1.6's CRI has no event stream of
//             its own): the store asks its runtimes again, in order, and
//             replaces the entry it holds (an id it does not hold stays
//             unlooked-up until an event asks).
struct ContainerChange {
  enum class Kind { kUpdated, kGone, kRefresh };
  Kind kind = Kind::kUpdated;
  std::string id;
  ContainerInfo info;  // kUpdated: the fresh inspect result
  bool only_if_cached = false;  // kUpdated from a kRefresh: for a held entry only
};

class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;

  // "docker", "podman": for logs and metrics.
  virtual std::string_view name() const = 0;

  // What the runtime says about `id` (a full id or a name the runtime
  // accepts), within `timeout` (connect included). Thread-safe: called on
  // the engine thread and on the watch thread at once. Never throws.
  virtual LookupResult inspect(std::string_view id, std::chrono::milliseconds timeout) = 0;

  // Blocks, calling `sink` for every container change until `stop` is set
  // (then returns within about a second). Reconnects on its own when the
  // runtime goes away or is not there yet. `sink` runs on this thread.
  virtual void watch(const std::function<void(ContainerChange&&)>& sink, const std::atomic<bool>& stop) = 0;
};

}  // namespace kestrel
