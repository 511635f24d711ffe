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
	KB_PUT(r, SOCKET, fd, ret);
	KB_PUT(r, SOCKET, domain, a.a[0]);
	KB_PUT(r, SOCKET, type, a.a[1]);
	KB_PUT(r, SOCKET, proto, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(socketpair)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SOCKETPAIR);
	KB_ARGS(a);
	s32 fds[2] = {-1, -1};
	KB_PUT(r, SOCKETPAIR, res, ret);
	/* The fds the kernel wrote back; unknown if they cannot be read. */
	if (ret == 0 && bpf_probe_read_user(fds, sizeof(fds), (void *)a.a[3]) != 0) {
		KB_PUT_EMPTY(r, SOCKETPAIR, fd1);
		KB_PUT_EMPTY(r, SOCKETPAIR, fd2);
	} else {
		KB_PUT(r, SOCKETPAIR, fd1, fds[0]);
		KB_PUT(r, SOCKETPAIR, fd2, fds[1]);
	}
	KB_PUT(r, SOCKETPAIR, domain, a.a[0]);
	KB_PUT(r, SOCKETPAIR, type, a.a[1]);
	KB_PUT(r, SOCKETPAIR, proto, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(connect)
{
	long ret = ctx->ret;
	KB_BEGIN(r, CONNECT);
	KB_ARGS(a);
	KB_PUT(r, CONNECT, res, ret);
	KB_PUT(r, CONNECT, fd, (s32)a.a[0]);
	/* -EINPROGRESS: a non-blocking connect already has both ends. */
	if (ret == 0 || ret == -115)
		KB_PUT_TUPLE(r, CONNECT, tuple, kb_fd_sock((s32)a.a[0]), true);
	else
		KB_PUT_EMPTY(r, CONNECT, tuple);
	KB_PUT_USER_SOCKADDR(r, CONNECT, addr, a.a[1], a.a[2]);
	kb_submit(&r);
	return 0;
}

/* fd, tuple, listen_fd: accept and accept4 (which adds its flags). */
#define KB_ACCEPT_COMMON(r, ID, ret, a)                                         \
	KB_PUT(r, ID, fd, ret);                                                 \
	if ((ret) >= 0)                                                         \
		KB_PUT_TUPLE(r, ID, tuple, kb_fd_sock(ret), false);             \
	else                                                                    \
		KB_PUT_EMPTY(r, ID, tuple);                                     \
	KB_PUT(r, ID, listen_fd, (s32)(a).a[0])

KB_SYSCALL_EXIT(accept)
{
	long ret = ctx->ret;
	KB_BEGIN(r, ACCEPT);
	KB_ARGS(a);
	KB_ACCEPT_COMMON(r, ACCEPT, ret, a);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(accept4)
{
	long ret = ctx->ret;
	KB_BEGIN(r, ACCEPT4);
	KB_ARGS(a);
	KB_ACCEPT_COMMON(r, ACCEPT4, ret, a);
	KB_PUT(r, ACCEPT4, flags, a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(bind)
{
	long ret = ctx->ret;
	KB_BEGIN(r, BIND);
	KB_ARGS(a);
	KB_PUT(r, BIND, res, ret);
	KB_PUT(r, BIND, fd, (s32)a.a[0]);
	KB_PUT_USER_SOCKADDR(r, BIND, addr, a.a[1], a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(listen)
{
	long ret = ctx->ret;
	KB_BEGIN(r, LISTEN);
	KB_ARGS(a);
	KB_PUT(r, LISTEN, res, ret);
	KB_PUT(r, LISTEN, fd, (s32)a.a[0]);
	KB_PUT(r, LISTEN, backlog, a.a[1]);
	/* addr: bind already told the fd table (events.def). */
	KB_PUT_EMPTY(r, LISTEN, addr);
	kb_submit(&r);
	return 0;
}

#endif /* KESTREL_EBPF_FILLERS_NET_BPF_H */
