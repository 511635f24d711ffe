// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_net.c — sockets: socket, socketpair, connect, accept,
 * accept4, bind, listen (sendto/recvfrom/sendmsg/recvmsg carry data and
 * live in kk_fillers_io.c).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_net.bpf.h); what cannot be read is empty. Tuples come
 * from the kernel's `struct sock` at exit (kk_sock.c), so they carry the
 * local address and port the kernel chose.
 */
#include <linux/errno.h>
#include <linux/uaccess.h>

#include "kk_fillers.h"

KK_FILLER(socket)
{
	KK_BEGIN(r, SOCKET);
	KK_PUT(r, SOCKET, fd, ret);
	KK_PUT(r, SOCKET, domain, a[0]);
	KK_PUT(r, SOCKET, type, a[1]);
	KK_PUT(r, SOCKET, proto, a[2]);
	kk_submit(&r);
}

KK_FILLER(socketpair)
{
	s32 fds[2] = { -1, -1 };

	KK_BEGIN(r, SOCKETPAIR);
	KK_PUT(r, SOCKETPAIR, res, ret);
	/* The fds the kernel wrote back; unknown if they cannot be read
	 * (-1, -1 when the call failed). */
	if (ret == 0 && copy_from_user_nofault(fds, (const void __user *)a[3], sizeof(fds))) {
		KK_PUT_EMPTY(r, SOCKETPAIR, fd1);
		KK_PUT_EMPTY(r, SOCKETPAIR, fd2);
	} else {
		KK_PUT(r, SOCKETPAIR, fd1, (s64)fds[0]);
		KK_PUT(r, SOCKETPAIR, fd2, (s64)fds[1]);
	}
	KK_PUT(r, SOCKETPAIR, domain, a[0]);
	KK_PUT(r, SOCKETPAIR, type, a[1]);
	KK_PUT(r, SOCKETPAIR, proto, a[2]);
	kk_submit(&r);
}

KK_FILLER(connect)
{
	KK_BEGIN(r, CONNECT);
	KK_PUT(r, CONNECT, res, ret);
	KK_PUT(r, CONNECT, fd, (s32)a[0]);
	/* -EINPROGRESS: a non-blocking connect already has both ends. */
	if (ret == 0 || ret == -EINPROGRESS)
		KK_PUT_TUPLE(r, CONNECT, tuple, (s32)a[0], true);
	else
		KK_PUT_EMPTY(r, CONNECT, tuple);
	kk_put_user_sockaddr(&r, KK_P(CONNECT, addr), (const void __user *)a[1], a[2]);
	kk_submit(&r);
}

/* fd, tuple (the peer is the client), listen_fd: accept and accept4. */
#define KK_ACCEPT_COMMON(r, ID, ret, a)                         \
	do {                                                    \
		KK_PUT(r, ID, fd, ret);                         \
		if ((ret) >= 0)                                 \
			KK_PUT_TUPLE(r, ID, tuple, ret, false); \
		else                                            \
			KK_PUT_EMPTY(r, ID, tuple);             \
		KK_PUT(r, ID, listen_fd, (s32)(a)[0]);          \
	} while (0)

KK_FILLER(accept)
{
	KK_BEGIN(r, ACCEPT);
	KK_ACCEPT_COMMON(r, ACCEPT, ret, a);
	kk_submit(&r);
}

KK_FILLER(accept4)
{
	KK_BEGIN(r, ACCEPT4);
	KK_ACCEPT_COMMON(r, ACCEPT4, ret, a);
	KK_PUT(r, ACCEPT4, flags, a[3]);
	kk_submit(&r);
}

KK_FILLER(bind)
{
	KK_BEGIN(r, BIND);
	KK_PUT(r, BIND, res, ret);
	KK_PUT(r, BIND, fd, (s32)a[0]);
	kk_put_user_sockaddr(&r, KK_P(BIND, addr), (const void __user *)a[1], a[2]);
	kk_submit(&r);
}

KK_FILLER(listen)
{
	KK_BEGIN(r, LISTEN);
	KK_PUT(r, LISTEN, res, ret);
	KK_PUT(r, LISTEN, fd, (s32)a[0]);
	KK_PUT(r, LISTEN, backlog, a[1]);
	/* addr: bind already told the fd table (events.def). */
	KK_PUT_EMPTY(r, LISTEN, addr);
	kk_submit(&r);
}
