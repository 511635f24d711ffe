#include "state/process_params.h"

#include <string_view>

#include "sources/event/event.h"
#include "state/container_id.h"

namespace kestrel {
namespace {

// Offsets within the block, taken from EXECVE; the static_asserts below
// prove every other carrier lays it out identically.
enum ProcessParam : uint16_t {
  kExe = 0,
  kArgs = KP_EXECVE_args - KP_EXECVE_exe,
  kTid = KP_EXECVE_tid - KP_EXECVE_exe,
  kPid = KP_EXECVE_pid - KP_EXECVE_exe,
  kPtid = KP_EXECVE_ptid - KP_EXECVE_exe,
  kCwd = KP_EXECVE_cwd - KP_EXECVE_exe,
  kComm = KP_EXECVE_comm - KP_EXECVE_exe,
  kEnv = KP_EXECVE_env - KP_EXECVE_exe,
  kTty = KP_EXECVE_tty - KP_EXECVE_exe,
  kPgid = KP_EXECVE_pgid - KP_EXECVE_exe,
  kSid = KP_EXECVE_sid - KP_EXECVE_exe,
  kVtid = KP_EXECVE_vtid - KP_EXECVE_exe,
  kVpid = KP_EXECVE_vpid - KP_EXECVE_exe,
  kLoginuid = KP_EXECVE_loginuid - KP_EXECVE_exe,
  kUid = KP_EXECVE_uid - KP_EXECVE_exe,
  kEuid = KP_EXECVE_euid - KP_EXECVE_exe,
  kGid = KP_EXECVE_gid - KP_EXECVE_exe,
  kEgid = KP_EXECVE_egid - KP_EXECVE_exe,
  kCapInh = KP_EXECVE_cap_inheritable - KP_EXECVE_exe,
  kCapPrm = KP_EXECVE_cap_permitted - KP_EXECVE_exe,
  kCapEff = KP_EXECVE_cap_effective - KP_EXECVE_exe,
  kCgroups = KP_EXECVE_cgroups - KP_EXECVE_exe,
  kExeFlags = KP_EXECVE_exe_flags - KP_EXECVE_exe,
  kStartTs = KP_EXECVE_start_ts - KP_EXECVE_exe,
  kExepath = KP_EXECVE_exepath - KP_EXECVE_exe,
};

#define KESTREL_SAME_BLOCK(ID)                                                   \
  static_assert(KP_##ID##_start_ts - KP_##ID##_exe == kStartTs, #ID " block"); \
  static_assert(KP_##ID##_exepath - KP_##ID##_exe == kExepath, #ID " block");  \
  static_assert(KP_##ID##_cgroups - KP_##ID##_exe == kCgroups, #ID " block");  \
  static_assert(KP_##ID##_tid - KP_##ID##_exe == kTid, #ID " block");
KESTREL_SAME_BLOCK(EXECVEAT)
KESTREL_SAME_BLOCK(CLONE)
KESTREL_SAME_BLOCK(CLONE3)
KESTREL_SAME_BLOCK(FORK)
KESTREL_SAME_BLOCK(VFORK)
#undef KESTREL_SAME_BLOCK

template <typename T>
void set_int(const EventView& ev, uint16_t i, T& out) {
  if (auto v = ev.param_int(i)) out = static_cast<T>(*v);
}

void set_str(const EventView& ev, uint16_t i, std::string& out) {
  if (auto v = ev.param_str(i)) out.assign(*v);
}

}  // namespace

std::optional<uint16_t> process_params_base(uint16_t type) {
  switch (type) {
    case KE_EXECVE: return KP_EXECVE_exe;
    case KE_EXECVEAT: return KP_EXECVEAT_exe;
    case KE_CLONE: return KP_CLONE_exe;
    case KE_CLONE3: return KP_CLONE3_exe;
    case KE_FORK: return KP_FORK_exe;
    case KE_VFORK: return KP_VFORK_exe;
    default: return std::nullopt;
  }
}

std::vector<std::string> split_string_array(std::span<const uint8_t> param) {
  std::vector<std::string> out;
  std::string_view rest(reinterpret_cast<const char*>(param.data()), param.size());
  while (!rest.empty()) {
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) nul = rest.size();
    out.emplace_back(rest.substr(0, nul));
    rest.remove_prefix(nul == rest.size() ? nul : nul + 1);
  }
  return out;
}

void read_process_params(const EventView& ev, uint16_t base, ThreadInfo& t) {
  set_str(ev, base + kExe, t.exe);
  t.args = split_string_array(ev.param(base + kArgs));
  set_int(ev, base + kTid, t.tid);
  set_int(ev, base + kPid, t.pid);
  set_int(ev, base + kPtid, t.ptid);
  set_str(ev, base + kCwd, t.cwd);
  set_str(ev, base + kComm, t.comm);
  t.env = split_string_array(ev.param(base + kEnv));
  set_int(ev, base + kTty, t.tty);
  set_int(ev, base + kPgid, t.pgid);
  set_int(ev, base + kSid, t.sid);
  set_int(ev, base + kVtid, t.vtid);
  set_int(ev, base + kVpid, t.vpid);
  set_int(ev, base + kLoginuid, t.loginuid);
  set_int(ev, base + kUid, t.uid);
  set_int(ev, base + kEuid, t.euid);
  set_int(ev, base + kGid, t.gid);
  set_int(ev, base + kEgid, t.egid);
  set_int(ev, base + kCapInh, t.cap_inheritable);
  set_int(ev, base + kCapPrm, t.cap_permitted);
  set_int(ev, base + kCapEff, t.cap_effective);
  set_int(ev, base + kExeFlags, t.exe_flags);
  set_int(ev, base + kStartTs, t.start_ts);
  // The executable the kernel resolved (empty when the source cannot see
  // it): replaces whatever the process ran before.
  if (auto v = ev.param_str(base + kExepath); v && !v->empty()) t.exepath.assign(*v);
  if (ev.has_param(base + kCgroups)) {
    std::vector<std::string> cgroups = split_string_array(ev.param(base + kCgroups));
    std::optional<ContainerMatch> m;
    for (const std::string& line : cgroups)
      if ((m = match_container_cgroup(line))) break;
    if (!m && t.domain != kHostDomain) return;
    t.container_id = m ? m->short_id() : std::string();
    t.container_full_id = m ? m->full_id : std::string();
    t.container_type = m ? m->runtime : std::string();
  }
}

}  // namespace kestrel
