/*
 * kk_fillers.h — THE list of what the module emits from sys_exit: one row
 * per event type, X(ID, name), filler kk_fill_<name> in the family file
 * named in the comment above its group. From it come the fillers'
 * declarations, the dispatch table indexed by event type (kk_dispatch.c),
 * the supported-type bitmap (KESTREL_IOC_INFO) and the module's
 * `kestrel_event` modinfo tags (what kestrel-driverkit lists in a
 * manifest), so none of them can disagree.
 *
 * Which syscall number reports which event type is not known here: the
 * collector hands the map in at KESTREL_IOC_START (from libseccomp, per
 * arch), so the module carries no __NR_* list of its own and builds for
 * any architecture. procexit (sched_process_exit) is the one event outside
 * this list.
 */
#ifndef KESTREL_KMOD_KK_FILLERS_H
#define KESTREL_KMOD_KK_FILLERS_H

#include "kk.h"

#define KK_SYSCALL_FILLERS(X)                  \
	/* process: kk_fillers_process.c */    \
	X(EXECVE, execve)                      \
	X(EXECVEAT, execveat)                  \
	X(CLONE, clone)                        \
	X(CLONE3, clone3)                      \
	X(FORK, fork)                          \
	X(VFORK, vfork)                        \
	/* file: kk_fillers_file.c */          \
	X(OPEN, open)                          \
	X(OPENAT, openat)                      \
	X(OPENAT2, openat2)                    \
	X(CREAT, creat)                        \
	X(CLOSE, close)                        \
	X(UNLINK, unlink)                      \
	X(RMDIR, rmdir)                        \
	X(CHROOT, chroot)                      \
	X(CHDIR, chdir)                        \
	X(UNLINKAT, unlinkat)                  \
	X(RENAME, rename)                      \
	X(LINK, link)                          \
	X(SYMLINK, symlink)                    \
	X(RENAMEAT, renameat)                  \
	X(RENAMEAT2, renameat2)                \
	X(LINKAT, linkat)                      \
	X(SYMLINKAT, symlinkat)                \
	X(MKDIR, mkdir)                        \
	X(CHMOD, chmod)                        \
	X(MKDIRAT, mkdirat)                    \
	X(FCHMODAT, fchmodat)                  \
	X(FCHDIR, fchdir)                      \
	X(FCHMOD, fchmod)                      \
	X(DUP, dup)                            \
	X(DUP2, dup2)                          \
	X(DUP3, dup3)                          \
	X(FCNTL, fcntl)                        \
	X(MEMFD_CREATE, memfd_create)          \
	X(PIPE, pipe)                          \
	X(PIPE2, pipe2)                        \
	X(MOUNT, mount)                        \
	X(UMOUNT2, umount2)                    \
	/* net: kk_fillers_net.c */            \
	X(SOCKET, socket)                      \
	X(SOCKETPAIR, socketpair)              \
	X(CONNECT, connect)                    \
	X(ACCEPT, accept)                      \
	X(ACCEPT4, accept4)                    \
	X(BIND, bind)                          \
	X(LISTEN, listen)                      \
	/* io: kk_fillers_io.c */              \
	X(READ, read)                          \
	X(WRITE, write)                        \
	X(PREAD64, pread64)                    \
	X(PWRITE64, pwrite64)                  \
	X(READV, readv)                        \
	X(WRITEV, writev)                      \
	X(PREADV, preadv)                      \
	X(PWRITEV, pwritev)                    \
	X(SENDTO, sendto)                      \
	X(RECVFROM, recvfrom)                  \
	X(SENDMSG, sendmsg)                    \
	X(RECVMSG, recvmsg)                    \
	/* security: kk_fillers_security.c */  \
	X(SETUID, setuid)                      \
	X(SETGID, setgid)                      \
	X(SETREUID, setreuid)                  \
	X(SETREGID, setregid)                  \
	X(SETRESUID, setresuid)                \
	X(SETRESGID, setresgid)                \
	X(PTRACE, ptrace)                      \
	X(PRCTL, prctl)                        \
	X(BPF, bpf)                            \
	X(INIT_MODULE, init_module)            \
	X(FINIT_MODULE, finit_module)          \
	X(SETNS, setns)                        \
	X(UNSHARE, unshare)                    \
	X(USERFAULTFD, userfaultfd)            \
	X(IO_URING_SETUP, io_uring_setup)      \
	X(MMAP, mmap)                          \
	X(MPROTECT, mprotect)                  \
	X(KILL, kill)                          \
	X(TKILL, tkill)                        \
	X(TGKILL, tgkill)

/* A filler: the syscall returned `ret`; a[0..5] are its arguments. */
typedef void (*kk_filler_fn)(long ret, const unsigned long *a);

#define KK_FILLER(name) void kk_fill_##name(long ret, const unsigned long *a)

#define KK_DECLARE_FILLER(ID, name) KK_FILLER(name);
KK_SYSCALL_FILLERS(KK_DECLARE_FILLER)
#undef KK_DECLARE_FILLER

/* Starts record `r` for event ID, or returns from the filler. */
#define KK_BEGIN(r, ID)                                       \
	struct kk_rec r;                                      \
	if (!kk_begin(&r, KE_##ID, KP_##ID##_COUNT))          \
		return

#endif /* KESTREL_KMOD_KK_FILLERS_H */
