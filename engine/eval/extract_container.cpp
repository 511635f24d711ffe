// container.* and k8s.* extractors.
//
// container.id, container.full_id and container.type come from the thread
// table (cgroup paths on the host, the sandbox's context in gVisor). The
// rest is what the container's runtime says, through the ContainerMetadata
// interface (state/containers/container_metadata.h): the engine never
// knows which runtime answered. Semantics follow Falco's container fields:
// on the host container.id and container.name are "host" and the rest is
// missing; a container the runtime does not (yet) know reads <NA>.
// k8s.* come from the io.kubernetes.* labels the kubelet puts on its
// containers.
#include <charconv>

#include "engine/eval/compare.h"
#include "state/container_id.h"
#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

V missing() { return V{}; }
V string_or_missing(const std::string& s) { return s.empty() ? missing() : V::string(s); }

bool on_host(ExtractContext& c) {
  const ThreadInfo* t = c.thread();
  return t != nullptr && t->container_id.empty() && c.event().domain == kHostDomain;
}

// container.id: the 12-char id, "host" outside containers (Falco).
V container_id(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr) return missing();
  return V::string(t->container_id.empty() ? std::string_view("host") : std::string_view(t->container_id));
}
V container_full_id(ExtractContext& c, const FieldRef&, Scratch&) {
  const ThreadInfo* t = c.thread();
  if (t == nullptr) return missing();
  if (!t->container_full_id.empty()) return V::string(t->container_full_id);
  return V::string(t->container_id.empty() ? std::string_view("host") : std::string_view(t->container_id));
}
// Events from a gVisor sandbox are "gvisor" containers whatever runtime
// started the sandbox; on the host, what the runtime says, else what the
// cgroup path told the table.
V container_type(ExtractContext& c, const FieldRef&, Scratch&) {
  if (c.event().domain != kHostDomain) return V::string("gvisor");
  if (const ContainerInfo* ci = c.container(); ci != nullptr && !ci->type.empty()) return V::string(ci->type);
  const ThreadInfo* t = c.thread();
  if (t == nullptr || t->container_type.empty()) return missing();
  return V::string(t->container_type);
}
V container_name(ExtractContext& c, const FieldRef&, Scratch&) {
  if (on_host(c)) return V::string("host");
  const ContainerInfo* ci = c.container();
  return ci ? string_or_missing(ci->name) : missing();
}

// One string member of ContainerInfo, <NA> when absent or empty.
template <std::string ContainerInfo::*Member>
V info_string(ExtractContext& c, const FieldRef&, Scratch&) {
  const ContainerInfo* ci = c.container();
  return ci ? string_or_missing(ci->*Member) : missing();
}
template <bool ContainerInfo::*Member>
V info_bool(ExtractContext& c, const FieldRef&, Scratch&) {
  const ContainerInfo* ci = c.container();
  return ci && ci->privileged_known ? V::boolean(ci->*Member) : missing();
}

V container_start_ts(ExtractContext& c, const FieldRef&, Scratch&) {
  const ContainerInfo* ci = c.container();
  return ci && ci->start_ts ? V::uint64(ci->start_ts) : missing();
}
V container_duration(ExtractContext& c, const FieldRef&, Scratch&) {
  const ContainerInfo* ci = c.container();
  if (ci == nullptr || ci->start_ts == 0) return missing();
  uint64_t ts = c.view().ts();
  return V::uint64(ts > ci->start_ts ? ts - ci->start_ts : 0);
}

// Falco's mount string: "source:dest:mode:rdwr:propagation".
void append_mount(std::string& out, const ContainerMount& m) {
  out += m.source;
  out += ':';
  out += m.dest;
  out += ':';
  out += m.mode;
  out += ':';
  out += m.rw ? "true" : "false";
  out += ':';
  out += m.propagation;
}

V container_mounts(ExtractContext& c, const FieldRef&, Scratch& s) {
  const ContainerInfo* ci = c.container();
  if (ci == nullptr) return missing();
  s.text.clear();
  for (const ContainerMount& m : ci->mounts) {
    if (!s.text.empty()) s.text += ',';
    append_mount(s.text, m);
  }
  return V::string(s.text);
}

// container.mount[N] or container.mount[glob]: the mount at index N, or
// the first whose `by` path (source, or dest for container.mount.source)
// matches the glob, as Falco's mount accessors pick one.
const ContainerMount* pick_mount(const ContainerInfo& ci, const FieldRef& r, bool by_dest) {
  if (r.index >= 0) return static_cast<size_t>(r.index) < ci.mounts.size() ? &ci.mounts[r.index] : nullptr;
  if (!r.arg) return nullptr;
  for (const ContainerMount& m : ci.mounts)
    if (glob_match(*r.arg, by_dest ? m.dest : m.source, false)) return &m;
  return nullptr;
}

template <bool kByDest>
const ContainerMount* mount_of(ExtractContext& c, const FieldRef& r) {
  const ContainerInfo* ci = c.container();
  return ci ? pick_mount(*ci, r, kByDest) : nullptr;
}

V container_mount(ExtractContext& c, const FieldRef& r, Scratch& s) {
  const ContainerMount* m = mount_of<false>(c, r);
  if (m == nullptr) return missing();
  s.text.clear();
  append_mount(s.text, *m);
  return V::string(s.text);
}
V mount_source(ExtractContext& c, const FieldRef& r, Scratch&) {
  const ContainerMount* m = mount_of<true>(c, r);
  return m ? V::string(m->source) : missing();
}
V mount_dest(ExtractContext& c, const FieldRef& r, Scratch&) {
  const ContainerMount* m = mount_of<false>(c, r);
  return m ? V::string(m->dest) : missing();
}
V mount_mode(ExtractContext& c, const FieldRef& r, Scratch&) {
  const ContainerMount* m = mount_of<false>(c, r);
  return m ? V::string(m->mode) : missing();
}
V mount_rdwr(ExtractContext& c, const FieldRef& r, Scratch&) {
  const ContainerMount* m = mount_of<false>(c, r);
  return m ? V::string(m->rw ? "true" : "false") : missing();
}
V mount_propagation(ExtractContext& c, const FieldRef& r, Scratch&) {
  const ContainerMount* m = mount_of<false>(c, r);
  return m ? V::string(m->propagation) : missing();
}

// k8s.* ------------------------------------------------------------------

V pod_sandbox_id(ExtractContext& c, const FieldRef&, Scratch&) {
  const ContainerInfo* ci = c.container();
  if (ci == nullptr || ci->pod_sandbox_id.empty()) return missing();
  return V::string(std::string_view(ci->pod_sandbox_id).substr(0, kContainerShortIdLength));
}
V pod_label(ExtractContext& c, const FieldRef& r, Scratch&) {
  const ContainerInfo* ci = c.container();
  if (ci == nullptr || !r.arg) return missing();
  auto it = ci->pod_labels.find(*r.arg);
  return it == ci->pod_labels.end() ? missing() : V::string(it->second);
}
// "key:value, key:value", as Falco prints a pod's labels.
V pod_labels(ExtractContext& c, const FieldRef&, Scratch& s) {
  const ContainerInfo* ci = c.container();
  if (ci == nullptr || ci->pod_name.empty()) return missing();
  s.text.clear();
  for (const auto& [k, v] : ci->pod_labels) {
    if (!s.text.empty()) s.text += ", ";
    s.text += k;
    s.text += ':';
    s.text += v;
  }
  return V::string(s.text);
}

using T = FieldType;
using A = FieldArg;
constexpr bool Y = true;
constexpr bool N = false;
using CI = ContainerInfo;

constexpr FieldInfo kContainerFields[] = {
    {"container.id", T::kString, A::kNone, N, N, container_id, "container id (12 chars), 'host' outside containers"},
    {"container.full_id", T::kString, A::kNone, N, N, container_full_id, "full container id"},
    {"container.name", T::kString, A::kNone, N, N, container_name, "container name, 'host' outside containers"},
    {"container.image", T::kString, A::kNone, N, N, info_string<&CI::image>, "container image name"},
    {"container.image.id", T::kString, A::kNone, N, N, info_string<&CI::image_id>, "container image id"},
    {"container.type", T::kString, A::kNone, N, N, container_type,
     "container type: docker, cri-o, containerd, podman, gvisor…"},
    {"container.privileged", T::kBool, A::kNone, N, N, info_bool<&CI::privileged>, "true for privileged containers"},
    {"container.mounts", T::kString, A::kNone, N, N, container_mounts,
     "all mounts: source:dest:mode:rdrw:propagation, comma-separated"},
    {"container.mount", T::kString, A::kIndexOrKey, Y, N, container_mount, "one mount by index or source path (glob)"},
    {"container.mount.source", T::kString, A::kIndexOrKey, Y, N, mount_source,
     "mount source by index or dest path (glob)"},
    {"container.mount.dest", T::kString, A::kIndexOrKey, Y, N, mount_dest, "mount dest by index or source path (glob)"},
    {"container.mount.mode", T::kString, A::kIndexOrKey, Y, N, mount_mode, "mount mode by index or source path"},
    {"container.mount.rdwr", T::kString, A::kIndexOrKey, Y, N, mount_rdwr,
     "mount read/write flag by index or source path"},
    {"container.mount.propagation", T::kString, A::kIndexOrKey, Y, N, mount_propagation,
     "mount propagation by index or source path"},
    {"container.image.repository", T::kString, A::kNone, N, N, info_string<&CI::image_repository>,
     "image repository (e.g. falcosecurity/falco)"},
    {"container.image.tag", T::kString, A::kNone, N, N, info_string<&CI::image_tag>, "image tag (e.g. stable, latest)"},
    {"container.image.digest", T::kString, A::kNone, N, N, info_string<&CI::image_digest>, "image registry digest"},
    {"container.healthcheck", T::kString, A::kNone, N, N, info_string<&CI::healthcheck>,
     "health check command, NONE when disabled"},
    {"container.liveness_probe", T::kString, A::kNone, N, N, kNotFilled,
     "liveness probe command (Kubernetes; needs a CRI client)"},
    {"container.readiness_probe", T::kString, A::kNone, N, N, kNotFilled,
     "readiness probe command (Kubernetes; needs a CRI client)"},
    {"container.start_ts", T::kAbsTime, A::kNone, N, N, container_start_ts, "container start (ns since epoch)"},
    {"container.duration", T::kRelTime, A::kNone, N, N, container_duration, "ns since the container started"},
    {"container.ip", T::kString, A::kNone, N, N, info_string<&CI::ip>, "container IP address"},
    {"container.cni.json", T::kString, A::kNone, N, N, kNotFilled,
     "container CNI result as JSON (needs a CRI client)"},
    {"container.host_pid", T::kBool, A::kNone, N, N, info_bool<&CI::host_pid>,
     "true if the container shares the host pid ns"},
    {"container.host_network", T::kBool, A::kNone, N, N, info_bool<&CI::host_network>,
     "true if the container shares the host network ns"},
    {"container.host_ipc", T::kBool, A::kNone, N, N, info_bool<&CI::host_ipc>,
     "true if the container shares the host ipc ns"},
    {"container.info", T::kString, A::kNone, N, N, kNotFilled, "deprecated, kept so older rule outputs load"},
};
constexpr FieldSet kContainerSet{"container", "container fields (Falco's container plugin)", kContainerFields};

// k8s.rc/rs/svc/deployment came from Falco's removed Kubernetes API
// client; no container label carries them, so they stay unfilled.
constexpr FieldInfo kK8sFields[] = {
    {"k8s.pod.name", T::kString, A::kNone, N, N, info_string<&CI::pod_name>, "Kubernetes pod name"},
    {"k8s.pod.id", T::kString, A::kNone, N, N, info_string<&CI::pod_uid>,
     "Kubernetes pod id (legacy alias of k8s.pod.uid)"},
    {"k8s.pod.uid", T::kString, A::kNone, N, N, info_string<&CI::pod_uid>, "Kubernetes pod UID"},
    {"k8s.pod.sandbox_id", T::kString, A::kNone, N, N, pod_sandbox_id, "pod sandbox id (12 chars)"},
    {"k8s.pod.full_sandbox_id", T::kString, A::kNone, N, N, info_string<&CI::pod_sandbox_id>, "full pod sandbox id"},
    {"k8s.pod.label", T::kString, A::kKey, Y, N, pod_label, "one pod label"},
    {"k8s.pod.labels", T::kString, A::kNone, N, N, pod_labels, "all pod labels"},
    {"k8s.pod.ip", T::kString, A::kNone, N, N, kNotFilled, "pod IP"},
    {"k8s.pod.cni.json", T::kString, A::kNone, N, N, kNotFilled, "pod CNI result as JSON"},
    {"k8s.ns.name", T::kString, A::kNone, N, N, info_string<&CI::pod_namespace>, "Kubernetes namespace name"},
    {"k8s.rc.name", T::kString, A::kNone, N, N, kNotFilled, "replication controller name"},
    {"k8s.rs.name", T::kString, A::kNone, N, N, kNotFilled, "replica set name"},
    {"k8s.svc.name", T::kString, A::kNone, N, N, kNotFilled, "service name"},
    {"k8s.deployment.name", T::kString, A::kNone, N, N, kNotFilled, "deployment name"},
};
constexpr FieldSet kK8sSet{"k8s", "Kubernetes metadata fields", kK8sFields};

}  // namespace

const FieldSet& container_field_set() { return kContainerSet; }
const FieldSet& k8s_field_set() { return kK8sSet; }

}  // namespace kestrel::engine::eval
