#include "app/container_setup.h"

#include "state/containers/containerd_runtime.h"
#include "state/containers/cri_runtime.h"
#include "state/containers/docker_runtime.h"

namespace kestrel {

std::unique_ptr<ContainerStore> make_container_store(const KestrelConfig& config, const CliOptions& options) {
  if (!config.containers.enabled || !options.capture.empty()) return nullptr;
  std::vector<std::unique_ptr<ContainerRuntime>> runtimes;
  if (!config.containers.docker_socket.empty())
    runtimes.push_back(std::make_unique<DockerRuntime>(config.containers.docker_socket, "docker"));
  if (!config.containers.podman_socket.empty())
    runtimes.push_back(std::make_unique<DockerRuntime>(config.containers.podman_socket, "podman"));
  // Before containerd's own API: a Kubernetes container is in both, and
  // the CRI names its pod directly (containerd only through labels).
  if (config.containers.cri_socket == "auto")
    runtimes.push_back(std::make_unique<CriRuntime>(default_cri_sockets()));
  else if (!config.containers.cri_socket.empty())
    runtimes.push_back(std::make_unique<CriRuntime>(std::vector<std::string>{config.containers.cri_socket}));
  // After Docker: Docker's own containers are also containerd's (namespace
  // moby), and Docker knows their names and images, containerd does not.
  if (!config.containers.containerd_socket.empty() && !config.containers.containerd_namespaces.empty())
    runtimes.push_back(std::make_unique<ContainerdRuntime>(config.containers.containerd_socket,
                                                           config.containers.containerd_namespaces,
                                                           /*cri_owns_k8s=*/!config.containers.cri_socket.empty()));
  if (runtimes.empty()) return nullptr;
  ContainerStoreOptions o;
  if (config.containers.cache_size > 0) o.capacity = config.containers.cache_size;
  if (config.containers.lookup_timeout.count() > 0) o.lookup_timeout = config.containers.lookup_timeout;
  return std::make_unique<ContainerStore>(std::move(runtimes), o);
}

std::map<std::string, uint64_t> container_store_counters(const ContainerStore& store) {
  const ContainerStoreStats& s = store.stats();
  auto v = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {
      {"cache_hits", v(s.hits)},
      {"cached", store.size()},
      {"evictions", v(s.evictions)},
      {"lookups", v(s.lookups)},
      {"lookup_found", v(s.lookup_found)},
      {"lookup_not_found", v(s.lookup_not_found)},
      {"lookup_timeouts", v(s.lookup_timeouts)},
      {"lookup_unavailable", v(s.lookup_unavailable)},
      {"lookup_errors", v(s.lookup_errors)},
      {"lookup_ns_total", v(s.lookup_ns_total)},
      {"runtime_updates", v(s.runtime_updates)},
      {"runtime_updates_dropped", v(s.runtime_updates_dropped)},
      {"runtime_refreshes", v(s.runtime_refreshes)},
      {"runtime_refreshes_applied", v(s.runtime_refreshes_applied)},
      {"runtime_refresh_failures", v(s.runtime_refresh_failures)},
  };
}

}  // namespace kestrel
