// SPDX-License-Identifier: GPL-2.0
/*
 * kk_sock.c — socket params: a connected socket's tuple (read through the
 * fd table) and a sockaddr the caller passed, in the encodings of
 * sources/abi/kestrel_event.h (as ebpf/bpf/sock.bpf.h writes them).
 */
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "kk.h"

/* The local -> remote SOCKTUPLE param `idx` of socket `fd` (connect: the
 * caller is the client). IPv4 and IPv6 only; other families are empty. */
void kk_put_tuple(struct kk_rec *r, u32 idx, u32 type, long fd)
{
	union {
		struct kestrel_socktuple_in in;
		struct kestrel_socktuple_in6 in6;
	} t;
	u32 len = 0;
	struct file *f;
	struct socket *sock;
	struct sock *sk;

	rcu_read_lock();
	f = fd >= 0 ? files_lookup_fd_rcu(current->files, (unsigned int)fd) : NULL;
	sock = f ? sock_from_file(f) : NULL;
	sk = sock ? READ_ONCE(sock->sk) : NULL;
	if (sk && sk->sk_family == AF_INET) {
		struct inet_sock *in = inet_sk(sk);

		t.in.family = KESTREL_AF_INET;
		memcpy(t.in.saddr, &in->inet_saddr, 4);
		t.in.sport = ntohs(in->inet_sport);
		memcpy(t.in.daddr, &in->inet_daddr, 4);
		t.in.dport = ntohs(in->inet_dport);
		len = sizeof(t.in);
#if IS_ENABLED(CONFIG_IPV6)
	} else if (sk && sk->sk_family == AF_INET6) {
		struct inet_sock *in = inet_sk(sk);

		t.in6.family = KESTREL_AF_INET6;
		memcpy(t.in6.saddr, &sk->sk_v6_rcv_saddr, 16);
		t.in6.sport = ntohs(in->inet_sport);
		memcpy(t.in6.daddr, &sk->sk_v6_daddr, 16);
		t.in6.dport = ntohs(in->inet_dport);
		len = sizeof(t.in6);
#endif
	}
	rcu_read_unlock();
	kk_put_sock(r, idx, type, &t, len);
}

/* The sockaddr the caller passed, as SOCKADDR param `idx` (empty when it
 * cannot be read). */
void kk_put_user_sockaddr(struct kk_rec *r, u32 idx, u32 type, const void __user *uaddr, u64 addrlen)
{
	struct sockaddr_storage ss;
	union {
		struct kestrel_sockaddr_in in;
		struct kestrel_sockaddr_in6 in6;
	} a;
	u32 len = 0;

	if (!uaddr || addrlen < 2 ||
	    copy_from_user_nofault(&ss, uaddr, min_t(u64, addrlen, sizeof(ss)))) {
		kk_put_empty(r, idx, type);
		return;
	}
	if (ss.ss_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in *in = (void *)&ss;

		a.in.family = KESTREL_AF_INET;
		memcpy(a.in.addr, &in->sin_addr.s_addr, 4);
		a.in.port = ntohs(in->sin_port);
		len = sizeof(a.in);
	} else if (ss.ss_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *in6 = (void *)&ss;

		a.in6.family = KESTREL_AF_INET6;
		memcpy(a.in6.addr, &in6->sin6_addr, 16);
		a.in6.port = ntohs(in6->sin6_port);
		len = sizeof(a.in6);
	} else if (ss.ss_family == AF_UNIX) {
		/* u8 family, path, NUL */
		u32 room;
		u8 *dst;
		u32 n = min_t(u64, addrlen, sizeof(ss)) - 2;

		if (!kk_open_param(r, idx, KESTREL_PARAM_IS_SOCKADDR(type)))
			return;
		dst = kk_cursor(r, &room);
		if (room < n + 2) {
			kk_commit(r, 0);
			return;
		}
		dst[0] = KESTREL_AF_UNIX;
		memcpy(dst + 1, (u8 *)&ss + 2, n);
		dst[1 + n] = 0;
		kk_commit(r, 1 + strnlen((char *)dst + 1, n) + 1);
		return;
	}
	kk_put_sock(r, idx, type, &a, len);
}

