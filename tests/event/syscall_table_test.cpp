#include "sources/event/syscall_table.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "sources/event/event_table.h"

namespace kestrel {
namespace {

TEST(SyscallTable, NativeNumbersMatchLibc) {
  ASSERT_EQ(native_arch(), Arch::kX86_64) << "these checks use the x86_64 <sys/syscall.h>";
  EXPECT_EQ(syscall_number(Arch::kX86_64, "openat"), SYS_openat);
  EXPECT_EQ(syscall_number(Arch::kX86_64, "execve"), SYS_execve);
  EXPECT_EQ(syscall_number(Arch::kX86_64, "connect"), SYS_connect);
  EXPECT_EQ(syscall_name(Arch::kX86_64, SYS_openat), "openat");
}

TEST(SyscallTable, Aarch64HasNoLegacySyscalls) {
  EXPECT_EQ(syscall_number(Arch::kAarch64, "openat"), 56);
  EXPECT_FALSE(syscall_number(Arch::kAarch64, "open").has_value());
  EXPECT_FALSE(syscall_number(Arch::kAarch64, "fork").has_value());
  EXPECT_FALSE(syscall_number(Arch::kAarch64, "no_such_syscall").has_value());
}

// The 32-bit compat ABIs the kernel module counts (it gets their numbers
// from this table): i386 numbers from the kernel's syscall_32.tbl, arm's
// from its EABI table.
TEST(SyscallTable, CompatArchesHaveTheirOwnNumbers) {
  EXPECT_EQ(compat_arch(Arch::kX86_64), Arch::kI386);
  EXPECT_EQ(compat_arch(Arch::kAarch64), Arch::kArm);
  EXPECT_FALSE(compat_arch(Arch::kI386).has_value());
  EXPECT_EQ(syscall_number(Arch::kI386, "openat"), 295);
  EXPECT_EQ(syscall_number(Arch::kI386, "execve"), 11);
  EXPECT_EQ(syscall_number(Arch::kArm, "openat"), 322);
  EXPECT_EQ(arch_by_name("i386"), Arch::kI386);
  EXPECT_EQ(arch_name(Arch::kArm), "arm");
}

TEST(SyscallTable, EveryX86SyscallEventResolves) {
  auto map = syscall_event_map(Arch::kX86_64);
  size_t syscall_events = 0;
  for (const auto& e : all_events()) syscall_events += e.is_syscall();
  EXPECT_EQ(map.size(), syscall_events) << "an events.def syscall name is unknown to libseccomp on x86_64";
}

}  // namespace
}  // namespace kestrel
