#include "app/falco_drop_categories.h"

#include <array>

#include <stdint.h>

#include "sources/abi/kestrel_event.h"

namespace kestrel {
namespace {

// libs' order (scap_stats' n_drops_buffer_* fields).
constexpr std::array<FalcoDropCategory, 14> kCategories = {{
    {"clone_fork", "enter"},
    {"clone_fork", "exit"},
    {"execve", "enter"},
    {"execve", "exit"},
    {"connect", "enter"},
    {"connect", "exit"},
    {"open", "enter"},
    {"open", "exit"},
    {"dir_file", "enter"},
    {"dir_file", "exit"},
    {"other_interest", "enter"},
    {"other_interest", "exit"},
    {"close", "exit"},
    {"proc", "exit"},
}};

constexpr size_t kCloneForkExit = 1, kExecveExit = 3, kConnectExit = 5, kOpenExit = 7, kDirFileExit = 9,
                 kOtherInterestExit = 11, kCloseExit = 12, kProcExit = 13;

}  // namespace

std::string FalcoDropCategory::counter_name() const {
  return std::string("n_drops_buffer_") + drop + "_" + dir;
}

std::span<const FalcoDropCategory> falco_drop_categories() { return kCategories; }

std::optional<size_t> falco_drop_category_of(uint16_t type) {
  switch (type) {
    case KE_CLONE:
    case KE_CLONE3:
    case KE_FORK:
    case KE_VFORK:
      return kCloneForkExit;
    case KE_EXECVE:
    case KE_EXECVEAT:
      return kExecveExit;
    case KE_CONNECT:
      return kConnectExit;
    // libs: open, creat, openat, openat2, open_by_handle_at.
    case KE_OPEN:
    case KE_OPENAT:
    case KE_OPENAT2:
    case KE_CREAT:
      return kOpenExit;
    // libs: dup (not dup2/dup3), chmod family, chown family, link(at),
    // mkdir(at), mount, umount(2), rename(at/at2), rmdir, symlink(at),
    // unlink(at).
    case KE_DUP:
    case KE_CHMOD:
    case KE_FCHMOD:
    case KE_FCHMODAT:
    case KE_LINK:
    case KE_LINKAT:
    case KE_MKDIR:
    case KE_MKDIRAT:
    case KE_MOUNT:
    case KE_UMOUNT2:
    case KE_RENAME:
    case KE_RENAMEAT:
    case KE_RENAMEAT2:
    case KE_RMDIR:
    case KE_SYMLINK:
    case KE_SYMLINKAT:
    case KE_UNLINK:
    case KE_UNLINKAT:
      return kDirFileExit;
    // libs: bpf, setpgid, ptrace, seccomp, setns, setresgid, setresuid,
    // setsid, unshare, capset (Kestrel has no setpgid, seccomp or capset
    // event).
    case KE_BPF:
    case KE_PTRACE:
    case KE_SETNS:
    case KE_SETRESGID:
    case KE_SETRESUID:
    case KE_SETSID:
    case KE_UNSHARE:
      return kOtherInterestExit;
    case KE_CLOSE:
      return kCloseExit;
    case KE_PROCEXIT:
      return kProcExit;
    default:
      return std::nullopt;
  }
}

}  // namespace kestrel
