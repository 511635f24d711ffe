#include "state/containers/containerd_container.h"

#include <nlohmann/json.hpp>

#include "github.com/containerd/containerd/api/services/containers/v1/containers.pb.h"
#include "state/containers/image_ref.h"
#include "state/containers/kubernetes_labels.h"

namespace kestrel {
namespace {

using nlohmann::json;

const json& member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string str(const json& j, const char* key) {
  const json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool empty_or_absent(const json& v) { return !v.is_array() || v.empty(); }

bool contains_string(const json& arr, std::string_view s) {
  if (!arr.is_array()) return false;
  for (const json& v : arr)
    if (v.is_string() && v.get_ref<const std::string&>() == s) return true;
  return false;
}

std::string label(const ContainerInfo& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? std::string() : it->second;
}

}  // namespace

std::string runtime_from_shim(std::string_view shim) {
  if (shim.starts_with("io.containerd.runsc.")) return "runsc";
  if (shim.starts_with("io.containerd.runc.")) return "runc";
  return std::string(shim);
}

bool apply_oci_spec(std::string_view spec_json, ContainerInfo& c) {
  json spec = json::parse(spec_json, nullptr, false);
  if (!spec.is_object()) return false;
  const json& linux = member(spec, "linux");
  const json& bounding = member(member(member(spec, "process"), "capabilities"), "bounding");
  c.privileged_known = true;
  c.privileged = contains_string(bounding, "CAP_SYS_ADMIN") && empty_or_absent(member(linux, "maskedPaths")) &&
                 empty_or_absent(member(linux, "readonlyPaths"));
  // A namespace the spec does not list is the host's. No "linux" section
  // at all (a non-Linux spec) says nothing.
  if (const json& namespaces = member(linux, "namespaces"); namespaces.is_array()) {
    bool pid = false, net = false, ipc = false;
    for (const json& ns : namespaces) {
      std::string type = str(ns, "type");
      // A namespace joined by path is another container's (a pod's), not the host's.
      pid |= type == "pid";
      net |= type == "network";
      ipc |= type == "ipc";
    }
    c.host_pid = !pid;
    c.host_network = !net;
    c.host_ipc = !ipc;
  }
  if (const json& mounts = member(spec, "mounts"); mounts.is_array()) {
    c.mounts.clear();
    for (const json& m : mounts) {
      ContainerMount mount;
      mount.source = str(m, "source");
      mount.dest = str(m, "destination");
      const json& options = member(m, "options");
      mount.rw = !contains_string(options, "ro");
      if (options.is_array()) {
        for (const json& o : options) {
          if (!o.is_string()) continue;
          const std::string& opt = o.get_ref<const std::string&>();
          if (opt == "private" || opt == "rprivate" || opt == "shared" || opt == "rshared" || opt == "slave" ||
              opt == "rslave") {
            mount.propagation = opt;
            break;
          }
        }
      }
      c.mounts.push_back(std::move(mount));
    }
  }
  if (c.pod_sandbox_id.empty()) c.pod_sandbox_id = str(member(spec, "annotations"), "io.kubernetes.cri.sandbox-id");
  return true;
}

ContainerInfo containerd_container_info(const containerd::services::containers::v1::Container& rec, std::string_view ns) {
  ContainerInfo c;
  c.id = rec.id();
  for (const auto& [k, v] : rec.labels()) c.labels.emplace(k, v);
  c.image = rec.image();
  ImageRef ref = parse_image_ref(c.image);
  c.image_repository = ref.repository;
  c.image_tag = c.image.empty() ? std::string() : ref.tag;
  c.image_digest = ref.digest;
  c.runtime = runtime_from_shim(rec.runtime().name());
  if (rec.has_created_at() && rec.created_at().seconds() > 0)
    c.start_ts = static_cast<uint64_t>(rec.created_at().seconds()) * 1000000000ull +
                 static_cast<uint64_t>(rec.created_at().nanos());
  kubernetes_from_labels(c);
  c.type = ns == "k8s.io" && !c.pod_name.empty() ? "cri" : "containerd";
  c.name = label(c, "io.kubernetes.container.name");
  if (c.name.empty()) c.name = label(c, "nerdctl/name");
  if (c.name.empty()) c.name = c.id;
  if (rec.has_spec()) apply_oci_spec(rec.spec().value(), c);
  return c;
}

}  // namespace kestrel
