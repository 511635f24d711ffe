// kubernetes_labels.h — k8s.pod.* from the labels the kubelet sets.
//
// Kubernetes runtimes (dockershim, cri-dockerd, containerd's CRI plugin)
// label every container with io.kubernetes.pod.{name,namespace,uid} and
// io.kubernetes.sandbox.id; both the Docker and containerd clients read
// them here, so the two agree on what a pod is.
#pragma once

#include <string_view>

#include "state/containers/container_info.h"

namespace kestrel {

// Sets pod_name, pod_namespace, pod_uid and pod_sandbox_id from
// `c.labels` (empty when a label is absent).
void kubernetes_from_labels(ContainerInfo& c);

// True for labels a runtime or the kubelet adds itself (io.kubernetes.*,
// io.cri-containerd.*, annotation.*): a pod's own labels are the rest.
bool is_runtime_label(std::string_view key);

}  // namespace kestrel
