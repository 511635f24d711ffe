// Environment detection (sources/capture/machine_environment.h): the
// classification from evidence as each hypervisor and cloud presents it,
// and the real reading on this machine agreeing with its own CPUID.
#include "sources/capture/machine_environment.h"

#include <gtest/gtest.h>

#include <fstream>

namespace kestrel::kcap {
namespace {

EnvironmentEvidence cpuid(const std::string& sig) {
  EnvironmentEvidence e;
  e.cpuid_hypervisor_bit = true;
  e.cpuid_signature = sig;
  e.dmi_present = true;
  return e;
}

TEST(MachineEnvironment, CpuidSignaturesNameTheHypervisor) {
  EXPECT_EQ(classify_environment(cpuid("KVMKVMKVM")).hypervisor, "kvm");
  EXPECT_EQ(classify_environment(cpuid("TCGTCGTCGTCG")).hypervisor, "qemu");
  EXPECT_EQ(classify_environment(cpuid("XenVMMXenVMM")).hypervisor, "xen");
  EXPECT_EQ(classify_environment(cpuid("Microsoft Hv")).hypervisor, "hyper-v");
  EXPECT_EQ(classify_environment(cpuid("VMwareVMware")).hypervisor, "vmware");
  EXPECT_EQ(classify_environment(cpuid("KVMKVMKVM")).kind, "vm");
  EXPECT_EQ(classify_environment(cpuid("")).hypervisor, "unknown");  // bit set, unknown signature
}

TEST(MachineEnvironment, NoHypervisorBitAndNoVmDmiIsBareMetal) {
  EnvironmentEvidence e;
  e.dmi_present = true;
  e.dmi_sys_vendor = "Dell Inc.";
  e.dmi_product_name = "PowerEdge R640";
  auto m = classify_environment(e);
  EXPECT_EQ(m.kind, "bare-metal");
  EXPECT_EQ(m.hypervisor, "");
  EXPECT_EQ(describe_environment(m), "bare-metal");
}

TEST(MachineEnvironment, CloudsAreToldApartByTheirDmi) {
  auto aws = cpuid("KVMKVMKVM");
  aws.dmi_sys_vendor = "Amazon EC2";
  aws.dmi_product_name = "m5.large";
  auto m = classify_environment(aws);
  EXPECT_EQ(m.cloud, "aws");
  EXPECT_EQ(describe_environment(m), "vm (kvm, cloud aws, Amazon EC2 m5.large)");

  auto gcp = cpuid("KVMKVMKVM");
  gcp.dmi_sys_vendor = "Google";
  gcp.dmi_product_name = "Google Compute Engine";
  EXPECT_EQ(classify_environment(gcp).cloud, "gcp");

  auto azure = cpuid("Microsoft Hv");
  azure.dmi_sys_vendor = "Microsoft Corporation";
  azure.dmi_product_name = "Virtual Machine";
  azure.dmi_chassis_asset_tag = "7783-7084-3265-9085-8269-3286-77";
  EXPECT_EQ(classify_environment(azure).cloud, "azure");
  EXPECT_EQ(classify_environment(azure).hypervisor, "hyper-v");
  azure.dmi_chassis_asset_tag.clear();  // plain Hyper-V on premises
  EXPECT_EQ(classify_environment(azure).cloud, "");

  EnvironmentEvidence xen_pv;  // PV guests have no CPUID leaf
  xen_pv.sys_hypervisor_type = "xen";
  xen_pv.dmi_bios_version = "4.11.amazon";
  EXPECT_EQ(classify_environment(xen_pv).hypervisor, "xen");
  EXPECT_EQ(classify_environment(xen_pv).cloud, "aws");
}

TEST(MachineEnvironment, FirecrackerIsKvmWithoutDmiAndWithVirtioMmioOnTheCommandLine) {
  auto fc = cpuid("KVMKVMKVM");
  fc.dmi_present = false;
  fc.kernel_cmdline = "console=ttyS0 reboot=k panic=1 virtio_mmio.device=4K@0xd0000000:5";
  EXPECT_EQ(classify_environment(fc).hypervisor, "firecracker");
  fc.dmi_present = true;  // qemu -M microvm with SMBIOS: stays kvm
  EXPECT_EQ(classify_environment(fc).hypervisor, "kvm");
}

TEST(MachineEnvironment, GvisorIsKnownByTheSentrysFixedUname) {
  EnvironmentEvidence e = cpuid("KVMKVMKVM");  // runsc on a KVM host still shows the host's CPUID
  e.kernel_release = "4.4.0";
  e.kernel_version = "#1 SMP Sun Jan 10 15:06:54 PST 2016";
  EXPECT_EQ(classify_environment(e).kind, "gvisor");
  e.kernel_version = "#1 SMP Debian 4.4.0-1";
  EXPECT_EQ(classify_environment(e).kind, "vm");
}

// The real reading: whatever this machine is, the classification must
// follow from the CPUID this test reads itself, and boot_id is the kernel's.
TEST(MachineEnvironment, ThisMachinesReadingAgreesWithItsOwnCpuidAndBootId) {
  const MachineEnvironment& env = detect_environment();
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  std::getline(in, boot_id);
  EXPECT_EQ(env.boot_id, boot_id);
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string all((std::istreambuf_iterator<char>(cpuinfo)), std::istreambuf_iterator<char>());
  const bool hv_flag = all.find(" hypervisor") != std::string::npos;
  if (hv_flag)
    EXPECT_EQ(env.kind, "vm") << describe_environment(env);
  else
    EXPECT_NE(env.kind, "vm") << describe_environment(env);
}

}  // namespace
}  // namespace kestrel::kcap
