/*
 * fillers_security.bpf.h — credentials, ptrace, prctl, bpf, modules,
 * namespaces, userfaultfd, io_uring, memory protection and signals.
 * All of these are "res + integer arguments", read from the saved user
 * registers at exit, plus a string or struct where noted.
 */
#ifndef KESTREL_EBPF_FILLERS_SECURITY_BPF_H
#define KESTREL_EBPF_FILLERS_SECURITY_BPF_H

/* res + the 32-bit id arguments: setuid/setgid/setre*id/setres*id. */
KB_SYSCALL_EXIT(setuid)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETUID);
	KB_ARGS(a);
	KB_PUT(r, SETUID, res, ret);
	KB_PUT(r, SETUID, uid, a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(setgid)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETGID);
	KB_ARGS(a);
	KB_PUT(r, SETGID, res, ret);
	KB_PUT(r, SETGID, gid, a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(setreuid)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETREUID);
	KB_ARGS(a);
	KB_PUT(r, SETREUID, res, ret);
	KB_PUT(r, SETREUID, ruid, a.a[0]);
	KB_PUT(r, SETREUID, euid, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(setregid)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETREGID);
	KB_ARGS(a);
	KB_PUT(r, SETREGID, res, ret);
	KB_PUT(r, SETREGID, rgid, a.a[0]);
	KB_PUT(r, SETREGID, egid, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(setresuid)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETRESUID);
	KB_ARGS(a);
	KB_PUT(r, SETRESUID, res, ret);
	KB_PUT(r, SETRESUID, ruid, a.a[0]);
	KB_PUT(r, SETRESUID, euid, a.a[1]);
	KB_PUT(r, SETRESUID, suid, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(setresgid)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETRESGID);
	KB_ARGS(a);
	KB_PUT(r, SETRESGID, res, ret);
	KB_PUT(r, SETRESGID, rgid, a.a[0]);
	KB_PUT(r, SETRESGID, egid, a.a[1]);
	KB_PUT(r, SETRESGID, sgid, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(ptrace)
{
	long ret = ctx->ret;
	KB_BEGIN(r, PTRACE);
	KB_ARGS(a);
	KB_PUT(r, PTRACE, res, ret);
	KB_PUT(r, PTRACE, request, a.a[0]);
	KB_PUT(r, PTRACE, pid, (s32)a.a[1]);
	KB_PUT(r, PTRACE, addr, a.a[2]);
	KB_PUT(r, PTRACE, data, a.a[3]);
	kb_submit(&r);
	return 0;
}

#define KB_PR_SET_NAME 15
#define KB_PR_GET_NAME 16

KB_SYSCALL_EXIT(prctl)
{
	long ret = ctx->ret;
	KB_BEGIN(r, PRCTL);
	KB_ARGS(a);
	u32 option = a.a[0];
	KB_PUT(r, PRCTL, res, ret);
	KB_PUT(r, PRCTL, option, option);
	if (option == KB_PR_SET_NAME || option == KB_PR_GET_NAME) {
		KB_PUT_USER_STR(r, PRCTL, arg2_str, a.a[1]);
		KB_PUT_EMPTY(r, PRCTL, arg2_int);
	} else {
		KB_PUT_EMPTY(r, PRCTL, arg2_str);
		KB_PUT(r, PRCTL, arg2_int, a.a[1]);
	}
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(bpf)
{
	long ret = ctx->ret;
	KB_BEGIN(r, BPF);
	KB_ARGS(a);
	KB_PUT(r, BPF, fd, ret);
	KB_PUT(r, BPF, cmd, a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(init_module)
{
	long ret = ctx->ret;
	KB_BEGIN(r, INIT_MODULE);
	KB_ARGS(a);
	KB_PUT(r, INIT_MODULE, res, ret);
	KB_PUT(r, INIT_MODULE, length, a.a[1]);
	KB_PUT_USER_STR(r, INIT_MODULE, uargs, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(finit_module)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FINIT_MODULE);
	KB_ARGS(a);
	KB_PUT(r, FINIT_MODULE, res, ret);
	KB_PUT(r, FINIT_MODULE, fd, (s32)a.a[0]);
	KB_PUT_USER_STR(r, FINIT_MODULE, uargs, a.a[1]);
	KB_PUT(r, FINIT_MODULE, flags, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(setns)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETNS);
	KB_ARGS(a);
	KB_PUT(r, SETNS, res, ret);
	KB_PUT(r, SETNS, fd, (s32)a.a[0]);
	KB_PUT(r, SETNS, nstype, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(unshare)
{
	long ret = ctx->ret;
	KB_BEGIN(r, UNSHARE);
	KB_ARGS(a);
	KB_PUT(r, UNSHARE, res, ret);
	KB_PUT(r, UNSHARE, flags, a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(userfaultfd)
{
	long ret = ctx->ret;
	KB_BEGIN(r, USERFAULTFD);
	KB_ARGS(a);
	KB_PUT(r, USERFAULTFD, res, ret);
	KB_PUT(r, USERFAULTFD, flags, a.a[0]);
	kb_submit(&r);
	return 0;
}

/* The kernel fills io_uring_params on success; read them back at exit. */
KB_SYSCALL_EXIT(io_uring_setup)
{
	long ret = ctx->ret;
	KB_BEGIN(r, IO_URING_SETUP);
	KB_ARGS(a);
	struct io_uring_params p = {};
	KB_PUT(r, IO_URING_SETUP, res, ret);
	KB_PUT(r, IO_URING_SETUP, entries, a.a[0]);
	if (bpf_probe_read_user(&p, sizeof(p), (void *)a.a[1]) == 0) {
		KB_PUT(r, IO_URING_SETUP, sq_entries, p.sq_entries);
		KB_PUT(r, IO_URING_SETUP, cq_entries, p.cq_entries);
		KB_PUT(r, IO_URING_SETUP, flags, p.flags);
		KB_PUT(r, IO_URING_SETUP, sq_thread_cpu, p.sq_thread_cpu);
		KB_PUT(r, IO_URING_SETUP, sq_thread_idle, p.sq_thread_idle);
		KB_PUT(r, IO_URING_SETUP, features, p.features);
	} else {
		/* The params could not be read back: unknown, not zero. */
		KB_PUT_EMPTY(r, IO_URING_SETUP, sq_entries);
		KB_PUT_EMPTY(r, IO_URING_SETUP, cq_entries);
		KB_PUT_EMPTY(r, IO_URING_SETUP, flags);
		KB_PUT_EMPTY(r, IO_URING_SETUP, sq_thread_cpu);
		KB_PUT_EMPTY(r, IO_URING_SETUP, sq_thread_idle);
		KB_PUT_EMPTY(r, IO_URING_SETUP, features);
	}
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(mmap)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MMAP);
	KB_ARGS(a);
	KB_PUT(r, MMAP, res, ret);
	KB_PUT(r, MMAP, addr, a.a[0]);
	KB_PUT(r, MMAP, length, a.a[1]);
	KB_PUT(r, MMAP, prot, a.a[2]);
	KB_PUT(r, MMAP, flags, a.a[3]);
	KB_PUT(r, MMAP, fd, (s32)a.a[4]);
	KB_PUT(r, MMAP, offset, a.a[5]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(mprotect)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MPROTECT);
	KB_ARGS(a);
	KB_PUT(r, MPROTECT, res, ret);
	KB_PUT(r, MPROTECT, addr, a.a[0]);
	KB_PUT(r, MPROTECT, length, a.a[1]);
	KB_PUT(r, MPROTECT, prot, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(kill)
{
	long ret = ctx->ret;
	KB_BEGIN(r, KILL);
	KB_ARGS(a);
	KB_PUT(r, KILL, res, ret);
	KB_PUT(r, KILL, pid, (s32)a.a[0]);
	KB_PUT(r, KILL, sig, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(tkill)
{
	long ret = ctx->ret;
	KB_BEGIN(r, TKILL);
	KB_ARGS(a);
	KB_PUT(r, TKILL, res, ret);
	KB_PUT(r, TKILL, tid, (s32)a.a[0]);
	KB_PUT(r, TKILL, sig, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(tgkill)
{
	long ret = ctx->ret;
	KB_BEGIN(r, TGKILL);
	KB_ARGS(a);
	KB_PUT(r, TGKILL, res, ret);
	KB_PUT(r, TGKILL, pid, (s32)a.a[0]);
	KB_PUT(r, TGKILL, tid, (s32)a.a[1]);
	KB_PUT(r, TGKILL, sig, a.a[2]);
	kb_submit(&r);
	return 0;
}

#endif /* KESTREL_EBPF_FILLERS_SECURITY_BPF_H */
