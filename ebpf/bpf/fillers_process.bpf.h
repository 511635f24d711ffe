/*
 * fillers_process.bpf.h — exec, clone/fork and exit.
 *
 * exec: emitted at sys_exit_execve(at). A successful exec has replaced the
 * registers and memory the arguments lived in, so the new image describes
 * itself (its argument area, its creds); a failed one (res < 0) is still
 * reported, with the filename and argv the caller passed.
 *
 * clone/clone3/fork/vfork: emitted on the *child* side (res == 0, the child
 * returning from the syscall through the same exit tracepoint), which is
 * where the new thread's own ids, creds and cgroups are visible; failures
 * (res < 0) are emitted from the caller. The parent's successful return is
 * not emitted: it would repeat the child's event from the other side.
 * clone's flags are in the registers the child inherits; clone3's are in
 * caller memory and are captured at sched_process_fork (kb_clone3_flags).
 *
 * procexit: raw tracepoint sched_process_exit via tp_btf (runs only when a
 * thread exits, so its cost does not touch other syscalls).
 */
#ifndef KESTREL_EBPF_FILLERS_PROCESS_BPF_H
#define KESTREL_EBPF_FILLERS_PROCESS_BPF_H

KB_SYSCALL_EXIT(execve)
{
	long ret = ctx->ret;
	KB_BEGIN(r, EXECVE);
	KB_PUT(r, EXECVE, res, ret);
	if (ret == 0) {
		KB_PUT_PROCESS_BLOCK(r, EXECVE, KB_ARGS_FROM_MM, NULL, NULL);
	} else {
		struct kb_args a;
		kb_read_args(&a);
		KB_PUT_PROCESS_BLOCK(r, EXECVE, KB_ARGS_FROM_USER, (const char *)a.a[0],
				     (const char *const *)a.a[1]);
	}
	KB_PUT_EXE_INODE(r, EXECVE, ret == 0);
	KB_PUT_EMPTY(r, EXECVE, exe_sha256); /* a probe cannot hash the file */
	kb_submit(&r);
	return 0;
}

/*
 * execveat. On current kernels a *successful* execveat fires
 * sys_exit_execve, not sys_exit_execveat (the exit tracepoint goes by the
 * syscall number the task has once the new image runs), so it reaches
 * userspace as an execve event; this filler then only sees failures. The
 * success branch is kept for kernels that report it under its own name.
 *
 * No entry hook. One on sys_enter_execveat would be the only
 * entry tracepoint, and enabling any entry tracepoint sends *every* syscall
 * through the entry slow path. So a successful execveat (registers and
 * memory replaced) reports the executable's resolved path as `pathname`
 * and leaves dirfd and flags empty; a failed one reports all three from
 * its arguments.
 */
KB_SYSCALL_EXIT(execveat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, EXECVEAT);
	KB_ARGS(a);
	KB_PUT(r, EXECVEAT, res, ret);
	if (ret == 0) {
		KB_PUT_PROCESS_BLOCK(r, EXECVEAT, KB_ARGS_FROM_MM, NULL, NULL);
		KB_PUT_EMPTY(r, EXECVEAT, dirfd);
		struct task_struct *task = bpf_get_current_task_btf();
		struct file *exe = BPF_CORE_READ(task, mm, exe_file);
		if (exe)
			kb_put_path_struct(&r, KB_P(EXECVEAT, pathname), &exe->f_path);
		else
			KB_PUT_EMPTY(r, EXECVEAT, pathname);
		KB_PUT_EMPTY(r, EXECVEAT, flags);
	} else {
		KB_PUT_PROCESS_BLOCK(r, EXECVEAT, KB_ARGS_FROM_USER, (const char *)a.a[1],
				     (const char *const *)a.a[2]);
		KB_PUT(r, EXECVEAT, dirfd, (s32)a.a[0]);
		KB_PUT_USER_STR(r, EXECVEAT, pathname, a.a[1]);
		KB_PUT(r, EXECVEAT, flags, a.a[4]);
	}
	KB_PUT_EXE_INODE(r, EXECVEAT, ret == 0);
	kb_submit(&r);
	return 0;
}

/* res, process block; the callers add their flags param. */
#define KB_CLONE_COMMON(r, ID, ret) \
	KB_PUT(r, ID, res, ret);    \
	KB_PUT_PROCESS_BLOCK(r, ID, KB_ARGS_FROM_MM, NULL, NULL)

KB_SYSCALL_EXIT(clone)
{
	long ret = ctx->ret;
	if (ret > 0)
		return 0;
	KB_BEGIN(r, CLONE);
	struct kb_args a;
	kb_read_args(&a);
	KB_CLONE_COMMON(r, CLONE, ret);
	KB_PUT(r, CLONE, flags, (u32)a.a[0]);
	kb_submit(&r);
	return 0;
}

#define KB_NR_CLONE3 435 /* x86_64 and the generic table agree */

/* The parent, inside clone3, before the child can run: keep the flags. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ke_clone3__fork, struct task_struct *parent, struct task_struct *child)
{
	if (kb_syscall_nr() != KB_NR_CLONE3)
		return 0;
	KB_ARGS(a);
	u64 flags = 0; /* struct clone_args starts with `u64 flags` */
	if (bpf_probe_read_user(&flags, sizeof(flags), (void *)a.a[0]) != 0)
		return 0;
	u32 tid = child->pid;
	bpf_map_update_elem(&kb_clone3_flags, &tid, &flags, BPF_ANY);
	return 0;
}

KB_SYSCALL_EXIT(clone3)
{
	long ret = ctx->ret;
	if (ret > 0)
		return 0;
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 flags = 0;
	bool flags_read = true;
	if (ret == 0) {
		u64 *f = bpf_map_lookup_elem(&kb_clone3_flags, &tid);
		if (f) {
			flags = *f;
			bpf_map_delete_elem(&kb_clone3_flags, &tid);
		}
	} else {
		/* A failed clone3 returns in the caller: its memory is intact. */
		KB_ARGS(a);
		flags_read = bpf_probe_read_user(&flags, sizeof(flags), (void *)a.a[0]) == 0;
	}
	KB_BEGIN(r, CLONE3);
	KB_CLONE_COMMON(r, CLONE3, ret);
	if (flags_read)
		KB_PUT(r, CLONE3, flags, (u32)flags);
	else
		KB_PUT_EMPTY(r, CLONE3, flags);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(fork)
{
	long ret = ctx->ret;
	if (ret > 0)
		return 0;
	KB_BEGIN(r, FORK);
	KB_CLONE_COMMON(r, FORK, ret);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(vfork)
{
	long ret = ctx->ret;
	if (ret > 0)
		return 0;
	KB_BEGIN(r, VFORK);
	KB_CLONE_COMMON(r, VFORK, ret);
	kb_submit(&r);
	return 0;
}

/*
 * Who inherits the exiting task's children: another live thread of its
 * group if there is one, else the pid namespace's init. (Subreapers set
 * with PR_SET_CHILD_SUBREAPER are not looked for.) 0 for a task without
 * children, as Falco's driver sends: there is nothing to reparent, and
 * userspace then remembers no reaper for it (a record per exit otherwise,
 * growing with process churn). The tracepoint runs before exit_notify()
 * moves the children, so the list is still the task's own.
 */
static __always_inline s64 kb_reaper_tid(struct task_struct *p)
{
	struct list_head *children = (void *)p + bpf_core_field_offset(struct task_struct, children);
	if (BPF_CORE_READ(p, children.next) == children)
		return 0;
	struct signal_struct *sig = BPF_CORE_READ(p, signal);
	int live = BPF_CORE_READ(sig, live.counter);
	if (live > 0) {
		struct task_struct *leader = BPF_CORE_READ(p, group_leader);
		if (leader != p)
			return BPF_CORE_READ(leader, pid);
	}
	struct pid *tp = BPF_CORE_READ(p, thread_pid);
	u32 level = BPF_CORE_READ(tp, level);
	struct upid *numbers = (void *)tp + bpf_core_field_offset(struct pid, numbers);
	struct pid_namespace *ns = NULL;
	bpf_probe_read_kernel(&ns, sizeof(ns), &numbers[level & 31].ns);
	struct task_struct *reaper = BPF_CORE_READ(ns, child_reaper);
	return reaper ? BPF_CORE_READ(reaper, pid) : 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ke_procexit, struct task_struct *p)
{
	KB_BEGIN(r, PROCEXIT);
	s64 code = BPF_CORE_READ(p, exit_code);
	KB_PUT(r, PROCEXIT, status, code);
	KB_PUT(r, PROCEXIT, ret, (code >> 8) & 0xff);
	KB_PUT(r, PROCEXIT, sig, code & 0x7f);
	KB_PUT(r, PROCEXIT, core, (code & 0x80) != 0);
	KB_PUT(r, PROCEXIT, reaper_tid, kb_reaper_tid(p));
	kb_submit(&r);
	return 0;
}

#endif /* KESTREL_EBPF_FILLERS_PROCESS_BPF_H */
