#include "sources/event/syscall_table.h"

#include <seccomp.h>

#include <cstdlib>
#include <string>

#include "sources/event/event_table.h"

namespace kestrel {
namespace {

uint32_t seccomp_arch(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return SCMP_ARCH_X86_64;
    case Arch::kAarch64:
      return SCMP_ARCH_AARCH64;
    case Arch::kI386:
      return SCMP_ARCH_X86;
    case Arch::kArm:
      return SCMP_ARCH_ARM;
  }
  return SCMP_ARCH_NATIVE;
}

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

std::string_view arch_name(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return "x86_64";
    case Arch::kAarch64:
      return "aarch64";
    case Arch::kI386:
      return "i386";
    case Arch::kArm:
      return "arm";
  }
  return "unknown";
}

std::optional<Arch> arch_by_name(std::string_view name) {
  for (Arch a : {Arch::kX86_64, Arch::kAarch64, Arch::kI386, Arch::kArm})
    if (name == arch_name(a)) return a;
  return std::nullopt;
}

std::optional<Arch> compat_arch(Arch arch) {
  if (arch == Arch::kX86_64) return Arch::kI386;
  if (arch == Arch::kAarch64) return Arch::kArm;
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
