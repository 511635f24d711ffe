/*
 * kk.h — internals of the kestrel kernel module shared by its files:
 * the capture state, the per-CPU rings (kk_ring.c), the record builder
 * (kk_record.c), the process params block (kk_process.c) and the
 * tracepoint probes (kk_fillers.c).
 */
#ifndef KESTREL_KMOD_KK_H
#define KESTREL_KMOD_KK_H

#include <linux/ioctl.h>
#include <linux/path.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "sources/abi/kestrel_event.h"
#include "kestrel_kmod_abi.h"

/* One CPU's ring: the vmalloc_user() area userspace maps, plus the
 * producer state userspace cannot write (head, size, drop counters). */
struct kk_ring {
	void *mem; /* KESTREL_KMOD_RING_HDR_BYTES + size */
	struct kestrel_kmod_ring_hdr *hdr;
	u8 *data;
	u64 size;
	u64 head;
	u64 drops[KESTREL_KMOD_DROP_COUNT];
};

/* What the probes read while capture runs (set up before the probes are
 * registered, torn down after they are gone). */
struct kk_state {
	struct kk_ring **rings;   /* [nr_cpu_ids], NULL for impossible CPUs */
	u8 **scratch;             /* [nr_cpu_ids], KESTREL_MAX_EVENT_SIZE each */
	u64 buf_size;
	pid_t ignore_tgid;
	unsigned long types[BITS_TO_LONGS(KESTREL_KMOD_TYPE_WORDS * 64)];
};

extern struct kk_state *kk_live;

/* kk_ring.c */
int kk_rings_alloc(struct kk_state *st, u64 size);
void kk_rings_free(struct kk_state *st);
/* Appends `len` bytes to this CPU's ring or counts a drop; preemption off. */
void kk_ring_write(struct kk_ring *ring, const void *rec, u32 len);
void kk_ring_drop(struct kk_ring *ring, enum kestrel_kmod_drop_reason reason);

/* kk_record.c: building one record in this CPU's scratch. Every push sets
 * the next param_len entry; a param that cannot be read is pushed empty.
 * A record that outgrows the scratch is dropped at submit (too_large). */
struct kk_rec {
	u8 *buf;
	u32 off;      /* next data byte */
	u32 idx;      /* next param */
	u32 nparams;
	bool overflow;
	int cpu;
};

bool kk_begin(struct kk_rec *r, u16 type, u16 nparams);
void kk_submit(struct kk_rec *r);
void kk_push_bytes(struct kk_rec *r, const void *src, u32 len);
void kk_push_empty(struct kk_rec *r);
void kk_push_s64(struct kk_rec *r, s64 v);
void kk_push_u64(struct kk_rec *r, u64 v);
void kk_push_u32(struct kk_rec *r, u32 v);
void kk_push_u8(struct kk_rec *r, u8 v);
/* A NUL-terminated user string, at most `max` bytes with the NUL. */
void kk_push_user_str(struct kk_rec *r, const void __user *uptr, u32 max);
/* `len` bytes of user memory; the last byte is forced to NUL when
 * `terminate` (argument/environment areas cut short). */
void kk_push_user_bytes(struct kk_rec *r, const void __user *uptr, u32 len, bool terminate);
/* The absolute path of `path` (d_path). */
void kk_push_path(struct kk_rec *r, const struct path *path);
/* Where the next variable param's bytes go and how many fit; the caller
 * writes there and then calls kk_commit(r, n). */
u8 *kk_cursor(struct kk_rec *r, u32 *room);
void kk_commit(struct kk_rec *r, u32 len);
/* Copies a user string into `dst` (<= max bytes incl. NUL) without
 * faulting pages in; returns the bytes copied incl. NUL, 0 on failure. */
u32 kk_copy_user_str(u8 *dst, const void __user *uptr, u32 max);

/* kk_process.c */
/* Where a process block's exe and args come from: the task's own argument
 * area (a successful exec, a clone child), or the syscall's arguments (a
 * failed exec still runs the old image). */
enum kk_args_source { KK_ARGS_FROM_MM, KK_ARGS_FROM_USER };
/* Pushes the 25 KE_PROCESS_PARAMS of the current task; filename and argv
 * are the caller's (KK_ARGS_FROM_USER only). */
void kk_push_process_block(struct kk_rec *r, enum kk_args_source src,
			   const char __user *filename,
			   const char __user *const __user *argv);
/* Userspace's st_dev encoding of the kernel's dev_t. */
u32 kk_user_dev(dev_t d);

/* kk_fillers.c */
void kk_probe_sys_exit(void *data, struct pt_regs *regs, long ret);
void kk_probe_process_exit(void *data, struct task_struct *p);
/* The event types the fillers emit. */
void kk_supported_types(u64 out[KESTREL_KMOD_TYPE_WORDS]);

#endif /* KESTREL_KMOD_KK_H */
