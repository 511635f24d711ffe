/*
 * fillers_net.bpf.h — socket, connect, accept, bind, listen, socketpair.
 *
 * connect/accept tuples come from the socket's `struct sock` at exit (see
 * sock.bpf.h), so they carry the local address and port the kernel chose.
 */
#ifndef KESTREL_EBPF_FILLERS_NET_BPF_H
#define KESTREL_EBPF_FILLERS_NET_BPF_H

KB_SYSCALL_EXIT(socket)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SOCKET);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_u32(&r, a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(socketpair)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SOCKETPAIR);
	KB_ARGS(a);
	s32 fds[2] = {-1, -1};
	if (ret == 0)
		bpf_probe_read_user(fds, sizeof(fds), (void *)a.a[3]);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, fds[0]);
	kb_push_s64(&r, fds[1]);
	kb_push_u32(&r, a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(connect)
{
	long ret = ctx->ret;
	KB_BEGIN(r, CONNECT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	/* -EINPROGRESS: a non-blocking connect already has both ends. */
	if (ret == 0 || ret == -115)
		kb_push_tuple(&r, kb_fd_sock((s32)a.a[0]), true);
	else
		kb_push_empty(&r);
	kb_push_user_sockaddr(&r, (void *)a.a[1], a.a[2]);
	kb_submit(&r);
	return 0;
}

static __always_inline int kb_accept(struct trace_event_raw_sys_exit *ctx, bool with_flags)
{
	long ret = ctx->ret;
	struct kb_rec r;
	if (with_flags ? !kb_begin(&r, KE_ACCEPT4, KP_ACCEPT4_COUNT) : !kb_begin(&r, KE_ACCEPT, KP_ACCEPT_COUNT))
		return 0;
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	if (ret >= 0)
		kb_push_tuple(&r, kb_fd_sock(ret), false);
	else
		kb_push_empty(&r);
	kb_push_s64(&r, (s32)a.a[0]);
	if (with_flags)
		kb_push_u32(&r, a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(accept)
{
	return kb_accept(ctx, false);
}

KB_SYSCALL_EXIT(accept4)
{
	return kb_accept(ctx, true);
}

KB_SYSCALL_EXIT(bind)
{
	long ret = ctx->ret;
	KB_BEGIN(r, BIND);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_sockaddr(&r, (void *)a.a[1], a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(listen)
{
	long ret = ctx->ret;
	KB_BEGIN(r, LISTEN);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_s32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

#endif /* KESTREL_EBPF_FILLERS_NET_BPF_H */
