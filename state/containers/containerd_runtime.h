// containerd_runtime.h — containerd's gRPC API as a ContainerRuntime.
//
// Over containerd's unix socket (default /run/containerd/containerd.sock),
// in each of the configured namespaces in turn (containerd keys every
// request by the "containerd-namespace" header: Docker's containers live in
// "moby", Kubernetes' in "k8s.io", ctr's and nerdctl's in "default"):
//   inspect: /containerd.services.containers.v1.Containers/Get, then for a
//            CRI container its sandbox's record for the pod labels
//            (containerd_container.h says what each field comes from);
//   watch:   /containerd.services.events.v1.Events/Subscribe filtered to
//            the namespaces' /containers/ topics: create and update
//            re-read the record, delete forgets.
// With a CRI runtime configured (cri_runtime.h), the CRI owns Kubernetes'
// containers: create/update events in the "k8s.io" namespace are not
// turned into metadata (the first event's lookup then asks the CRI, which
// names the pod itself); deletes are passed on, and updates and the
// containers' task start/exit/delete (also subscribed there) ask the store
// to refresh an entry it holds through its runtimes, the CRI first
// (ContainerChange::kRefresh): containerd 1.6's CRI has no
// GetContainerEvents, so these are the runtime's events for its containers.
// The C++ is generated from containerd's own .proto files at build time
// (containerd_api.cmake). No socket: inspect answers kUnavailable at once
// and no connection is attempted (a stat() only).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "state/containers/container_runtime.h"

namespace kestrel {

class ContainerdRuntime final : public ContainerRuntime {
 public:
  ContainerdRuntime(std::string socket_path, std::vector<std::string> namespaces, bool cri_owns_k8s = false);
  ~ContainerdRuntime() override;

  std::string_view name() const override { return "containerd"; }
  LookupResult inspect(std::string_view id, std::chrono::milliseconds timeout) override;
  void watch(const std::function<void(ContainerChange&&)>& sink, const std::atomic<bool>& stop) override;

 private:
  struct Client;  // the gRPC channel and stubs, made once the socket exists
  std::shared_ptr<Client> client();
  LookupResult get_in(Client& client, const std::string& ns, std::string_view id,
                      std::chrono::steady_clock::time_point deadline);

  std::string socket_;
  std::vector<std::string> namespaces_;
  bool cri_owns_k8s_;
  std::mutex mu_;
  std::shared_ptr<Client> client_;
};

}  // namespace kestrel
