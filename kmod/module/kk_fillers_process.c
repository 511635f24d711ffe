// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_process.c — process lifecycle: execve, execveat and the clone
 * family (the child's side); procexit, from its own tracepoint
 * (kk_probe_process_exit); clone3's flags kept at sched_process_fork
 * (kk_probe_process_fork).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_*.bpf.h); what cannot be read is empty.
 */
#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/atomic.h>
#include <linux/compat.h>
#include <asm/syscall.h>

#include "kk_fillers.h"

KK_FILLER(execve)
{
	KK_BEGIN(r, EXECVE);
	KK_PUT(r, EXECVE, res, ret);
	if (ret == 0)
		KK_PUT_PROCESS_BLOCK(r, EXECVE, KK_ARGS_FROM_MM, NULL, NULL);
	else
		KK_PUT_PROCESS_BLOCK(r, EXECVE, KK_ARGS_FROM_USER, (const char __user *)a[0],
				     (const char __user *const __user *)a[1]);
	KK_PUT_EXE_INODE(r, EXECVE, ret == 0);
	KK_PUT_EMPTY(r, EXECVE, exe_sha256); /* the module cannot hash the file */
	kk_submit(&r);
}

/*
 * execveat. A successful execveat reports at its exit under the syscall
 * number the task has once the new image runs, i.e. as execve (the module
 * reads the number as the syscalls tracepoints do), so this filler mostly
 * sees failures; the success branch is kept, as in the probe, for kernels
 * that report it under its own number: the executable's resolved path as
 * pathname, dirfd and flags empty (the registers were replaced). A failure
 * reports all three from its arguments.
 */
KK_FILLER(execveat)
{
	KK_BEGIN(r, EXECVEAT);
	KK_PUT(r, EXECVEAT, res, ret);
	if (ret == 0) {
		struct mm_struct *mm = current->mm;
		struct file *exe;

		KK_PUT_PROCESS_BLOCK(r, EXECVEAT, KK_ARGS_FROM_MM, NULL, NULL);
		KK_PUT_EMPTY(r, EXECVEAT, dirfd);
		rcu_read_lock();
		exe = mm ? rcu_dereference(mm->exe_file) : NULL;
		if (exe)
			kk_put_path(&r, KK_P(EXECVEAT, pathname), &exe->f_path);
		else
			KK_PUT_EMPTY(r, EXECVEAT, pathname);
		rcu_read_unlock();
		KK_PUT_EMPTY(r, EXECVEAT, flags);
	} else {
		KK_PUT_PROCESS_BLOCK(r, EXECVEAT, KK_ARGS_FROM_USER, (const char __user *)a[1],
				     (const char __user *const __user *)a[2]);
		KK_PUT(r, EXECVEAT, dirfd, (s32)a[0]);
		KK_PUT_USER_STR(r, EXECVEAT, pathname, a[1], KESTREL_MAX_PATH);
		KK_PUT(r, EXECVEAT, flags, a[4]);
	}
	KK_PUT_EXE_INODE(r, EXECVEAT, ret == 0);
	kk_submit(&r);
}

/* clone, clone3, fork, vfork: the child (res 0) or a failure (res < 0);
 * the parent's successful return is not emitted. */
#define KK_CLONE_COMMON(r, ID, ret) \
	KK_PUT(r, ID, res, ret);    \
	KK_PUT_PROCESS_BLOCK(r, ID, KK_ARGS_FROM_MM, NULL, NULL)

KK_FILLER(clone)
{
	if (ret > 0)
		return;
	{
		KK_BEGIN(r, CLONE);
		KK_CLONE_COMMON(r, CLONE, ret);
		KK_PUT(r, CLONE, flags, (u32)a[0]);
		kk_submit(&r);
	}
}

/*
 * clone3's flags live in the caller's struct clone_args, which the child
 * cannot read reliably (with CLONE_VM the parent may have reused that
 * memory by the time the child returns). So, as the probe does, the parent
 * keeps them for its child at sched_process_fork (before the child can
 * run): one slot per child tid (tid % KK_CLONE3_SLOTS), holding the tid in
 * the high half and the flags' low 32 bits (all the event carries) in the
 * low half, so a slot another child took is never mistaken for one's own.
 * A slot is only read by the child of that tid; one whose child never
 * returned is overwritten by the next clone3 child with that slot.
 */
#define KK_CLONE3_SLOTS 1024
static atomic64_t kk_clone3_flags[KK_CLONE3_SLOTS];

static atomic64_t *kk_clone3_slot(pid_t tid)
{
	return &kk_clone3_flags[(u32)tid % KK_CLONE3_SLOTS];
}

void kk_probe_process_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	struct kk_state *st = READ_ONCE(kk_live);
	unsigned long a[6];
	struct pt_regs *regs;
	u64 flags;
	long nr;

	if (!st || !test_bit(KE_CLONE3, st->types) || (current->flags & PF_KTHREAD) || in_compat_syscall())
		return;
	regs = task_pt_regs(current);
	nr = syscall_get_nr(current, regs);
	if (nr < 0 || nr >= KESTREL_KMOD_MAX_SYSCALLS || st->syscall_types[nr] != KE_CLONE3)
		return;
	syscall_get_arguments(current, regs, a);
	/* struct clone_args starts with u64 flags */
	if (copy_from_user_nofault(&flags, (const void __user *)a[0], sizeof(flags)))
		return;
	atomic64_set(kk_clone3_slot(child->pid), ((u64)(u32)child->pid << 32) | (u32)flags);
}

/* The flags the parent kept for the current task (0 if none, as the
 * probe), freeing the slot. */
static u32 kk_clone3_child_flags(void)
{
	atomic64_t *slot = kk_clone3_slot(current->pid);
	s64 v = atomic64_read(slot);

	if ((u64)v >> 32 != (u32)current->pid)
		return 0;
	atomic64_cmpxchg(slot, v, 0);
	return (u32)v;
}

KK_FILLER(clone3)
{
	u64 flags = 0;
	bool flags_read = true;

	if (ret > 0)
		return;
	if (ret == 0)
		flags = kk_clone3_child_flags();
	else /* a failed clone3 returns in the caller: its memory is intact */
		flags_read = !copy_from_user_nofault(&flags, (const void __user *)a[0], sizeof(flags));
	{
		KK_BEGIN(r, CLONE3);
		KK_CLONE_COMMON(r, CLONE3, ret);
		if (flags_read)
			KK_PUT(r, CLONE3, flags, (u32)flags);
		else
			KK_PUT_EMPTY(r, CLONE3, flags);
		kk_submit(&r);
	}
}

KK_FILLER(fork)
{
	if (ret > 0)
		return;
	{
		KK_BEGIN(r, FORK);
		KK_CLONE_COMMON(r, FORK, ret);
		kk_submit(&r);
	}
}

KK_FILLER(vfork)
{
	if (ret > 0)
		return;
	{
		KK_BEGIN(r, VFORK);
		KK_CLONE_COMMON(r, VFORK, ret);
		kk_submit(&r);
	}
}

/* Who inherits the exiting task's children: another live thread of its
 * group, else its pid namespace's init (subreapers are not looked for).
 * 0 for a task without children, as Falco's driver sends (nothing to
 * reparent; userspace remembers no reaper for it). The tracepoint runs
 * before exit_notify() moves the children. */
static s64 kk_reaper_tid(struct task_struct *p)
{
	struct pid_namespace *ns;
	struct task_struct *reaper;

	if (list_empty(&p->children))
		return 0;
	if (atomic_read(&p->signal->live) > 0 && p->group_leader != p)
		return p->group_leader->pid;
	ns = task_active_pid_ns(p);
	reaper = ns ? ns->child_reaper : NULL;
	return reaper ? reaper->pid : 0;
}

void kk_probe_process_exit(void *data, struct task_struct *p)
{
	s64 code = p->exit_code;

	KK_BEGIN(r, PROCEXIT);
	KK_PUT(r, PROCEXIT, status, code);
	KK_PUT(r, PROCEXIT, ret, (code >> 8) & 0xff);
	KK_PUT(r, PROCEXIT, sig, code & 0x7f);
	KK_PUT(r, PROCEXIT, core, (code & 0x80) != 0);
	KK_PUT(r, PROCEXIT, reaper_tid, kk_reaper_tid(p));
	kk_submit(&r);
}
