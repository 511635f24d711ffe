#include "sources/event/syscall_table.h"

#include <seccomp.h>

#include <cstdlib>
#include <string>

#include "sources/event/event_table.h"

namespace kestrel {
namespace {

uint32_t seccomp_arch(Arch arch) { return arch == Arch::kX86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64; }

}  // namespace

Arch native_arch() {
#if defined(__x86_64__)
  return Arch::kX86_64;
#elif defined(__aarch64__)
  return Arch::kAarch64;
#else
#error "Kestrel supports x86_64 and aarch64"
#endif
}

std::string_view arch_name(Arch arch) { return arch == Arch::kX86_64 ? "x86_64" : "aarch64"; }

std::optional<Arch> arch_by_name(std::string_view name) {
  if (name == "x86_64") return Arch::kX86_64;
  if (name == "aarch64") return Arch::kAarch64;
  return std::nullopt;
}

std::optional<int> syscall_number(Arch arch, std::string_view name) {
  int nr = seccomp_syscall_resolve_name_arch(seccomp_arch(arch), std::string(name).c_str());
  // libseccomp returns __NR_SCMP_ERROR (-1) for unknown names and negative
  // pseudo-numbers for syscalls the arch does not have.
  if (nr < 0) return std::nullopt;
  return nr;
}

std::optional<std::string> syscall_name(Arch arch, int nr) {
  char* name = seccomp_syscall_resolve_num_arch(seccomp_arch(arch), nr);
  if (!name) return std::nullopt;
  std::string out(name);
  std::free(name);
  return out;
}

std::vector<SyscallEventMapping> syscall_event_map(Arch arch) {
  std::vector<SyscallEventMapping> out;
  for (const auto& e : all_events()) {
    if (!e.is_syscall()) continue;
    if (auto nr = syscall_number(arch, e.name)) out.push_back({e.type, *nr});
  }
  return out;
}

}  // namespace kestrel
