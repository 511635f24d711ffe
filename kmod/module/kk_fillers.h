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
	X(CLONE, clone)                        \
	X(CLONE3, clone3)                      \
	X(FORK, fork)                          \
	X(VFORK, vfork)                        \
	/* file: kk_fillers_file.c */          \
	X(OPEN, open)                          \
	X(OPENAT, openat)                      \
	X(CLOSE, close)                        \
	X(UNLINK, unlink)                      \
	X(UNLINKAT, unlinkat)                  \
	/* net: kk_fillers_net.c */            \
	X(CONNECT, connect)                    \
	/* io: kk_fillers_io.c */              \
	/* security: kk_fillers_security.c */  \
	X(INIT_MODULE, init_module)            \
	X(FINIT_MODULE, finit_module)

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
