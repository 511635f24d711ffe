#include "gvisor/seccomp_confine.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

namespace kestrel::gvisor {

namespace {
constexpr const char* kAllowed[] = {
    "epoll_wait", "epoll_pwait", "epoll_ctl", "accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg",
    "read", "write", "close",
    "brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
    "futex", "sched_yield", "clock_gettime", "clock_nanosleep", "nanosleep", "gettid", "getpid",
    "rt_sigprocmask", "rt_sigreturn", "restart_syscall", "exit", "exit_group", "tgkill",
    // Read-only: the collector's capability drop asks every thread what it
    // holds (this one holds nothing by then).
    "capget",
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitizer builds only (make test SANITIZE=1): the sanitizer runtime
// swaps signal stacks when the confined thread exits (and queries limits);
// without these it aborts with a CHECK failure instead of letting the test
// run. Files stay closed: a report from this thread is not symbolized.
// Release builds never allow them.
constexpr const char* kAllowedForSanitizers[] = {
    "sigaltstack", "rt_sigaction", "prlimit64", "getrlimit", "sched_getaffinity", "mincore",
};
#endif
}  // namespace

Status confine_parser_thread() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == nullptr) return Status(StatusCode::kUnavailable, "seccomp_init failed");
  auto allow = [&](const char* name) -> Status {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return ok_status();  // not on this arch (e.g. epoll_wait on aarch64)
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0); rc != 0)
      return Status(StatusCode::kInternal, std::string("seccomp_rule_add ") + name + ": " + std::strerror(-rc));
    return ok_status();
  };
  for (const char* name : kAllowed) {
    if (Status s = allow(name); !s.ok()) {
      seccomp_release(ctx);
      return s;
    }
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  for (const char* name : kAllowedForSanitizers) {
    if (Status s = allow(name); !s.ok()) {
      seccomp_release(ctx);
      return s;
    }
  }
#endif
  // getsockopt only for the peer's credentials (who opened a connection:
  // MonitorServer matches attached sandboxes by it).
  if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getsockopt), 2, SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
                                SCMP_A2(SCMP_CMP_EQ, SO_PEERCRED));
      rc != 0) {
    seccomp_release(ctx);
    return Status(StatusCode::kInternal, std::string("seccomp_rule_add getsockopt: ") + std::strerror(-rc));
  }
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) return Status(StatusCode::kUnavailable, std::string("seccomp_load: ") + std::strerror(-rc));
  return ok_status();
}

}  // namespace kestrel::gvisor
