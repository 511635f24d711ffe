// docker_runtime.h — the Docker Engine API as a ContainerRuntime.
//
// Over the daemon's unix socket (default /var/run/docker.sock; podman's
// Docker-compatible socket works the same and is named "podman"):
//   inspect: GET /containers/{id}/json, then GET /images/{image}/json for
//            the repo digest, and for a Kubernetes container
//            (io.kubernetes.sandbox.id) the sandbox's labels as pod labels;
//   watch:   GET /events?filters={"type":["container"]}: create, start,
//            rename and update re-inspect, destroy forgets.
// Containers Docker starts with --runtime=runsc are the same containers:
// their gVisor sandbox carries the Docker id as its OCI id, so events from
// inside the sandbox find them here too.
#pragma once

#include <string>

#include "state/containers/container_runtime.h"

namespace kestrel {

class DockerRuntime final : public ContainerRuntime {
 public:
  // `type` is what container.type shows for its containers.
  explicit DockerRuntime(std::string socket_path, std::string type = "docker");

  std::string_view name() const override { return type_; }
  LookupResult inspect(std::string_view id, std::chrono::milliseconds timeout) override;
  void watch(const std::function<void(ContainerChange&&)>& sink, const std::atomic<bool>& stop) override;

 private:
  std::string socket_;
  std::string type_;
};

}  // namespace kestrel
