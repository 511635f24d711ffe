// containerd_container.h — a containerd Container record into ContainerInfo.
//
// containerd's Containers.Get answers with the record containerd keeps for
// a container (api/services/containers/v1/containers.proto): id, labels,
// image reference, runtime name, the OCI runtime spec (an Any holding the
// spec as JSON), created_at. There is no name, no "privileged" and no
// started time in it, so:
//   name       io.kubernetes.container.name (CRI), else nerdctl/name, else the id;
//   type       "cri" in namespace k8s.io when the CRI labels are there,
//              else "containerd";
//   runtime    the shim's name: io.containerd.runsc.v1 is "runsc",
//              io.containerd.runc.v1/v2 "runc" (Docker's runsc containers run
//              on the runc v2 shim with BinaryName in the shim options and
//              read "runc" here: the Docker client names them);
//   privileged from the spec, the way runtimes make one: CAP_SYS_ADMIN in the
//              bounding set and no masked or read-only paths;
//   host_*     a pid/network/ipc namespace the spec does not ask for;
//   mounts     the spec's mounts ("ro" in options: read-only; the first
//              propagation option);
//   start_ts   created_at (containerd records no start time).
// Parsing is separate from the socket so it is tested on records built
// here and on a live containerd.
#pragma once

#include <string>
#include <string_view>

#include "state/containers/container_info.h"

namespace containerd::services::containers::v1 {
class Container;
}

namespace kestrel {

// `ns` is the containerd namespace the record came from.
ContainerInfo containerd_container_info(const containerd::services::containers::v1::Container& c, std::string_view ns);

// Fills privileged, host_* and mounts from an OCI runtime spec as JSON,
// and pod_sandbox_id (when the labels did not) from the annotation
// containerd's CRI plugin writes (io.kubernetes.cri.sandbox-id). False
// (and `info` unchanged) when it is not a JSON object.
bool apply_oci_spec(std::string_view spec_json, ContainerInfo& info);

// The OCI runtime the shim name implies ("runsc", "runc"), or the shim
// name itself when it is another one.
std::string runtime_from_shim(std::string_view shim);

}  // namespace kestrel
