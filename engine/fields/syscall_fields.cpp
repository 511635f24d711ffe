// The syscall source's field families, in the order `kestrel -L` lists
// them. Names, types and arguments follow Falco's (libsinsp
// sinsp_filtercheck_*.cpp) so existing rules load unchanged.
//
// A family Kestrel fills has its table beside its extractors
// (engine/eval/extract_*.cpp), so a row's extractor is what makes the field
// "filled". The families below have no extractor yet: their rules load and
// validate, and the fields read as missing (<NA>).
#include "engine/eval/extract.h"
#include "engine/fields/field_registry.h"

namespace kestrel::engine {
namespace {

using eval::kNotFilled;
using T = FieldType;
using A = FieldArg;
constexpr bool Y = true;
constexpr bool N = false;

constexpr FieldInfo kFdlistFields[] = {
    {"fdlist.nums", T::kString, A::kNone, N, N, kNotFilled, "fd numbers of poll events"},
    {"fdlist.names", T::kString, A::kNone, N, N, kNotFilled, "fd names of poll events"},
    {"fdlist.cips", T::kString, A::kNone, N, N, kNotFilled, "client IPs of poll events"},
    {"fdlist.sips", T::kString, A::kNone, N, N, kNotFilled, "server IPs of poll events"},
    {"fdlist.cports", T::kString, A::kNone, N, N, kNotFilled, "client ports of poll events"},
    {"fdlist.sports", T::kString, A::kNone, N, N, kNotFilled, "server ports of poll events"},
};
constexpr FieldSet kFdlistSet{"fdlist", "poll fd list fields", kFdlistFields};

constexpr FieldInfo kFsPathFields[] = {
    {"fs.path.name", T::kPath, A::kNone, N, N, kNotFilled, "path of the file the event acts on"},
    {"fs.path.nameraw", T::kPath, A::kNone, N, N, kNotFilled, "path as passed by the process"},
    {"fs.path.source", T::kPath, A::kNone, N, N, kNotFilled, "source path (rename, link…)"},
    {"fs.path.sourceraw", T::kPath, A::kNone, N, N, kNotFilled, "source path as passed by the process"},
    {"fs.path.target", T::kPath, A::kNone, N, N, kNotFilled, "target path (rename, link…)"},
    {"fs.path.targetraw", T::kPath, A::kNone, N, N, kNotFilled, "target path as passed by the process"},
};
constexpr FieldSet kFsPathSet{"fs.path", "file system path fields", kFsPathFields};

constexpr FieldInfo kK8sFields[] = {
    {"k8s.pod.name", T::kString, A::kNone, N, N, kNotFilled, "Kubernetes pod name"},
    {"k8s.pod.id", T::kString, A::kNone, N, N, kNotFilled, "Kubernetes pod id (legacy alias of k8s.pod.uid)"},
    {"k8s.pod.uid", T::kString, A::kNone, N, N, kNotFilled, "Kubernetes pod UID"},
    {"k8s.pod.sandbox_id", T::kString, A::kNone, N, N, kNotFilled, "pod sandbox id (12 chars)"},
    {"k8s.pod.full_sandbox_id", T::kString, A::kNone, N, N, kNotFilled, "full pod sandbox id"},
    {"k8s.pod.label", T::kString, A::kKey, Y, N, kNotFilled, "one pod label"},
    {"k8s.pod.labels", T::kString, A::kNone, N, N, kNotFilled, "all pod labels"},
    {"k8s.pod.ip", T::kString, A::kNone, N, N, kNotFilled, "pod IP"},
    {"k8s.pod.cni.json", T::kString, A::kNone, N, N, kNotFilled, "pod CNI result as JSON"},
    {"k8s.ns.name", T::kString, A::kNone, N, N, kNotFilled, "Kubernetes namespace name"},
    {"k8s.rc.name", T::kString, A::kNone, N, N, kNotFilled, "replication controller name"},
    {"k8s.rs.name", T::kString, A::kNone, N, N, kNotFilled, "replica set name"},
    {"k8s.svc.name", T::kString, A::kNone, N, N, kNotFilled, "service name"},
    {"k8s.deployment.name", T::kString, A::kNone, N, N, kNotFilled, "deployment name"},
};
constexpr FieldSet kK8sSet{"k8s", "Kubernetes metadata fields", kK8sFields};

}  // namespace

std::span<const FieldSet* const> syscall_field_sets() {
  static const FieldSet* const kSets[] = {&eval::evt_field_set(),       &eval::proc_field_set(),
                                          &eval::thread_field_set(),    &eval::fd_field_set(),
                                          &kFdlistSet,                  &kFsPathSet,
                                          &eval::container_field_set(), &kK8sSet,
                                          &eval::user_field_set()};
  return kSets;
}

}  // namespace kestrel::engine
