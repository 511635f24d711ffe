#include "state/containers/cri_container.h"

#include <nlohmann/json.hpp>

#include "state/containers/containerd_container.h"
#include "state/containers/image_ref.h"
#include "state/containers/kubernetes_labels.h"

namespace kestrel {
namespace {

using nlohmann::json;
namespace cri = runtime::v1;

const json& member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

// The verbose "info" JSON (containerd's and cri-o's shape: sandboxID,
// runtimeType, runtimeSpec, config); null when absent or unreadable.
json verbose_info(const cri::ContainerStatusResponse& resp) {
  auto it = resp.info().find("info");
  if (it == resp.info().end()) return json();
  return json::parse(it->second, nullptr, false);
}

const char* propagation_name(cri::MountPropagation p) {
  switch (p) {
    case cri::PROPAGATION_HOST_TO_CONTAINER: return "rslave";
    case cri::PROPAGATION_BIDIRECTIONAL: return "rshared";
    default: return "rprivate";
  }
}

}  // namespace

std::string cri_container_type(const std::string& runtime_name) {
  if (runtime_name == "containerd" || runtime_name == "cri-o") return runtime_name;
  return "cri";
}

std::string cri_sandbox_id(const cri::ContainerStatusResponse& resp) {
  const json& id = member(verbose_info(resp), "sandboxID");
  return id.is_string() ? id.get<std::string>() : std::string();
}

ContainerInfo cri_container_info(const cri::ContainerStatusResponse& resp, const std::string& type) {
  const cri::ContainerStatus& s = resp.status();
  ContainerInfo c;
  c.id = s.id();
  c.name = s.metadata().name();
  c.type = type;
  c.image = s.image().image();
  ImageRef ref = parse_image_ref(c.image);
  c.image_repository = ref.repository;
  c.image_tag = ref.tag;
  c.image_digest = ref.digest;
  // image_ref: the image id ("sha256:<hex>", containerd) or a digested
  // reference ("<repo>@sha256:<hex>", cri-o and older runtimes).
  const std::string& image_ref = s.image_ref();
  if (image_ref.starts_with("sha256:")) {
    c.image_id = image_ref.substr(7);
  } else if (size_t at = image_ref.find("@sha256:"); at != std::string::npos && c.image_digest.empty()) {
    c.image_digest = image_ref.substr(at + 1);
  }
  int64_t started = s.started_at() > 0 ? s.started_at() : s.created_at();
  c.start_ts = started > 0 ? static_cast<uint64_t>(started) : 0;
  for (const auto& [k, v] : s.labels()) c.labels[k] = v;
  kubernetes_from_labels(c);

  json info = verbose_info(resp);
  if (const json& spec = member(info, "runtimeSpec"); spec.is_object()) apply_oci_spec(spec.dump(), c);
  if (const json& shim = member(info, "runtimeType"); shim.is_string()) c.runtime = runtime_from_shim(shim.get<std::string>());
  // What the pod spec asked for is the truth for container.privileged;
  // the OCI spec heuristic above stands only when the config is absent.
  const json& privileged = member(member(member(member(info, "config"), "linux"), "security_context"), "privileged");
  if (privileged.is_boolean()) {
    c.privileged_known = true;
    c.privileged = privileged.get<bool>();
  } else if (member(info, "config").is_object()) {
    // proto3 JSON omits false: a config without the key is unprivileged.
    c.privileged_known = true;
    c.privileged = false;
  }
  if (const json& sandbox = member(info, "sandboxID"); sandbox.is_string()) c.pod_sandbox_id = sandbox.get<std::string>();
  // The CRI's own mounts: what the pod spec mounted (the OCI spec's also
  // list /proc, /dev and the runtime's own files).
  c.mounts.clear();
  for (const cri::Mount& m : s.mounts()) {
    ContainerMount out;
    out.source = m.host_path();
    out.dest = m.container_path();
    out.rw = !m.readonly();
    out.mode = m.readonly() ? "ro" : "";
    out.propagation = propagation_name(m.propagation());
    c.mounts.push_back(std::move(out));
  }
  return c;
}

void cri_apply_sandbox(ContainerInfo& info, const cri::PodSandboxStatus& sandbox) {
  info.pod_sandbox_id = sandbox.id();
  info.pod_name = sandbox.metadata().name();
  info.pod_namespace = sandbox.metadata().namespace_();
  info.pod_uid = sandbox.metadata().uid();
  info.pod_labels.clear();
  for (const auto& [k, v] : sandbox.labels())
    if (!is_runtime_label(k)) info.pod_labels[k] = v;
  if (sandbox.has_linux() && sandbox.linux().has_namespaces()) {
    const auto& o = sandbox.linux().namespaces().options();
    info.host_network = o.network() == runtime::v1::NODE;
    info.host_pid = o.pid() == runtime::v1::NODE;
    info.host_ipc = o.ipc() == runtime::v1::NODE;
  }
}

}  // namespace kestrel
