// vm.* and machine.* extractors: which machine an event comes from.
//
// The host, its containers and its gVisor sandboxes are the local machine;
// a VM guest or remote node forwarding its stream (sources/remote/), or a
// fleet node whose events a central reads off the bus (fleet/
// nats_event_source.h), is its own domain, registered in the MachineDirectory (state/machine_directory.h)
// when its stream says hello. vm.name and vm.id are missing outside a
// guest's domain, so `vm.name exists` tells guest events from the host's;
// machine.* always has a value. Without a directory (replays, tests
// without one) vm.* read missing and machine.* read missing too.
#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

using V = ExtractedValue;

const MachineIdentity* machine(ExtractContext& c) {
  const MachineDirectory* dir = c.env().machines;
  return dir == nullptr ? nullptr : dir->find(c.event().domain);
}

template <std::string MachineIdentity::*M>
V remote_string(ExtractContext& c, const FieldRef&, Scratch&) {
  const MachineDirectory* dir = c.env().machines;
  if (dir == nullptr || !dir->is_remote(c.event().domain)) return V{};
  const std::string& s = dir->find(c.event().domain)->*M;
  return s.empty() ? V{} : V::string(s);
}

template <std::string MachineIdentity::*M>
V machine_string(ExtractContext& c, const FieldRef&, Scratch&) {
  const MachineIdentity* m = machine(c);
  if (m == nullptr || (m->*M).empty()) return V{};
  return V::string(m->*M);
}

using T = FieldType;
using A = FieldArg;
constexpr bool N = false;
using MI = MachineIdentity;

constexpr FieldInfo kVmFields[] = {
    {"vm.name", T::kString, A::kNone, N, N, remote_string<&MI::vm_name>,
     "name of the VM guest (or remote node) the event comes from: as the host knows it (qemu -name, the "
     "vsock CID's or TLS certificate's mapping), else the guest's own forward.name; for a fleet node's events read "
     "off the bus (nats.consume_events), the node (nats.node); missing on the host"},
    {"vm.id", T::kString, A::kNone, N, N, remote_string<&MI::vm_id>,
     "id of that VM: its UUID (qemu -uuid, the guest's DMI product_uuid), else its stream id; missing on the host"},
};
constexpr FieldSet kVmSet{"vm", "VM guest fields (events forwarded by a guest Kestrel)", kVmFields};

constexpr FieldInfo kMachineFields[] = {
    {"machine.hypervisor", T::kString, A::kNone, N, N, machine_string<&MI::hypervisor>,
     "hypervisor of the machine the event happened on (kvm, qemu, firecracker, xen, hyper-v, vmware, gvisor, ...; "
     "none on bare metal), from CPUID, DMI and /sys"},
    {"machine.kernel", T::kString, A::kNone, N, N, machine_string<&MI::kernel>,
     "kernel release (uname -r) of the machine the event happened on"},
    {"machine.hostname", T::kString, A::kNone, N, N, machine_string<&MI::hostname>,
     "hostname of the machine the event happened on (a guest's own, for forwarded events)"},
    {"machine.environment", T::kString, A::kNone, N, N, machine_string<&MI::environment>,
     "bare-metal, vm or gvisor: where the Kestrel that captured the event runs"},
};
constexpr FieldSet kMachineSet{"machine", "the machine an event happened on (host or forwarding guest)",
                               kMachineFields};

}  // namespace

const FieldSet& vm_field_set() { return kVmSet; }
const FieldSet& machine_field_set() { return kMachineSet; }

}  // namespace kestrel::engine::eval
