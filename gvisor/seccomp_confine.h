// seccomp_confine.h — confines the gVisor parser thread with libseccomp.
//
// The parser thread reads bytes from untrusted Sentries. Once the monitoring
// socket is set up (MonitorServer::open) it needs very little from the
// kernel, so confine_parser_thread() installs a filter on the calling thread
// only (no TSYNC: the rest of Kestrel is unaffected) that allows exactly:
//
//   socket I/O   epoll_wait, epoll_pwait, epoll_ctl, accept, accept4,
//                recvfrom, recvmsg, sendto, sendmsg, read, write, close
//                (read/write: the wake-up eventfd), getsockopt only as
//                (fd, SOL_SOCKET, SO_PEERCRED) (which process connected)
//   memory       brk, mmap, munmap, mremap, madvise, mprotect (glibc malloc
//                grows and trims per-thread arenas with these)
//   threading    futex (mutex, condition variable), sched_yield,
//                clock_gettime, clock_nanosleep, nanosleep, gettid, getpid
//   lifecycle    rt_sigprocmask, rt_sigreturn, restart_syscall, exit,
//                exit_group, tgkill (abort() on a failed assertion), madvise
//
// Everything else fails with EPERM (no kill: a denied call in an unforeseen
// libc path then surfaces as an error we report rather than as a crash).
// Notably open/openat, socket, connect, bind, execve, ptrace and all
// file-system calls are denied: a compromised parser cannot open files,
// reach the network or start processes. no_new_privs is set for the thread.
// Sanitizer builds (make test SANITIZE=1) only also allow what the sanitizer
// runtime needs to run (sigaltstack, rt_sigaction, ...; never files): see
// kAllowedForSanitizers.
#pragma once

#include "base/status.h"

namespace kestrel::gvisor {

// Installs the filter above on the calling thread. Irreversible.
Status confine_parser_thread();

}  // namespace kestrel::gvisor
