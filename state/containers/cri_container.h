// cri_container.h — a CRI runtime's answer about one container, as ContainerInfo.
//
// From the CRI RuntimeService (k8s.io/cri-api runtime/v1), answers that
// cri_runtime.cpp fetched:
//   ContainerStatus (verbose): id, metadata.name, image.image (the reference
//     the container was created from) → image / repository / tag,
//     image_ref ("sha256:<id>" or "<repo>@sha256:<digest>") → image id or
//     digest, started_at (created_at until started) → start_ts, mounts,
//     labels; its verbose `info["info"]` JSON (containerd, cri-o) gives the
//     sandbox id and the container config, whose
//     linux.security_context.privileged is container.privileged;
//   PodSandboxStatus: metadata name / namespace / uid → k8s.pod.*, its
//     labels → k8s.pod.labels (CRI gives them directly: no io.kubernetes.*
//     labels needed on the container).
#pragma once

#include <string>

#include "k8s.io/cri-api/pkg/apis/runtime/v1/api.pb.h"
#include "state/containers/container_info.h"

namespace kestrel {

// "containerd" → "containerd", "cri-o" → "cri-o", anything else → "cri":
// Falco's container.type names for the runtime_name of the Version RPC.
std::string cri_container_type(const std::string& runtime_name);

// The sandbox id from the verbose info JSON ("" when it does not say).
std::string cri_sandbox_id(const runtime::v1::ContainerStatusResponse& resp);

ContainerInfo cri_container_info(const runtime::v1::ContainerStatusResponse& resp, const std::string& type);

// k8s.pod.* from the pod's sandbox.
void cri_apply_sandbox(ContainerInfo& info, const runtime::v1::PodSandboxStatus& sandbox);

}  // namespace kestrel
