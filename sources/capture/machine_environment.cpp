#include "sources/capture/machine_environment.h"

#include <sys/utsname.h>

#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#endif

#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace kestrel::kcap {

namespace {

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\n' || line.back() == '\0')) line.pop_back();
  return line;
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// gVisor's Sentry reports this fixed uname (pkg/sentry/kernel/version.go).
constexpr std::string_view kGvisorRelease = "4.4.0";
constexpr std::string_view kGvisorVersion = "#1 SMP Sun Jan 10 15:06:54 PST 2016";

struct SignatureName {
  std::string_view signature;
  std::string_view hypervisor;
};
constexpr SignatureName kCpuidSignatures[] = {
    {"KVMKVMKVM", "kvm"},          {"Linux KVM Hv", "kvm"},   {"TCGTCGTCGTCG", "qemu"},
    {"XenVMMXenVMM", "xen"},       {"Microsoft Hv", "hyper-v"}, {"VMwareVMware", "vmware"},
    {"bhyve bhyve ", "bhyve"},     {"ACRNACRNACRN", "acrn"},  {"QNXQVMBSQG", "qnx"},
    {"VBoxVBoxVBox", "oracle"},
};

std::string cloud_from_dmi(const EnvironmentEvidence& e) {
  const std::string& v = e.dmi_sys_vendor;
  if (v == "Amazon EC2" || contains(e.dmi_bios_version, "amazon")) return "aws";
  if (v == "Google" || e.dmi_product_name == "Google Compute Engine") return "gcp";
  // Azure VMs carry this fixed chassis asset tag; plain Hyper-V does not.
  if (e.dmi_chassis_asset_tag == "7783-7084-3265-9085-8269-3286-77") return "azure";
  if (e.dmi_chassis_asset_tag == "OracleCloud.com") return "oracle";
  if (v == "Alibaba Cloud") return "alibaba";
  if (v == "DigitalOcean") return "digitalocean";
  if (v == "Hetzner") return "hetzner";
  if (v == "OpenStack Foundation" || e.dmi_product_name == "OpenStack Nova") return "openstack";
  return "";
}

std::string hypervisor_from_dmi(const EnvironmentEvidence& e) {
  const std::string& v = e.dmi_sys_vendor;
  if (v == "QEMU" || starts_with(e.dmi_product_name, "Standard PC")) return "qemu";
  if (v == "Microsoft Corporation" && e.dmi_product_name == "Virtual Machine") return "hyper-v";
  if (contains(v, "VMware")) return "vmware";
  if (v == "innotek GmbH" || e.dmi_product_name == "VirtualBox") return "oracle";
  if (v == "Xen" || e.dmi_bios_vendor == "Xen") return "xen";
  if (v == "Amazon EC2") return "kvm";  // Nitro
  if (v == "Google") return "kvm";
  if (v == "Firecracker" || e.dmi_product_name == "Firecracker") return "firecracker";
  return "";
}

}  // namespace

EnvironmentEvidence read_environment_evidence() {
  EnvironmentEvidence e;
#if defined(__i386__) || defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 31))) {
    e.cpuid_hypervisor_bit = true;
    __cpuid(0x40000000, eax, ebx, ecx, edx);
    char sig[13] = {};
    std::memcpy(sig, &ebx, 4);
    std::memcpy(sig + 4, &ecx, 4);
    std::memcpy(sig + 8, &edx, 4);
    e.cpuid_signature.assign(sig, strnlen(sig, 12));
  }
#endif
  e.sys_hypervisor_type = read_line("/sys/hypervisor/type");
  const std::string dmi = "/sys/class/dmi/id/";
  e.dmi_present = std::ifstream(dmi + "sys_vendor").good() || std::ifstream(dmi + "product_name").good();
  e.dmi_sys_vendor = read_line(dmi + "sys_vendor");
  e.dmi_product_name = read_line(dmi + "product_name");
  e.dmi_bios_vendor = read_line(dmi + "bios_vendor");
  e.dmi_bios_version = read_line(dmi + "bios_version");
  e.dmi_chassis_asset_tag = read_line(dmi + "chassis_asset_tag");
  e.dmi_product_uuid = read_line(dmi + "product_uuid");
  utsname u{};
  if (uname(&u) == 0) {
    e.kernel_release = u.release;
    e.kernel_version = u.version;
  }
  e.kernel_cmdline = read_line("/proc/cmdline");
  e.boot_id = read_line("/proc/sys/kernel/random/boot_id");
  return e;
}

MachineEnvironment classify_environment(const EnvironmentEvidence& e) {
  MachineEnvironment m;
  m.cpuid_signature = e.cpuid_signature;
  m.dmi_sys_vendor = e.dmi_sys_vendor;
  m.dmi_product_name = e.dmi_product_name;
  m.dmi_product_uuid = e.dmi_product_uuid;
  m.boot_id = e.boot_id;
  if (e.kernel_release == kGvisorRelease && e.kernel_version == kGvisorVersion) {
    m.kind = "gvisor";
    m.hypervisor = "gvisor";
    return m;
  }
  std::string hv;
  for (const auto& s : kCpuidSignatures)
    if (e.cpuid_signature == s.signature) hv = s.hypervisor;
  if (hv.empty() && e.sys_hypervisor_type == "xen") hv = "xen";
  std::string from_dmi = hypervisor_from_dmi(e);
  // DMI names the product more precisely than a shared signature (Hyper-V
  // enlightened KVM, Firecracker with SMBIOS); CPUID is kept otherwise.
  if (hv.empty() || (hv == "kvm" && (from_dmi == "firecracker"))) hv = from_dmi.empty() ? hv : from_dmi;
  if (hv == "kvm" && !e.dmi_present && contains(e.kernel_cmdline, "virtio_mmio.device=")) hv = "firecracker";
  if (hv.empty() && e.cpuid_hypervisor_bit) hv = "unknown";
  m.cloud = cloud_from_dmi(e);
  if (hv.empty() && !m.cloud.empty()) hv = "unknown";
  m.kind = hv.empty() ? "bare-metal" : "vm";
  m.hypervisor = hv;
  return m;
}

const MachineEnvironment& detect_environment() {
  static const MachineEnvironment env = classify_environment(read_environment_evidence());
  return env;
}

std::string describe_environment(const MachineEnvironment& e) {
  std::ostringstream out;
  out << (e.kind.empty() ? "unknown" : e.kind);
  if (e.kind == "vm") {
    out << " (" << e.hypervisor;
    if (!e.cloud.empty()) out << ", cloud " << e.cloud;
    std::string product = e.dmi_sys_vendor;
    if (!e.dmi_product_name.empty()) product += (product.empty() ? "" : " ") + e.dmi_product_name;
    if (!product.empty()) out << ", " << product;
    out << ")";
  }
  return out.str();
}

}  // namespace kestrel::kcap
