#include "base/capabilities.h"

#include <dirent.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace kestrel {
namespace {

constexpr int kLastCap = 40;  // CAP_CHECKPOINT_RESTORE; higher bits are refused by the kernel

struct CapState {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
};

int get_caps(CapState& s) { return static_cast<int>(::syscall(SYS_capget, &s.header, s.data)); }

// Everything a thread does to drop: only system calls, so it may run in a
// signal handler.
int apply_keep(CapabilityMask keep) {
  CapState s;
  if (get_caps(s) != 0) return errno;
  const uint32_t lo = static_cast<uint32_t>(keep), hi = static_cast<uint32_t>(keep >> 32);
  // Nothing to give up (a thread that dropped everything before seccomp
  // confined it can still capget, but not capset).
  if ((s.data[0].permitted & ~lo) == 0 && (s.data[1].permitted & ~hi) == 0 && s.data[0].inheritable == 0 &&
      s.data[1].inheritable == 0)
    return 0;
  s.data[0].effective &= lo;
  s.data[0].permitted &= lo;
  s.data[0].inheritable = 0;
  s.data[1].effective &= hi;
  s.data[1].permitted &= hi;
  s.data[1].inheritable = 0;
  // The bounding set shrinks only while CAP_SETPCAP is still effective.
  for (int cap = 0; cap <= kLastCap; ++cap)
    if (!(keep & capability_bit(cap))) ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  s.header.pid = 0;
  if (::syscall(SYS_capset, &s.header, s.data) != 0) return errno;
  return 0;
}

// The broadcast: the handler reads what to keep and reports back.
std::atomic<CapabilityMask> g_keep{0};
std::atomic<int> g_done{0}, g_failed{0};

extern "C" void on_drop_signal(int) {
  int saved = errno;
  if (apply_keep(g_keep.load()) != 0) g_failed.fetch_add(1);
  g_done.fetch_add(1);
  errno = saved;
}

std::vector<pid_t> other_threads() {
  std::vector<pid_t> out;
  const pid_t self = static_cast<pid_t>(::syscall(SYS_gettid));
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
    if (tid > 0 && tid != self) out.push_back(tid);
  }
  ::closedir(d);
  return out;
}

const char* const kNames[] = {
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
    "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
    "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module",
    "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot",
    "cap_sys_nice", "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
    "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog",
    "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore"};
static_assert(sizeof kNames / sizeof kNames[0] == kLastCap + 1);

}  // namespace

CapabilityMask effective_capabilities() {
  CapState s;
  if (get_caps(s) != 0) return 0;
  return (CapabilityMask{s.data[1].effective} << 32) | s.data[0].effective;
}

Status drop_thread_capabilities(CapabilityMask keep) {
  if (int e = apply_keep(keep); e != 0)
    return Status(StatusCode::kPermissionDenied, std::string("capset: ") + std::strerror(e));
  return ok_status();
}

Status drop_process_capabilities(CapabilityMask keep) {
  static std::mutex one_at_a_time;
  std::lock_guard lock(one_at_a_time);
  // The other threads first: while this one still holds CAP_SETPCAP they
  // can shrink their bounding sets regardless of the order.
  const int sig = SIGRTMIN + 3;  // glibc keeps the first real-time signals for itself
  struct sigaction action {}, previous {};
  action.sa_handler = on_drop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (::sigaction(sig, &action, &previous) != 0)
    return Status(StatusCode::kInternal, std::string("sigaction: ") + std::strerror(errno));
  g_keep.store(keep);
  g_done.store(0);
  g_failed.store(0);
  int sent = 0;
  const pid_t pid = ::getpid();
  for (pid_t tid : other_threads())
    if (::syscall(SYS_tgkill, pid, tid, sig) == 0) ++sent;  // a thread that just ended is no concern
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (g_done.load() < sent && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int done = g_done.load(), failed = g_failed.load();
  Status self = drop_thread_capabilities(keep);
  if (!self.ok()) return self;
  // Leave the handler installed: a late delivery must still find it.
  if (done < sent)
    return Status(StatusCode::kInternal, std::to_string(sent - done) + " of " + std::to_string(sent) +
                                             " threads did not drop their capabilities within 1 s");
  if (failed > 0)
    return Status(StatusCode::kPermissionDenied,
                  std::to_string(failed) + " threads could not drop their capabilities (capset refused)");
  (void)previous;
  return ok_status();
}

std::string capability_names(CapabilityMask mask) {
  std::string out;
  for (int cap = 0; cap <= kLastCap; ++cap)
    if (mask & capability_bit(cap)) out += (out.empty() ? "" : ",") + std::string(kNames[cap]);
  return out.empty() ? "none" : out;
}

}  // namespace kestrel
