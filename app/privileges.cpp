#include "app/privileges.h"

#include <linux/capability.h>

#include <atomic>

namespace kestrel {
namespace {
std::atomic<bool> g_owns_process{false};
}  // namespace

CapabilityMask capabilities_to_keep(const std::vector<std::string>& source_names, const KestrelConfig& config) {
  CapabilityMask keep = capability_bit(CAP_DAC_READ_SEARCH) | capability_bit(CAP_SYS_PTRACE);
  for (const auto& name : source_names)
    if (name == "ebpf") keep |= capability_bit(CAP_BPF) | capability_bit(CAP_PERFMON);
  if (config.file_output.enabled) keep |= capability_bit(CAP_DAC_OVERRIDE);
  return keep;
}

void set_owns_process(bool owns) { g_owns_process.store(owns); }
bool owns_process() { return g_owns_process.load(); }

}  // namespace kestrel
