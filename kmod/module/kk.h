/*
 * kk.h — internals of the kestrel kernel module shared by its files:
 * the capture state, the per-CPU rings (kk_ring.c), the record builder
 * (kk_record.c), the process params block (kk_process.c), fd and socket
 * params (kk_fd.c, kk_sock.c), the dispatch (kk_dispatch.c) and the
 * fillers (kk_fillers_*.c, listed in kk_fillers.h).
 */
#ifndef KESTREL_KMOD_KK_H
#define KESTREL_KMOD_KK_H

#include <linux/ioctl.h>
#include <linux/path.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "sources/abi/kestrel_event.h"
#include "kestrel_kmod_abi.h"
#include "kestrel_kmod_filter_abi.h"

/* One CPU's ring: the vmalloc_user() area userspace maps, plus the
 * producer state userspace cannot write (head, size, drop counters). */
struct kk_ring {
	void *mem; /* KESTREL_KMOD_RING_HDR_BYTES + size */
	struct kestrel_kmod_ring_hdr *hdr;
	u8 *data;
	u64 size;
	u64 head;
	u64 drops[KESTREL_KMOD_DROP_COUNT];
	u64 buffer_full_by_type[KESTREL_KMOD_TYPE_WORDS * 64];
	u64 filtered_by_type[KESTREL_KMOD_TYPE_WORDS * 64];
};

/* What the probes read while capture runs (set up before the probes are
 * registered, torn down after they are gone). */
struct kk_state {
	struct kk_ring **rings;   /* [nr_cpu_ids], NULL for impossible CPUs */
	u8 **scratch;             /* [nr_cpu_ids], KESTREL_MAX_EVENT_SIZE each */
	u64 buf_size;
	pid_t ignore_tgid;
	u32 process_fields; /* KESTREL_KMOD_PF_* */
	unsigned long types[BITS_TO_LONGS(KESTREL_KMOD_TYPE_WORDS * 64)];
	/* Syscall number -> event type (0: none), native and 32-bit compat;
	 * from the collector at start (kestrel_kmod_start), fixed meanwhile. */
	u16 syscall_types[KESTREL_KMOD_MAX_SYSCALLS];
	u16 compat_syscall_types[KESTREL_KMOD_MAX_SYSCALLS];
	/* The in-kernel filter (kk_filter.c); NULL: every record goes up. */
	struct kk_filter __rcu *filter;
};

extern struct kk_state *kk_live;

/* kk_ring.c */
int kk_rings_alloc(struct kk_state *st, u64 size);
void kk_rings_free(struct kk_state *st);
/* Appends `len` bytes to this CPU's ring or counts a drop; preemption off. */
void kk_ring_write(struct kk_ring *ring, const void *rec, u32 len);
/* Where a record of up to `max` bytes can be written in place at the
 * ring's head (no padding needed, room for all of it), or NULL: build it
 * in the scratch and kk_ring_write() it. Nothing is visible to userspace
 * until kk_ring_commit(ring, len); a record not committed is overwritten
 * by the next. Preemption off from reserve to commit. */
u8 *kk_ring_reserve(struct kk_ring *ring, u32 max);
void kk_ring_commit(struct kk_ring *ring, u32 len);
void kk_ring_drop(struct kk_ring *ring, enum kestrel_kmod_drop_reason reason);
/* Counts a record of event type `type` the filter dropped. */
void kk_ring_filtered(struct kk_ring *ring, u16 type);

/* kk_filter.c */
struct kk_filter;
/* Replaces the filter with the blob `req` points to (checked whole first;
 * EINVAL when it breaks a rule of kestrel_kmod_filter_abi.h). Under the
 * device's lock. */
long kk_filter_set_from_user(struct kk_state *st, const struct kestrel_kmod_filter_req *req);
/* Frees the filter once no probe can run. */
void kk_filter_release(struct kk_state *st);
/* True when the finished record `rec` (`len` bytes) is to be dropped. */
bool kk_filter_drops(struct kk_state *st, const u8 *rec, u32 len);

/*
 * kk_record.c: building one record in place in this CPU's ring (in its
 * scratch when the ring's head is too near the end or the ring too full
 * for a record of KESTREL_MAX_EVENT_SIZE; then copied). Fillers write
 * every param by name, in events.def order — KK_PUT(r, OPENAT, dirfd, v),
 * KK_PUT_USER_STR(r, OPENAT, name, p, max), KK_PUT_EMPTY(r, ...) — and the
 * name gives the param's index (KP_<EVENT>_<param>) and type
 * (KPT_<EVENT>_<param>), so the width and encoding come from the table. A
 * write out of order or of a kind the type does not take marks the
 * record; kk_submit() drops it as param_mismatch, as it does a record whose
 * param count disagrees with the table. A param that cannot be read is
 * written empty. A record that outgrows the scratch is dropped at submit
 * (too_large).
 */
struct kk_rec {
	u8 *buf;      /* the ring at its head (in_place) or the scratch */
	u32 off;      /* next data byte */
	u32 idx;      /* next param */
	u32 nparams;
	bool overflow;
	bool mismatch;
	bool in_place;
	int cpu;
};

/* The index and type of param `name` of event ID. */
#define KK_P(ID, name) KP_##ID##_##name, KPT_##ID##_##name

bool kk_begin(struct kk_rec *r, u16 type, u16 nparams);
void kk_submit(struct kk_rec *r);
/* Opens param `idx`: true when it is the next one and `kind_fits` its
 * table type; otherwise marks the record (param_mismatch) and the caller
 * writes nothing. Every writer below opens its param this way. */
bool kk_open_param(struct kk_rec *r, u32 idx, bool kind_fits);
/* An integer param, as wide as its table type says (low bytes of v). */
void kk_put_int(struct kk_rec *r, u32 idx, u32 type, u64 v);
/* A param with no value (unreadable, not applicable): any type. */
void kk_put_empty(struct kk_rec *r, u32 idx, u32 type);
/* A CHARBUF/PATH from kernel memory, `len` bytes with the NUL. */
void kk_put_kernel_str(struct kk_rec *r, u32 idx, u32 type, const char *s, u32 len);
/* A NUL-terminated user string (CHARBUF/PATH), at most `max` bytes with
 * the NUL; empty when it is "" or unreadable before its NUL (as the
 * probe's bpf_probe_read_user_str() counts). */
void kk_put_user_str(struct kk_rec *r, u32 idx, u32 type, const void __user *uptr, u32 max);
/* `len` bytes of user memory into a CHARBUF_ARRAY or BYTES param; the last
 * byte is forced to NUL when `terminate` (argument/environment areas cut
 * short). */
void kk_put_user_bytes(struct kk_rec *r, u32 idx, u32 type, const void __user *uptr, u32 len,
		       bool terminate);
/* The absolute path of `path` (d_path) as a PATH param. */
void kk_put_path(struct kk_rec *r, u32 idx, u32 type, const struct path *path);
/* A SOCKADDR or SOCKTUPLE param already encoded in `src` (len 0: empty). */
void kk_put_sock(struct kk_rec *r, u32 idx, u32 type, const void *src, u32 len);
/* For params built in place: after kk_open_param(), where the bytes go
 * and how many fit; the caller writes there and then calls kk_commit(r, n). */
u8 *kk_cursor(struct kk_rec *r, u32 *room);
void kk_commit(struct kk_rec *r, u32 len);
/* Copies a user string into `dst` (<= max bytes incl. NUL) without
 * faulting pages in; returns the bytes copied incl. NUL, 0 on failure. */
u32 kk_copy_user_str(u8 *dst, const void __user *uptr, u32 max);

#define KK_PUT(r, ID, name, v) kk_put_int(&(r), KK_P(ID, name), (u64)(v))
#define KK_PUT_EMPTY(r, ID, name) kk_put_empty(&(r), KK_P(ID, name))
#define KK_PUT_USER_STR(r, ID, name, uptr, max) \
	kk_put_user_str(&(r), KK_P(ID, name), (const void __user *)(uptr), (max))

/* kk_process.c */
/* Where a process block's exe and args come from: the task's own argument
 * area (a successful exec, a clone child), or the syscall's arguments (a
 * failed exec still runs the old image). */
enum kk_args_source { KK_ARGS_FROM_MM, KK_ARGS_FROM_USER };
/* Writes the 25 KE_PROCESS_PARAMS of the current task by name, the block
 * starting at param `base` (KP_<EVENT>_exe); filename and argv are the
 * caller's (KK_ARGS_FROM_USER only). */
void kk_put_process_block(struct kk_rec *r, u32 base, enum kk_args_source src,
			  const char __user *filename,
			  const char __user *const __user *argv);
#define KK_PUT_PROCESS_BLOCK(r, ID, src, filename, argv) \
	kk_put_process_block(&(r), KP_##ID##_exe, (src), (filename), (argv))
/* The exec events' KE_EXE_INODE_PARAMS at param `base` (KP_<EVENT>_exe_ino):
 * the inode of the image the task now runs after a successful exec
 * (`ran_exec`), as the probe's kb_put_exe_inode; empty otherwise. */
void kk_put_exe_inode(struct kk_rec *r, u32 base, bool ran_exec);
#define KK_PUT_EXE_INODE(r, ID, ran_exec) kk_put_exe_inode(&(r), KP_##ID##_exe_ino, (ran_exec))
/* Userspace's st_dev encoding of the kernel's dev_t. */
u32 kk_user_dev(dev_t d);

/* kk_fd.c: the `dev` and `ino` params of event ID, the file `fd` of the
 * current task (both empty if there is none). */
void kk_put_fd_dev_ino(struct kk_rec *r, u32 dev_idx, u32 dev_type, u32 ino_idx, u32 ino_type, long fd);
#define KK_PUT_FD_DEV_INO(r, ID, fd) kk_put_fd_dev_ino(&(r), KK_P(ID, dev), KK_P(ID, ino), (fd))
/* The inode number of the current task's file `fd`, 0 when there is none. */
u64 kk_fd_ino(long fd);

/* kk_sock.c */
/* The SOCKTUPLE param `idx` of socket `fd` (IPv4, IPv6, unix; empty for
 * other families or no socket), client -> server: `local_is_source` when
 * the caller is the client (connect, sends), not for accept and receives. */
void kk_put_sock_tuple(struct kk_rec *r, u32 idx, u32 type, long fd, bool local_is_source);
#define KK_PUT_TUPLE(r, ID, name, fd, local_is_source) \
	kk_put_sock_tuple(&(r), KK_P(ID, name), (fd), (local_is_source))
/* The same, local -> remote (connect). */
void kk_put_tuple(struct kk_rec *r, u32 idx, u32 type, long fd);
/* The sockaddr the caller passed, as SOCKADDR param `idx` (empty when it
 * cannot be read). */
void kk_put_user_sockaddr(struct kk_rec *r, u32 idx, u32 type, const void __user *uaddr, u64 addrlen);

/* kk_dispatch.c */
void kk_probe_sys_exit(void *data, struct pt_regs *regs, long ret);
/* The event types the fillers emit (KESTREL_IOC_INFO). */
void kk_supported_types(u64 out[KESTREL_KMOD_TYPE_WORDS]);
/* True when event type `type` has a syscall filler. */
bool kk_has_syscall_filler(u32 type);

/* kk_fillers_process.c */
void kk_probe_process_exit(void *data, struct task_struct *p);
/* sched_process_fork, in the parent before the child runs: keeps clone3's
 * flags for the child's record. */
void kk_probe_process_fork(void *data, struct task_struct *parent, struct task_struct *child);

#endif /* KESTREL_KMOD_KK_H */
