// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_process.c — process lifecycle: execve and the clone family (the
 * child's side); procexit, from its own tracepoint (kk_probe_process_exit).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_*.bpf.h); what cannot be read is empty.
 */
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

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

KK_FILLER(clone3)
{
	u64 flags = 0;
	bool flags_read;

	if (ret > 0)
		return;
	/* struct clone_args starts with u64 flags; the child reads its copy
	 * of the caller's memory (best effort for CLONE_VM). */
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
 * group, else its pid namespace's init (subreapers are not looked for). */
static s64 kk_reaper_tid(struct task_struct *p)
{
	struct pid_namespace *ns;
	struct task_struct *reaper;

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
