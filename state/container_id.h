// container_id.h — which container a process is in, from its cgroup paths.
//
// Container runtimes put each container's processes in a cgroup whose path
// carries the 64-hex container id. The shapes recognised (cgroup v1 and
// v2, systemd and cgroupfs drivers):
//
//   docker      /docker/<id>                      (cgroupfs driver)
//               /system.slice/docker-<id>.scope   (systemd driver)
//   containerd  .../cri-containerd-<id>.scope     (CRI, systemd driver)
//               /kubepods/<qos>/pod<uid>/<id>     (CRI, cgroupfs driver)
//   cri-o       .../crio-<id>.scope
//   podman      .../libpod-<id>.scope, /libpod_parent/libpod-<id>
//
// A bare 64-hex path component also counts (containerd namespaces, nested
// runtimes, CI runners); its runtime is named from the path around it.
// "crio-conmon-<id>" and "libpod-conmon-<id>" are the runtimes' monitor
// processes, outside the container, and do not match. With several ids in
// one path (nested containers) the innermost (last) wins.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kestrel {

inline constexpr size_t kContainerShortIdLength = 12;

struct ContainerMatch {
  std::string full_id;  // 64 lowercase hex digits
  std::string runtime;  // "docker", "containerd", "cri-o", "podman"
  // The first 12 characters, as Falco's container.id.
  std::string short_id() const { return full_id.substr(0, kContainerShortIdLength); }
};

// Parses one cgroup line in any of the forms producers hand us:
// "/proc/PID/cgroup" lines ("0::/path", "4:cpuset:/path"), Falco's
// "cpuset=/path" entries (the eBPF probe's form; the '/' after '=' may be
// missing), or a bare path. nullopt if it names no container.
std::optional<ContainerMatch> match_container_cgroup(std::string_view cgroup_line);

// The 12-char short id (Falco's container.id) for one line, "" if none.
std::string container_id_from_cgroup(std::string_view cgroup_line);

// The first match among several lines (a process's whole cgroup list).
std::optional<ContainerMatch> match_container_cgroups(std::span<const std::string_view> lines);

}  // namespace kestrel
