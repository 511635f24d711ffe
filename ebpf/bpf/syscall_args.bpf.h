/*
 * syscall_args.bpf.h — a syscall's arguments, read at its exit.
 *
 * The per-syscall exit tracepoints (syscalls/sys_exit_<name>) only carry
 * the return value. The arguments are still in the user registers the
 * kernel saved at entry (pt_regs), which are not modified by the syscall
 * itself — except by a successful execve, which replaces them (see the
 * exec fillers). Reading them here costs a few loads, against a second
 * hook (sys_enter_<name>) and a map update per syscall.
 *
 * Only x86_64 is wired up; aarch64 keeps the arguments in regs[0..5] (with
 * the first one moved to orig_x0 at entry) and needs its own accessor.
 */
#ifndef KESTREL_EBPF_SYSCALL_ARGS_BPF_H
#define KESTREL_EBPF_SYSCALL_ARGS_BPF_H

#if !defined(__TARGET_ARCH_x86)
#error "syscall_args.bpf.h: only x86_64 is supported so far"
#endif

/* The six syscall arguments of the current task, in order. */
struct kb_args {
	unsigned long a[6];
};

static __always_inline void kb_read_args(struct kb_args *out)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	/*
	 * Direct loads through the BTF pointer: the verifier turns them into
	 * fault-safe loads, much cheaper than a bpf_probe_read_kernel() call.
	 */
	out->a[0] = regs->di;
	out->a[1] = regs->si;
	out->a[2] = regs->dx;
	out->a[3] = regs->r10;
	out->a[4] = regs->r8;
	out->a[5] = regs->r9;
}

/* The syscall number the current task entered (orig_ax). */
static __always_inline long kb_syscall_nr(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	return BPF_CORE_READ(regs, orig_ax);
}

#endif /* KESTREL_EBPF_SYSCALL_ARGS_BPF_H */
