// machine_environment.h — where this Kestrel runs: bare metal, a VM (and
// which hypervisor and cloud), or inside gVisor.
//
// Evidence, in the order it is trusted:
//   1. gVisor: its Sentry answers uname with a fixed release ("4.4.0") and
//      version ("#1 SMP Sun Jan 10 15:06:54 PST 2016"); a real 4.4.0 kernel
//      never carries that exact build stamp.
//   2. CPUID leaf 0x40000000 (only when leaf 1 ECX bit 31, "hypervisor
//      present", is set): the hypervisor's 12-byte signature — "KVMKVMKVM",
//      "TCGTCGTCGTCG" (qemu without KVM), "XenVMMXenVMM", "Microsoft Hv",
//      "VMwareVMware", "bhyve bhyve ", "ACRNACRNACRN", "Linux KVM Hv".
//   3. /sys/hypervisor/type ("xen" for PV guests, which have no CPUID leaf).
//   4. DMI (/sys/class/dmi/id/{sys_vendor,product_name,bios_vendor,
//      chassis_asset_tag,product_uuid}): names the product and the cloud
//      (Amazon EC2, Google Compute Engine, Azure's asset tag, ...).
//   5. Firecracker exposes KVM's signature and no DMI at all; its guests
//      are told their virtio-mmio devices on the kernel command line, which
//      is what tells it apart from qemu/KVM (a heuristic, documented as one).
// Nothing here needs privileges except product_uuid (root-readable only; it
// stays empty otherwise).
#pragma once

#include <string>

#include "sources/capture/kcap_format.h"

namespace kestrel::kcap {

// What detect_environment() read, separated from the reading so that
// classify_environment() is a pure function the tests drive.
struct EnvironmentEvidence {
  bool cpuid_hypervisor_bit = false;
  std::string cpuid_signature;  // "" when the bit is clear or not x86
  std::string sys_hypervisor_type;  // /sys/hypervisor/type
  std::string dmi_sys_vendor, dmi_product_name, dmi_bios_vendor, dmi_bios_version,
      dmi_chassis_asset_tag, dmi_product_uuid;
  bool dmi_present = false;     // /sys/class/dmi/id exists
  std::string kernel_release, kernel_version;  // uname -r, -v
  std::string kernel_cmdline;   // /proc/cmdline
  std::string boot_id;
};

// Reads the evidence of this machine. Never fails: what cannot be read
// stays empty.
EnvironmentEvidence read_environment_evidence();

// Decides kind, hypervisor and cloud from the evidence (rules above).
MachineEnvironment classify_environment(const EnvironmentEvidence& e);

// classify_environment(read_environment_evidence()), computed once per
// process (the evidence does not change while it runs).
const MachineEnvironment& detect_environment();

// One line for `kestrel --version` and logs:
// "vm (kvm, cloud aws, Amazon EC2 m5.large)", "bare-metal", "gvisor".
std::string describe_environment(const MachineEnvironment& e);

}  // namespace kestrel::kcap
