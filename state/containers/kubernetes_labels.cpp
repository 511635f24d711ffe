#include "state/containers/kubernetes_labels.h"

namespace kestrel {

void kubernetes_from_labels(ContainerInfo& c) {
  auto get = [&](const char* k) {
    auto it = c.labels.find(k);
    return it == c.labels.end() ? std::string() : it->second;
  };
  c.pod_name = get("io.kubernetes.pod.name");
  c.pod_namespace = get("io.kubernetes.pod.namespace");
  c.pod_uid = get("io.kubernetes.pod.uid");
  c.pod_sandbox_id = get("io.kubernetes.sandbox.id");
}

bool is_runtime_label(std::string_view key) {
  return key.starts_with("io.kubernetes.") || key.starts_with("io.cri-containerd.") || key.starts_with("annotation.");
}

}  // namespace kestrel
