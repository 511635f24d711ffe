// syscall_table.h — syscall names and numbers per architecture.
//
// Numbers come from libseccomp (never hand-copied lists). The collector
// uses them to map a kernel syscall number to the event type that reports
// it (to fill the in-kernel capture bitmap) and to render evt.arg.id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel {

// kI386 and kArm are the 32-bit compat ABIs of kX86_64 and kAarch64: the
// kernel module counts their syscalls (it does not decode them).
enum class Arch { kX86_64, kAarch64, kI386, kArm };

// The architecture this binary was built for (and so the kernel it watches).
Arch native_arch();
std::string_view arch_name(Arch arch);
std::optional<Arch> arch_by_name(std::string_view name);  // "x86_64", "aarch64", "i386", "arm"
// The 32-bit ABI a 64-bit kernel of `arch` also runs (none for the 32-bit ones).
std::optional<Arch> compat_arch(Arch arch);

// Syscall number of `name` on `arch`, if that arch has it.
std::optional<int> syscall_number(Arch arch, std::string_view name);
// Name of syscall `nr` on `arch`, if libseccomp knows it.
std::optional<std::string> syscall_name(Arch arch, int nr);

// For each KEF_SYSCALL event type: the native syscall number it reports,
// or none where the arch lacks that syscall (aarch64 has no open(), fork()…).
struct SyscallEventMapping {
  uint16_t event_type;
  int nr;
};
std::vector<SyscallEventMapping> syscall_event_map(Arch arch);

}  // namespace kestrel
