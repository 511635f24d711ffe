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


}  // namespace

std::span<const FieldSet* const> syscall_field_sets() {
  static const FieldSet* const kSets[] = {&eval::evt_field_set(),       &eval::proc_field_set(),
                                          &eval::thread_field_set(),    &eval::fd_field_set(),
                                          &kFdlistSet,                  &kFsPathSet,
                                          &eval::container_field_set(), &eval::k8s_field_set(),
                                          &eval::user_field_set(),      &eval::vm_field_set(),
                                          &eval::machine_field_set()};
  return kSets;
}

}  // namespace kestrel::engine
