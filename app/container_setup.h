// container_setup.h — the container metadata store the collector runs with.
//
// From the `containers` config section: one DockerRuntime per configured
// socket (Docker, podman's compatible API), then a ContainerdRuntime for
// containerd's socket and namespaces, in that order, behind one
// ContainerStore (state/containers/container_store.h). None while
// replaying a capture (-e): live runtimes do not describe a recording.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "app/cli.h"
#include "app/config/config.h"
#include "state/containers/container_store.h"

namespace kestrel {

// nullptr when containers.enabled is false, no socket is configured, or
// `options` replays a capture. The store is not started (start(), when
// containers.watch_events).
std::unique_ptr<ContainerStore> make_container_store(const KestrelConfig& config, const CliOptions& options);

// The store's counters by name, for the metrics ("lookup_timeouts", ...).
std::map<std::string, uint64_t> container_store_counters(const ContainerStore& store);

}  // namespace kestrel
