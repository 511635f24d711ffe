/*
 * sock.bpf.h — fd -> file -> socket lookups and the SOCKADDR / SOCKTUPLE
 * encodings of kestrel_event.h.
 *
 * Tuples are read from the kernel's `struct sock` (CO-RE), not from the
 * syscall's user buffers: the kernel's view includes the local address and
 * port it picked, and cannot be faked by the caller.
 */
#ifndef KESTREL_EBPF_SOCK_BPF_H
#define KESTREL_EBPF_SOCK_BPF_H

#define KB_S_IFMT 00170000
#define KB_S_IFSOCK 0140000
#define KB_UNIX_PATH_MAX 108

/*
 * Reads through kernel pointers on the hot path (open, close, connect) are
 * direct loads through BTF-typed pointers, which the verifier turns into
 * fault-safe loads: ~1 ns each against ~20 ns per bpf_probe_read_kernel()
 * call that BPF_CORE_READ makes. The one untyped hop (the fd array holds
 * plain pointers) is re-typed with the bpf_rdonly_cast kfunc (Linux >= 6.2).
 *
 * Older kernels (6.1) lack the kfunc: it is declared __weak, so libbpf
 * leaves the call unresolved instead of failing, and the loader clears
 * kb_have_rdonly_cast. Every read through a re-typed pointer is written as
 * KB_LOAD(direct, core): the knob is rodata, so the verifier keeps exactly
 * one of the two (and never sees the unresolved call); on kernels with the
 * kfunc the code is the direct-load code as before.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define KB_CAST(ptr, type) \
	(kb_have_rdonly_cast ? (type *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)) : (type *)(ptr))
#define KB_LOAD(direct, core) (kb_have_rdonly_cast ? (direct) : (core))

/* The file behind `fd` in the current task, or NULL. */
static __always_inline struct file *kb_fd_file(s64 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	if (!fdt || fd < 0 || (u64)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffffff]);
	return f ? KB_CAST(f, struct file) : NULL;
}

/* The sock behind `fd`, or NULL if fd is not a socket. */
static __always_inline struct sock *kb_fd_sock(s64 fd)
{
	struct file *f = kb_fd_file(fd);
	if (!f)
		return NULL;
	umode_t mode = KB_LOAD(f->f_inode->i_mode, BPF_CORE_READ(f, f_inode, i_mode));
	if ((mode & KB_S_IFMT) != KB_S_IFSOCK)
		return NULL;
	struct socket *sock = KB_CAST(KB_LOAD(f->private_data, BPF_CORE_READ(f, private_data)), struct socket);
	return KB_LOAD(sock->sk, BPF_CORE_READ(sock, sk));
}

/* The inode of the file behind a freshly returned fd, or NULL. */
static __always_inline struct inode *kb_fd_inode(s64 fd)
{
	struct file *f = fd >= 0 ? kb_fd_file(fd) : NULL;
	return f ? KB_LOAD(f->f_inode, BPF_CORE_READ(f, f_inode)) : NULL;
}

/* The `dev` and `ino` params of event ID: the file behind a freshly
 * returned fd (both empty when there is none). */
#define KB_PUT_FD_DEV_INO(r, ID, fd)                                                                    \
	do {                                                                                            \
		struct inode *inode_ = kb_fd_inode(fd);                                                 \
		if (inode_) {                                                                           \
			KB_PUT(r, ID, dev,                                                              \
			       kb_kdev_to_user(KB_LOAD(inode_->i_sb->s_dev, BPF_CORE_READ(inode_, i_sb, s_dev)))); \
			KB_PUT(r, ID, ino, KB_LOAD(inode_->i_ino, BPF_CORE_READ(inode_, i_ino)));       \
		} else {                                                                                \
			KB_PUT_EMPTY(r, ID, dev);                                                       \
			KB_PUT_EMPTY(r, ID, ino);                                                       \
		}                                                                                       \
	} while (0)

static __always_inline u64 kb_fd_ino(s64 fd)
{
	struct file *f = kb_fd_file(fd);
	return f ? KB_LOAD(f->f_inode->i_ino, BPF_CORE_READ(f, f_inode, i_ino)) : 0;
}

/*
 * Stores `v` as field `f` of the packed ABI struct `st` placed at `base`.
 * One store of the field's width at the struct's offset: a plain member
 * store through a packed struct would be split into byte stores, which
 * costs instructions and which the verifier refuses for pointer values
 * (the unix tuple's socket identities).
 */
#define KB_STORE(base, st, f, v) \
	(*(typeof(((struct st *)0)->f) *)((u8 *)(base) + __builtin_offsetof(struct st, f)) = (v))
#define KB_FIELD(base, st, f) ((u8 *)(base) + __builtin_offsetof(struct st, f))

/* A unix socket's bound path (or "@name" for an abstract one) at `pos`. */
static __always_inline u32 kb_write_unix_path(struct kb_rec *r, u32 pos, struct sock *sk)
{
	struct unix_sock *us = (struct unix_sock *)sk;
	struct unix_address *addr = sk ? BPF_CORE_READ(us, addr) : NULL;
	if (addr) {
		char *path = (char *)&addr->name[0].sun_path;
		char first = 0;
		bpf_probe_read_kernel(&first, 1, path);
		if (first == 0) {
			r->buf[pos & KB_OFF_MASK] = '@';
			pos++;
			path++;
		}
		long k = bpf_probe_read_kernel_str(r->buf + (pos & KB_OFF_MASK), KB_UNIX_PATH_MAX, path);
		if (k > 1)
			pos += k - 1;
	}
	r->buf[pos & KB_OFF_MASK] = 0;
	return pos + 1;
}

/*
 * Writes the SOCKTUPLE param `idx` of `sk`, client -> server:
 * `local_is_source` for connect() (the local end is the client), not for
 * accept(). Empty when there is no socket or its family has no encoding.
 */
#define KB_PUT_TUPLE(r, ID, name, sk, local_is_source) \
	kb_put_tuple(&(r), KB_P(ID, name), (sk), (local_is_source))

static __always_inline void kb_put_tuple(struct kb_rec *r, u32 idx, u32 type, struct sock *sk,
					 bool local_is_source)
{
	if (!kb_open_param(r, idx, KESTREL_PARAM_IS_SOCKTUPLE(type)))
		return;
	if (!sk) {
		kb_set_len(r, 0);
		return;
	}
	/* `sk` comes from kb_fd_sock(): BTF-typed (direct loads) where the kfunc is. */
	u16 family = KB_LOAD(sk->__sk_common.skc_family, BPF_CORE_READ(sk, __sk_common.skc_family));
	u32 pos = r->off;
	u16 lport = KB_LOAD(sk->__sk_common.skc_num, BPF_CORE_READ(sk, __sk_common.skc_num));
	u16 rport = bpf_ntohs(KB_LOAD(sk->__sk_common.skc_dport, BPF_CORE_READ(sk, __sk_common.skc_dport)));
	u8 *t = r->buf + (pos & KB_OFF_MASK);
	if (family == KESTREL_AF_INET) {
		u32 laddr = KB_LOAD(sk->__sk_common.skc_rcv_saddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		u32 raddr = KB_LOAD(sk->__sk_common.skc_daddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
		KB_STORE(t, kestrel_socktuple_in, family, KESTREL_AF_INET);
		*(u32 *)KB_FIELD(t, kestrel_socktuple_in, saddr) = local_is_source ? laddr : raddr;
		KB_STORE(t, kestrel_socktuple_in, sport, local_is_source ? lport : rport);
		*(u32 *)KB_FIELD(t, kestrel_socktuple_in, daddr) = local_is_source ? raddr : laddr;
		KB_STORE(t, kestrel_socktuple_in, dport, local_is_source ? rport : lport);
		kb_set_len(r, sizeof(struct kestrel_socktuple_in));
	} else if (family == KESTREL_AF_INET6) {
		struct in6_addr l6 = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr r6 = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		KB_STORE(t, kestrel_socktuple_in6, family, KESTREL_AF_INET6);
		__builtin_memcpy(KB_FIELD(t, kestrel_socktuple_in6, saddr), local_is_source ? &l6 : &r6, 16);
		KB_STORE(t, kestrel_socktuple_in6, sport, local_is_source ? lport : rport);
		__builtin_memcpy(KB_FIELD(t, kestrel_socktuple_in6, daddr), local_is_source ? &r6 : &l6, 16);
		KB_STORE(t, kestrel_socktuple_in6, dport, local_is_source ? rport : lport);
		kb_set_len(r, sizeof(struct kestrel_socktuple_in6));
	} else if (family == KESTREL_AF_UNIX) {
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		KB_STORE(t, kestrel_socktuple_un, family, KESTREL_AF_UNIX);
		KB_STORE(t, kestrel_socktuple_un, source, (u64)(local_is_source ? sk : peer));
		KB_STORE(t, kestrel_socktuple_un, dest, (u64)(local_is_source ? peer : sk));
		/* The server's path: the peer's for connect, our own for accept. */
		u32 end = kb_write_unix_path(r, pos + sizeof(struct kestrel_socktuple_un), local_is_source ? peer : sk);
		kb_set_len(r, end - pos);
	} else {
		kb_set_len(r, 0);
	}
}

/*
 * Writes the SOCKADDR param `idx` from a user sockaddr (as passed to
 * connect/bind). Empty when the caller's memory cannot be read — a family
 * we could read but an address we could not is unknown, not 0.0.0.0:0.
 */
#define KB_PUT_USER_SOCKADDR(r, ID, name, uaddr, addrlen) \
	kb_put_user_sockaddr(&(r), KB_P(ID, name), (const void *)(uaddr), (addrlen))

static __always_inline void kb_put_user_sockaddr(struct kb_rec *r, u32 idx, u32 type, const void *uaddr,
						 u64 addrlen)
{
	if (!kb_open_param(r, idx, KESTREL_PARAM_IS_SOCKADDR(type)))
		return;
	u16 family = 0;
	if (!uaddr || addrlen < 2 || bpf_probe_read_user(&family, sizeof(family), uaddr) != 0) {
		kb_set_len(r, 0);
		return;
	}
	u32 pos = r->off;
	if (family == KESTREL_AF_INET && addrlen >= 8) {
		struct sockaddr_in in = {};
		if (bpf_probe_read_user(&in, sizeof(in), uaddr) != 0) {
			kb_set_len(r, 0);
			return;
		}
		u8 *out = r->buf + (pos & KB_OFF_MASK);
		KB_STORE(out, kestrel_sockaddr_in, family, KESTREL_AF_INET);
		*(u32 *)KB_FIELD(out, kestrel_sockaddr_in, addr) = in.sin_addr.s_addr;
		KB_STORE(out, kestrel_sockaddr_in, port, bpf_ntohs(in.sin_port));
		kb_set_len(r, sizeof(struct kestrel_sockaddr_in));
	} else if (family == KESTREL_AF_INET6 && addrlen >= 24) {
		struct sockaddr_in6 in6 = {};
		if (bpf_probe_read_user(&in6, sizeof(in6), uaddr) != 0) {
			kb_set_len(r, 0);
			return;
		}
		u8 *out = r->buf + (pos & KB_OFF_MASK);
		KB_STORE(out, kestrel_sockaddr_in6, family, KESTREL_AF_INET6);
		__builtin_memcpy(KB_FIELD(out, kestrel_sockaddr_in6, addr), &in6.sin6_addr, 16);
		KB_STORE(out, kestrel_sockaddr_in6, port, bpf_ntohs(in6.sin6_port));
		kb_set_len(r, sizeof(struct kestrel_sockaddr_in6));
	} else if (family == KESTREL_AF_UNIX) {
		const char *path = (const char *)uaddr + 2;
		char first = 0;
		bpf_probe_read_user(&first, 1, path);
		r->buf[pos & KB_OFF_MASK] = KESTREL_AF_UNIX;
		pos++;
		if (first == 0 && addrlen > 2) {
			r->buf[pos & KB_OFF_MASK] = '@';
			pos++;
			path++;
		}
		long k = bpf_probe_read_user_str(r->buf + (pos & KB_OFF_MASK), KB_UNIX_PATH_MAX, path);
		if (k > 0)
			pos += k;
		else
			r->buf[pos++ & KB_OFF_MASK] = 0;
		kb_set_len(r, pos - r->off);
	} else {
		kb_set_len(r, 0);
	}
}

#endif /* KESTREL_EBPF_SOCK_BPF_H */
