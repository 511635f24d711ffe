// SPDX-License-Identifier: GPL-2.0
/*
 * kk_sock.c — socket params: a socket's tuple (read through the fd table
 * from the kernel's `struct sock`) and a sockaddr the caller passed, in the
 * encodings of sources/abi/kestrel_event.h, as ebpf/bpf/sock.bpf.h writes
 * them: same fields, same direction rules, same empty cases.
 */
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/sock.h>

#include "kk.h"

/* bpf_probe_read_*_str(.., KB_UNIX_PATH_MAX, ..) in sock.bpf.h: at most
 * 107 path bytes and the NUL. */
#define KK_UNIX_PATH_MAX 108

/* The sock behind `fd` of the current task, or NULL if fd is not a
 * socket (kb_fd_sock). Caller holds rcu_read_lock(). */
static struct sock *kk_fd_sock_rcu(long fd)
{
	struct file *f;
	struct socket *sock;

	if (fd < 0 || fd > INT_MAX)
		return NULL;
	/* The lookup both 6.1 and 6.7+ have (see kk_fd.c). */
	f = files_lookup_fd_raw(current->files, (unsigned int)fd);
	sock = f ? sock_from_file(f) : NULL;
	return sock ? READ_ONCE(sock->sk) : NULL;
}

/*
 * Writes a unix socket's bound path at `dst` ("@name" for an abstract
 * one), then a NUL; just the NUL when it has no address. Returns the bytes
 * written (<= 1 + KK_UNIX_PATH_MAX). As kb_write_unix_path, except that
 * the read stops at the end of the address: the probe reads up to 107
 * bytes whatever the address length, so for an abstract name (not NUL
 * terminated) it may append bytes that follow the allocation.
 */
static u32 kk_write_unix_path(u8 *dst, struct sock *sk)
{
	struct unix_address *addr = sk ? smp_load_acquire(&unix_sk(sk)->addr) : NULL;
	const char *path;
	int left;
	u32 n = 0;

	if (addr) {
		path = addr->name[0].sun_path;
		left = addr->len - (int)offsetof(struct sockaddr_un, sun_path);
		if (left > 0 && path[0] == 0) {
			dst[n++] = '@';
			path++;
			left--;
		}
		if (left > KK_UNIX_PATH_MAX - 1)
			left = KK_UNIX_PATH_MAX - 1;
		if (left > 0) {
			u32 k = strnlen(path, left);

			memcpy(dst + n, path, k);
			n += k;
		}
	}
	dst[n] = 0;
	return n + 1;
}

/* The tuple of `sk` at `dst` (room for the largest encoding); 0 bytes for
 * a family with no encoding. Ports: local from skc_num, remote from
 * skc_dport; addresses: skc_rcv_saddr / skc_daddr (and their v6 twins). */
static u32 kk_write_tuple(u8 *dst, struct sock *sk, bool local_is_source)
{
	u16 family = READ_ONCE(sk->sk_family);
	u16 lport = READ_ONCE(sk->sk_num);
	u16 rport = ntohs(READ_ONCE(sk->sk_dport));

	if (family == AF_INET) {
		struct kestrel_socktuple_in t;
		__be32 laddr = READ_ONCE(sk->sk_rcv_saddr);
		__be32 raddr = READ_ONCE(sk->sk_daddr);

		t.family = KESTREL_AF_INET;
		memcpy(t.saddr, local_is_source ? &laddr : &raddr, 4);
		t.sport = local_is_source ? lport : rport;
		memcpy(t.daddr, local_is_source ? &raddr : &laddr, 4);
		t.dport = local_is_source ? rport : lport;
		memcpy(dst, &t, sizeof(t));
		return sizeof(t);
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (family == AF_INET6) {
		struct kestrel_socktuple_in6 t;
		const struct in6_addr *l6 = &sk->sk_v6_rcv_saddr;
		const struct in6_addr *r6 = &sk->sk_v6_daddr;

		t.family = KESTREL_AF_INET6;
		memcpy(t.saddr, local_is_source ? l6 : r6, 16);
		t.sport = local_is_source ? lport : rport;
		memcpy(t.daddr, local_is_source ? r6 : l6, 16);
		t.dport = local_is_source ? rport : lport;
		memcpy(dst, &t, sizeof(t));
		return sizeof(t);
	}
#endif
	if (family == AF_UNIX) {
		struct kestrel_socktuple_un t;
		struct sock *peer = READ_ONCE(unix_sk(sk)->peer);

		/* The kernel socket identities, as the probe writes them. */
		t.family = KESTREL_AF_UNIX;
		t.source = (u64)(unsigned long)(local_is_source ? sk : peer);
		t.dest = (u64)(unsigned long)(local_is_source ? peer : sk);
		memcpy(dst, &t, sizeof(t));
		/* The server's path: the peer's for connect, our own for accept. */
		return sizeof(t) + kk_write_unix_path(dst + sizeof(t), local_is_source ? peer : sk);
	}
	return 0;
}

/* The largest tuple: the unix header, '@', 107 path bytes, NUL. */
#define KK_TUPLE_MAX (sizeof(struct kestrel_socktuple_un) + 1 + KK_UNIX_PATH_MAX)

void kk_put_sock_tuple(struct kk_rec *r, u32 idx, u32 type, long fd, bool local_is_source)
{
	struct sock *sk;
	u32 room, len = 0;
	u8 *dst;

	if (!kk_open_param(r, idx, KESTREL_PARAM_IS_SOCKTUPLE(type)))
		return;
	dst = kk_cursor(r, &room);
	if (room < KK_TUPLE_MAX) {
		r->overflow = true;
		kk_commit(r, 0);
		return;
	}
	rcu_read_lock();
	sk = kk_fd_sock_rcu(fd);
	if (sk)
		len = kk_write_tuple(dst, sk, local_is_source);
	rcu_read_unlock();
	kk_commit(r, len);
}

void kk_put_tuple(struct kk_rec *r, u32 idx, u32 type, long fd)
{
	kk_put_sock_tuple(r, idx, type, fd, true);
}

/*
 * The sockaddr the caller passed, as SOCKADDR param `idx`: empty when the
 * family cannot be read, or its address cannot, or the family has no
 * encoding. As kb_put_user_sockaddr: the family first, then the whole
 * sockaddr_in/_in6 whatever addrlen says beyond the minimum (8 / 24), a
 * unix path as a string of at most 107 bytes.
 */
void kk_put_user_sockaddr(struct kk_rec *r, u32 idx, u32 type, const void __user *uaddr, u64 addrlen)
{
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	union {
		struct kestrel_sockaddr_in in;
		struct kestrel_sockaddr_in6 in6;
	} a;
	u16 family;
	u32 room, n;
	u8 *dst;
	const char __user *path;
	char first = 0;

	if (!kk_open_param(r, idx, KESTREL_PARAM_IS_SOCKADDR(type)))
		return;
	if (!uaddr || addrlen < 2 || copy_from_user_nofault(&family, uaddr, sizeof(family))) {
		kk_commit(r, 0);
		return;
	}
	dst = kk_cursor(r, &room);
	if (room < 2 + KK_UNIX_PATH_MAX) {
		r->overflow = true;
		kk_commit(r, 0);
		return;
	}
	if (family == AF_INET && addrlen >= 8) {
		if (copy_from_user_nofault(&u.in, uaddr, sizeof(u.in))) {
			kk_commit(r, 0);
			return;
		}
		a.in.family = KESTREL_AF_INET;
		memcpy(a.in.addr, &u.in.sin_addr.s_addr, 4);
		a.in.port = ntohs(u.in.sin_port);
		memcpy(dst, &a.in, sizeof(a.in));
		kk_commit(r, sizeof(a.in));
	} else if (family == AF_INET6 && addrlen >= 24) {
		if (copy_from_user_nofault(&u.in6, uaddr, sizeof(u.in6))) {
			kk_commit(r, 0);
			return;
		}
		a.in6.family = KESTREL_AF_INET6;
		memcpy(a.in6.addr, &u.in6.sin6_addr, 16);
		a.in6.port = ntohs(u.in6.sin6_port);
		memcpy(dst, &a.in6, sizeof(a.in6));
		kk_commit(r, sizeof(a.in6));
	} else if (family == AF_UNIX) {
		/* u8 family, ['@' for an abstract name,] path, NUL */
		path = (const char __user *)uaddr + 2;
		if (copy_from_user_nofault(&first, path, 1))
			first = 0;
		n = 0;
		dst[n++] = KESTREL_AF_UNIX;
		if (first == 0 && addrlen > 2) {
			dst[n++] = '@';
			path++;
		}
		room = kk_copy_user_str(dst + n, path, KK_UNIX_PATH_MAX);
		if (room > 0) {
			n += room;
		} else {
			dst[n++] = 0;
		}
		kk_commit(r, n);
	} else {
		kk_commit(r, 0);
	}
}
