// container_info.h — what a container runtime says about one container.
//
// Plain data, filled by a runtime client (docker_runtime.h) from the
// runtime's own API and read by the container.* and k8s.* extractors
// (engine/eval/extract_container.cpp). Empty strings mean "the runtime did
// not say" and read as <NA>; `privileged_known` and `start_ts` = 0 likewise.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kestrel {

// One mount as Falco's container.mount fields show it:
// "source:dest:mode:rdwr:propagation".
struct ContainerMount {
  std::string source;       // host path (or volume path)
  std::string dest;         // path inside the container
  std::string mode;         // the runtime's mode string ("", "z", "ro"...)
  bool rw = true;           // read-write
  std::string propagation;  // "rprivate", "shared", ... ("" when unset)
};

struct ContainerInfo {
  std::string id;       // full id (64 hex for docker/containerd/cri-o)
  std::string name;     // without Docker's leading '/'
  std::string image;    // as the container was created from ("busybox:1.36")
  std::string image_repository;  // "busybox", "registry:5000/team/app"
  std::string image_tag;         // "1.36"; "latest" when the name has none
  std::string image_id;          // hex, without "sha256:"
  std::string image_digest;      // "sha256:..." from the image's repo digests
  std::string type;              // "docker", "containerd", "cri-o", "podman"
  std::string runtime;           // OCI runtime ("runc", "runsc"), "" if unknown
  bool privileged_known = false;
  bool privileged = false;
  bool host_pid = false, host_network = false, host_ipc = false;
  std::vector<ContainerMount> mounts;
  uint64_t start_ts = 0;  // ns since epoch (creation time until started); 0: unknown
  std::string healthcheck;      // command line; "NONE" when disabled; "" when none
  std::string ip;               // primary IP, "" when none
  std::map<std::string, std::string> labels;
  // Kubernetes, from the io.kubernetes.* labels the kubelet sets.
  std::string pod_name, pod_namespace, pod_uid, pod_sandbox_id;
  std::map<std::string, std::string> pod_labels;
};

}  // namespace kestrel
