// cri_runtime.h — a Kubernetes CRI runtime (containerd's CRI plugin, cri-o,
// cri-dockerd) as a ContainerRuntime, over its `crictl`-compatible socket.
//
// The RuntimeService of k8s.io/cri-api runtime/v1, C++ generated at build
// time from the api.proto in containerd's Debian source (containerd_api.cmake):
//   inspect: ContainerStatus (verbose), then PodSandboxStatus of its pod,
//            under the one lookup deadline (cri_container.h: the fields);
//            container.type from the runtime_name of Version, asked once.
//   watch:   GetContainerEvents (the evented PLEG stream): started and
//            created re-read the container, deleted forgets. Runtimes that
//            do not implement it (containerd 1.6) answer UNIMPLEMENTED:
//            said once, then the watch idles and metadata comes from
//            lookups alone.
// Sockets: the first of the candidates that exists, checked on every call
// (a stat() only), so a runtime that starts after Kestrel is found.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "state/containers/container_runtime.h"

namespace kestrel {

// The sockets `containers.cri_socket: auto` tries, in this order.
std::vector<std::string> default_cri_sockets();

class CriRuntime final : public ContainerRuntime {
 public:
  explicit CriRuntime(std::vector<std::string> socket_candidates);
  ~CriRuntime() override;

  std::string_view name() const override { return "cri"; }
  LookupResult inspect(std::string_view id, std::chrono::milliseconds timeout) override;
  void watch(const std::function<void(ContainerChange&&)>& sink, const std::atomic<bool>& stop) override;

 private:
  struct Client;  // one socket's channel, stub and runtime name
  std::shared_ptr<Client> client();  // null: no candidate socket exists
  LookupResult status(Client& client, std::string_view id, std::chrono::steady_clock::time_point deadline);

  std::vector<std::string> candidates_;
  std::mutex mu_;
  std::shared_ptr<Client> client_;
};

}  // namespace kestrel
