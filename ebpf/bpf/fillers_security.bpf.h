/*
 * fillers_security.bpf.h — credentials, ptrace, prctl, bpf, modules,
 * namespaces, userfaultfd, io_uring, memory protection and signals.
 * All of these are "res + integer arguments", read from the saved user
 * registers at exit, plus a string or struct where noted.
 */
#ifndef KESTREL_EBPF_FILLERS_SECURITY_BPF_H
#define KESTREL_EBPF_FILLERS_SECURITY_BPF_H

/* res + N 32-bit id arguments: setuid/setgid/setre*id/setres*id. */
#define KB_RES_IDS(name, ID, N)                                 \
	KB_SYSCALL_EXIT(name)                                   \
	{                                                       \
		long ret = ctx->ret;                            \
		KB_BEGIN(r, ID);                                \
		KB_ARGS(a);                                     \
		kb_push_s64(&r, ret);                           \
		for (int i = 0; i < N; i++)                     \
			kb_push_u32(&r, a.a[i]);                \
		kb_submit(&r);                                  \
		return 0;                                       \
	}

KB_RES_IDS(setuid, SETUID, 1)
KB_RES_IDS(setgid, SETGID, 1)
KB_RES_IDS(setreuid, SETREUID, 2)
KB_RES_IDS(setregid, SETREGID, 2)
KB_RES_IDS(setresuid, SETRESUID, 3)
KB_RES_IDS(setresgid, SETRESGID, 3)

KB_SYSCALL_EXIT(ptrace)
{
	long ret = ctx->ret;
	KB_BEGIN(r, PTRACE);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_u32(&r, a.a[0]);
	kb_push_s64(&r, (s32)a.a[1]);
	kb_push_u64(&r, a.a[2]);
	kb_push_u64(&r, a.a[3]);
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
	kb_push_s64(&r, ret);
	kb_push_u32(&r, option);
	if (option == KB_PR_SET_NAME || option == KB_PR_GET_NAME) {
		kb_push_user_str(&r, (void *)a.a[1]);
		kb_push_empty(&r);
	} else {
		kb_push_empty(&r);
		kb_push_s64(&r, a.a[1]);
	}
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(bpf)
{
	long ret = ctx->ret;
	KB_BEGIN(r, BPF);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_u32(&r, a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(init_module)
{
	long ret = ctx->ret;
	KB_BEGIN(r, INIT_MODULE);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_u64(&r, a.a[1]);
	kb_push_user_str(&r, (void *)a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(finit_module)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FINIT_MODULE);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(setns)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SETNS);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(unshare)
{
	long ret = ctx->ret;
	KB_BEGIN(r, UNSHARE);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_u32(&r, a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(userfaultfd)
{
	long ret = ctx->ret;
	KB_BEGIN(r, USERFAULTFD);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_u32(&r, a.a[0]);
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
	bpf_probe_read_user(&p, sizeof(p), (void *)a.a[1]);
	kb_push_s64(&r, ret);
	kb_push_u32(&r, a.a[0]);
	kb_push_u32(&r, p.sq_entries);
	kb_push_u32(&r, p.cq_entries);
	kb_push_u32(&r, p.flags);
	kb_push_u32(&r, p.sq_thread_cpu);
	kb_push_u32(&r, p.sq_thread_idle);
	kb_push_u32(&r, p.features);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(mmap)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MMAP);
	KB_ARGS(a);
	kb_push_u64(&r, ret);
	kb_push_u64(&r, a.a[0]);
	kb_push_u64(&r, a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_push_u32(&r, a.a[3]);
	kb_push_s64(&r, (s32)a.a[4]);
	kb_push_u64(&r, a.a[5]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(mprotect)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MPROTECT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_u64(&r, a.a[0]);
	kb_push_u64(&r, a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(kill)
{
	long ret = ctx->ret;
	KB_BEGIN(r, KILL);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(tkill)
{
	long ret = ctx->ret;
	KB_BEGIN(r, TKILL);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(tgkill)
{
	long ret = ctx->ret;
	KB_BEGIN(r, TGKILL);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_s64(&r, (s32)a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_submit(&r);
	return 0;
}

#endif /* KESTREL_EBPF_FILLERS_SECURITY_BPF_H */
