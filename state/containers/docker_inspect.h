// docker_inspect.h — Docker Engine API JSON into ContainerInfo.
//
// GET /containers/{id}/json (ContainerInspectResponse) and the /events
// stream's messages, as the Engine API reference documents them. Parsing
// is separate from the socket so both are tested on recorded answers and
// on a live dockerd.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "state/containers/container_info.h"

namespace kestrel {

// A container inspect answer. `type` names the runtime ("docker", or
// "podman" for podman's compatible socket). Errors say which part of the
// JSON was malformed.
Result<ContainerInfo> parse_docker_inspect(std::string_view json, std::string_view type);

// The image's repo digest ("sha256:...") from GET /images/{id}/json, ""
// when it has none (a locally imported or built image).
std::string parse_docker_image_digest(std::string_view json);

// RFC 3339 with fractional seconds ("2026-12-06T19:38:03.123456789Z",
// Docker's State.StartedAt) to ns since the epoch; 0 when unparsable or
// Docker's zero time ("0001-01-01T00:00:00Z").
uint64_t parse_rfc3339_ns(std::string_view text);

// One /events line: the container and what happened to it.
struct DockerEvent {
  std::string id;
  std::string action;  // "create", "start", "rename", "die", "destroy", ...
};
std::optional<DockerEvent> parse_docker_event(std::string_view line);

// True for ids and names Docker could have made: [A-Za-z0-9_.-], 1..128
// chars. Anything else (a sandbox may claim any container id) is never
// put into a request path.
bool is_plausible_container_ref(std::string_view id);

}  // namespace kestrel
