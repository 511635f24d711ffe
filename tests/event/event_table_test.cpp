#include "sources/event/event_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kestrel {
namespace {

TEST(EventTable, NamesAreUniqueAndRoundTrip) {
  std::set<std::string_view> seen;
  for (const auto& e : all_events()) {
    EXPECT_TRUE(seen.insert(e.name).second) << "duplicate event name " << e.name;
    auto id = event_type_by_name(e.name);
    ASSERT_TRUE(id.has_value()) << e.name;
    EXPECT_EQ(*id, e.type);
    EXPECT_EQ(&event_info(*id), &e);
  }
  EXPECT_EQ(all_events().size(), static_cast<size_t>(KE_COUNT - 1));
}

TEST(EventTable, UnknownTypesMapToTheNoneRow) {
  EXPECT_EQ(event_info(KE_COUNT).type, KE_NONE);
  EXPECT_EQ(event_info(0xffff).name, "unknown");
  EXPECT_FALSE(event_type_by_name("no_such_syscall").has_value());
}

// Every syscall the upstream Falco rulesets name in evt.type conditions
// has a row (issue 2's coverage list).
TEST(EventTable, CoversTheSyscallsUpstreamRulesUse) {
  for (const char* name :
       {"execve", "execveat", "clone", "clone3", "fork", "vfork", "open", "openat", "openat2", "creat", "close",
        "read", "write", "connect", "accept", "accept4", "bind", "listen", "socket", "sendto", "sendmsg",
        "recvfrom", "recvmsg", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat",
        "rmdir", "symlink", "symlinkat", "link", "linkat", "chmod", "fchmod", "fchmodat", "setuid", "setgid",
        "setresuid", "setresgid", "ptrace", "mmap", "mprotect", "memfd_create", "mount", "umount2", "chroot",
        "chdir", "fchdir", "dup", "dup2", "dup3", "pipe", "pipe2", "bpf", "init_module", "finit_module", "prctl",
        "kill", "userfaultfd", "io_uring_setup", "setns", "unshare", "procexit", "container", "pluginevent"}) {
    EXPECT_TRUE(event_type_by_name(name).has_value()) << name;
  }
}

// Param names and indices agree between the ABI enums and the table.
TEST(EventTable, ParamIndicesMatchTheAbiEnums) {
  const auto& openat = event_info(KE_OPENAT);
  EXPECT_EQ(openat.param_index("name"), KP_OPENAT_name);
  EXPECT_EQ(openat.param_index("flags"), KP_OPENAT_flags);
  EXPECT_EQ(openat.params.size(), static_cast<size_t>(KP_OPENAT_COUNT));
  EXPECT_EQ(openat.params[KP_OPENAT_flags].type, KPT_FLAGS32);
  EXPECT_EQ(openat.params[KP_OPENAT_flags].symbols, SymbolSet::kOPEN_FLAGS);
  const auto& execve = event_info(KE_EXECVE);
  EXPECT_EQ(execve.param_index("args"), KP_EXECVE_args);
  EXPECT_EQ(execve.params[KP_EXECVE_exe].type, KPT_PATH);
  EXPECT_EQ(category_name(execve.category), "process");
  EXPECT_TRUE(execve.flags & KEF_STATE);
}

TEST(Symbols, RendersFlagsLikeFalco) {
  EXPECT_EQ(render_symbols(SymbolSet::kOPEN_FLAGS, 0), "O_RDONLY");
  EXPECT_EQ(render_symbols(SymbolSet::kOPEN_FLAGS, 02000000 /* O_CLOEXEC */), "O_RDONLY|O_CLOEXEC");
  EXPECT_EQ(render_symbols(SymbolSet::kOPEN_FLAGS, 01 | 0100 | 01000), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(render_symbols(SymbolSet::kPTRACE_REQUESTS, 16), "PTRACE_ATTACH");
  EXPECT_EQ(render_symbols(SymbolSet::kSOCKET_FAMILIES, 17), "AF_PACKET");
  EXPECT_EQ(render_symbols(SymbolSet::kSOCKET_TYPES, 1 | 02000000), "SOCK_STREAM|SOCK_CLOEXEC");
  EXPECT_EQ(render_symbols(SymbolSet::kPROT_FLAGS, 0x1 | 0x4 | 0x1000000), "PROT_READ|PROT_EXEC|PROT_GROWSDOWN");
  // Unknown bits are shown, not dropped.
  EXPECT_EQ(render_symbols(SymbolSet::kRENAME_FLAGS, 1 | 0x80), "RENAME_NOREPLACE|0x80");
  EXPECT_EQ(symbol_value(SymbolSet::kOPEN_FLAGS, "O_CREAT"), 0100u);
  EXPECT_EQ(symbol_value(SymbolSet::kOPEN_FLAGS, "O_RDONLY"), 0u);
  EXPECT_FALSE(symbol_value(SymbolSet::kOPEN_FLAGS, "O_BOGUS").has_value());
}

}  // namespace
}  // namespace kestrel
