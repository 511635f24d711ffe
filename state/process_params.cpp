#include "state/process_params.h"

#include <string_view>
#include <type_traits>
#include <utility>

#include "base/sha256.h"
#include "sources/event/event.h"
#include "state/container_id.h"

namespace kestrel {
namespace {

// Offsets within the block are the ABI's KP_PROCESS_* (kestrel_event.h,
// from the same KE_PROCESS_PARAMS rows every carrier expands); the
// static_asserts below prove each carrier lays the block out contiguously.
#define KESTREL_SAME_BLOCK(ID)                                                   \
  static_assert(KP_##ID##_start_ts - KP_##ID##_exe == KP_PROCESS_start_ts, #ID " block"); \
  static_assert(KP_##ID##_exepath - KP_##ID##_exe == KP_PROCESS_exepath, #ID " block");  \
  static_assert(KP_##ID##_cgroups - KP_##ID##_exe == KP_PROCESS_cgroups, #ID " block");  \
  static_assert(KP_##ID##_tid - KP_##ID##_exe == KP_PROCESS_tid, #ID " block");
KESTREL_SAME_BLOCK(EXECVE)
KESTREL_SAME_BLOCK(EXECVEAT)
KESTREL_SAME_BLOCK(CLONE)
KESTREL_SAME_BLOCK(CLONE3)
KESTREL_SAME_BLOCK(FORK)
KESTREL_SAME_BLOCK(VFORK)
#undef KESTREL_SAME_BLOCK
#define KESTREL_SAME_EXE_INODE(ID)                                                                 \
  static_assert(KP_##ID##_exe_ino_ctime - KP_##ID##_exe_ino == KP_EXE_INODE_exe_ino_ctime, #ID); \
  static_assert(KP_##ID##_exe_ino_mtime - KP_##ID##_exe_ino == KP_EXE_INODE_exe_ino_mtime, #ID);
KESTREL_SAME_EXE_INODE(EXECVE)
KESTREL_SAME_EXE_INODE(EXECVEAT)
#undef KESTREL_SAME_EXE_INODE

template <typename T>
void set_int(const EventView& ev, uint16_t i, T& out) {
  if (auto v = ev.param_int(i)) out = static_cast<T>(*v);
}

void set_str(const EventView& ev, uint16_t i, std::string& out) {
  if (auto v = ev.param_str(i)) out.assign(*v);
}

// Calls fn(string_view) for each NUL-separated string of a string-array
// param, as split_string_array() splits it, until fn returns false (when it
// returns bool).
template <typename Fn>
void for_each_string(std::span<const uint8_t> param, Fn&& fn) {
  std::string_view rest(reinterpret_cast<const char*>(param.data()), param.size());
  while (!rest.empty()) {
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) nul = rest.size();
    if constexpr (std::is_same_v<decltype(fn(rest)), bool>) {
      if (!fn(rest.substr(0, nul))) return;
    } else {
      fn(rest.substr(0, nul));
    }
    rest.remove_prefix(nul == rest.size() ? nul : nul + 1);
  }
}

// "controller=path", as Falco's cgroups param has it; no '=': ("", entry).
std::pair<std::string_view, std::string_view> cgroup_entry(std::string_view entry) {
  const size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return {std::string_view(), entry};
  return {entry.substr(0, eq), entry.substr(eq + 1)};
}

bool same_cgroups(std::span<const uint8_t> param, const std::vector<std::pair<std::string, std::string>>& have) {
  size_t i = 0;
  bool same = true;
  for_each_string(param, [&](std::string_view entry) {
    const auto [controller, path] = cgroup_entry(entry);
    same = i < have.size() && have[i].first == controller && have[i].second == path;
    ++i;
    return same;
  });
  return same && i == have.size();
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

void read_exe_inode_params(const EventView& ev, ThreadInfo& t) {
  uint16_t base = 0;
  switch (ev.type()) {
    case KE_EXECVE: base = KP_EXECVE_exe_ino; break;
    case KE_EXECVEAT: base = KP_EXECVEAT_exe_ino; break;
    default: return;
  }
  auto value = [&](uint16_t i) { return static_cast<uint64_t>(ev.param_int(base + i).value_or(0)); };
  t.exe_ino = value(KP_EXE_INODE_exe_ino);
  t.exe_ino_ctime = value(KP_EXE_INODE_exe_ino_ctime);
  t.exe_ino_mtime = value(KP_EXE_INODE_exe_ino_mtime);
  // The digest, when the producer sent one (execve only; a new image drops
  // the old one's).
  t.exe_sha256.clear();
  if (ev.type() != KE_EXECVE) return;
  std::span<const uint8_t> digest = ev.param(KP_EXECVE_exe_sha256);
  if (digest.size() == 32) t.exe_sha256 = digest_hex(digest);
}

std::vector<std::string> split_string_array(std::span<const uint8_t> param) {
  std::vector<std::string> out;
  split_string_array_into(param, out);
  return out;
}

void split_string_array_into(std::span<const uint8_t> param, std::vector<std::string>& out) {
  size_t n = 0;
  for_each_string(param, [&](std::string_view s) {
    if (n < out.size()) out[n].assign(s);
    else out.emplace_back(s);
    ++n;
  });
  out.resize(n);
}

void read_process_params(const EventView& ev, uint16_t base, ThreadInfo& t) {
  set_str(ev, base + KP_PROCESS_exe, t.exe);
  split_string_array_into(ev.param(base + KP_PROCESS_args), t.args);
  set_int(ev, base + KP_PROCESS_tid, t.tid);
  set_int(ev, base + KP_PROCESS_pid, t.pid);
  set_int(ev, base + KP_PROCESS_ptid, t.ptid);
  set_str(ev, base + KP_PROCESS_cwd, t.cwd);
  set_str(ev, base + KP_PROCESS_comm, t.comm);
  split_string_array_into(ev.param(base + KP_PROCESS_env), t.env);
  set_int(ev, base + KP_PROCESS_tty, t.tty);
  set_int(ev, base + KP_PROCESS_pgid, t.pgid);
  set_int(ev, base + KP_PROCESS_sid, t.sid);
  set_int(ev, base + KP_PROCESS_vtid, t.vtid);
  set_int(ev, base + KP_PROCESS_vpid, t.vpid);
  set_int(ev, base + KP_PROCESS_loginuid, t.loginuid);
  set_int(ev, base + KP_PROCESS_uid, t.uid);
  set_int(ev, base + KP_PROCESS_euid, t.euid);
  set_int(ev, base + KP_PROCESS_gid, t.gid);
  set_int(ev, base + KP_PROCESS_egid, t.egid);
  set_int(ev, base + KP_PROCESS_cap_inheritable, t.cap_inheritable);
  set_int(ev, base + KP_PROCESS_cap_permitted, t.cap_permitted);
  set_int(ev, base + KP_PROCESS_cap_effective, t.cap_effective);
  set_int(ev, base + KP_PROCESS_exe_flags, t.exe_flags);
  set_int(ev, base + KP_PROCESS_start_ts, t.start_ts);
  // The executable the kernel resolved (empty when the source cannot see
  // it): replaces whatever the process ran before.
  if (auto v = ev.param_str(base + KP_PROCESS_exepath); v && !v->empty()) t.exepath.assign(*v);
  if (ev.has_param(base + KP_PROCESS_cgroups)) {
    const std::span<const uint8_t> param = ev.param(base + KP_PROCESS_cgroups);
    // Every clone and exec carries them, nearly always as the process had
    // them: compared in place, rebuilt only when they changed (two workers
    // apply each of these events: app/engine_workers.h).
    if (!same_cgroups(param, t.cgroups)) {
      t.cgroups.clear();
      for_each_string(param, [&](std::string_view entry) {
        const auto [controller, path] = cgroup_entry(entry);
        t.cgroups.emplace_back(controller, path);
      });
    }
    std::optional<ContainerMatch> m;
    for_each_string(param, [&](std::string_view line) { return !(m = match_container_cgroup(line)); });
    if (!m && t.domain != kHostDomain) return;
    t.container_id = m ? m->short_id() : std::string();
    t.container_full_id = m ? m->full_id : std::string();
    t.container_type = m ? m->runtime : std::string();
  }
}

}  // namespace kestrel
