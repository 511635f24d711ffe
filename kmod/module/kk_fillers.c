// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers.c — the tracepoint probes: one on the kernel's generic
 * sys_exit tracepoint (dispatching on the syscall number) and one on
 * sched_process_exit. Every record carries exactly the params of its row
 * in events.def, in the same order and encoding as the eBPF probe's
 * fillers (ebpf/bpf/fillers_*.bpf.h); what cannot be read is empty.
 *
 * Syscalls are reported at exit, with the arguments still in the saved
 * registers. Process creation is reported from the child's side (res 0),
 * which returns through the same sys_exit tracepoint; the parent's
 * successful return is not emitted. A successful execve describes the new
 * image from its own memory (argument area, environment).
 *
 * 32-bit compat syscalls are not reported (their numbers differ).
 */
#include <linux/compat.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "kk.h"

#define KK_BEGIN(r, ID) \
	struct kk_rec r; \
	if (!kk_begin(&r, KE_##ID, KP_##ID##_COUNT)) \
		return

/* ---- fd helpers ------------------------------------------------------ */

/* The current task's file `fd` with a reference held (fput() it), or
 * NULL. A reference, not an RCU lookup: since 6.7 files are
 * SLAB_TYPESAFE_BY_RCU (one may be reused while we read it) and
 * files_lookup_fd_rcu() is gone. fget_raw() and fput() do not sleep, so
 * they are fine in a tracepoint handler; fget_raw() also finds O_PATH
 * files, as the lookup did. */
static struct file *kk_fget(long fd)
{
	return fd >= 0 && fd <= INT_MAX ? fget_raw((unsigned int)fd) : NULL;
}

/* The `dev` and `ino` params of event ID: the file `fd` of the current
 * task (both empty if there is none). */
#define KK_PUT_FD_DEV_INO(r, ID, fd) kk_put_fd_dev_ino(&(r), KK_P(ID, dev), KK_P(ID, ino), (fd))

static void kk_put_fd_dev_ino(struct kk_rec *r, u32 dev_idx, u32 dev_type, u32 ino_idx, u32 ino_type, long fd)
{
	struct file *f = NULL;
	u32 dev = 0;
	u64 ino = 0;
	bool found = false;

	if (fd >= 0) {
		f = kk_fget(fd);
		if (f && f->f_inode) {
			dev = kk_user_dev(f->f_inode->i_sb->s_dev);
			ino = f->f_inode->i_ino;
			found = true;
		}
		if (f)
			fput(f);
	}
	if (found) {
		kk_put_int(r, dev_idx, dev_type, dev);
		kk_put_int(r, ino_idx, ino_type, ino);
	} else {
		kk_put_empty(r, dev_idx, dev_type);
		kk_put_empty(r, ino_idx, ino_type);
	}
}

/* The local -> remote SOCKTUPLE param `idx` of socket `fd` (connect: the
 * caller is the client). IPv4 and IPv6 only; other families are empty. */
static void kk_put_tuple(struct kk_rec *r, u32 idx, u32 type, long fd)
{
	union {
		struct kestrel_socktuple_in in;
		struct kestrel_socktuple_in6 in6;
	} t;
	u32 len = 0;
	struct file *f;
	struct socket *sock;
	struct sock *sk;

	f = kk_fget(fd);
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
	if (f)
		fput(f);
	kk_put_sock(r, idx, type, &t, len);
}

/* The sockaddr the caller passed, as SOCKADDR param `idx` (empty when it
 * cannot be read). */
static void kk_put_user_sockaddr(struct kk_rec *r, u32 idx, u32 type, const void __user *uaddr, u64 addrlen)
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

/* ---- fillers ---------------------------------------------------------- */

static void kk_execve(long ret, const unsigned long *a)
{
	KK_BEGIN(r, EXECVE);
	KK_PUT(r, EXECVE, res, ret);
	if (ret == 0)
		KK_PUT_PROCESS_BLOCK(r, EXECVE, KK_ARGS_FROM_MM, NULL, NULL);
	else
		KK_PUT_PROCESS_BLOCK(r, EXECVE, KK_ARGS_FROM_USER, (const char __user *)a[0],
				     (const char __user *const __user *)a[1]);
	kk_submit(&r);
}

/* clone, clone3, fork, vfork: the child (res 0) or a failure (res < 0);
 * the parent's successful return is not emitted. */
#define KK_CLONE_COMMON(r, ID, ret) \
	KK_PUT(r, ID, res, ret);    \
	KK_PUT_PROCESS_BLOCK(r, ID, KK_ARGS_FROM_MM, NULL, NULL)

static void kk_clone(long ret, const unsigned long *a)
{
	if (ret > 0)
		return;
	{
		KK_BEGIN(r, CLONE);
		KK_CLONE_COMMON(r, CLONE, ret);
		KK_PUT(r, CLONE, flags, (u32)a[0]);
		kk_submit(&r);
	}
}

static void kk_clone3(long ret, const unsigned long *a)
{
	u64 flags = 0;
	bool flags_read;

	if (ret > 0)
		return;
	/* struct clone_args starts with u64 flags; the child reads its copy
	 * of the caller's memory (best effort for CLONE_VM). */
	flags_read = !copy_from_user_nofault(&flags, (const void __user *)a[0], sizeof(flags));
	{
		KK_BEGIN(r, CLONE3);
		KK_CLONE_COMMON(r, CLONE3, ret);
		if (flags_read)
			KK_PUT(r, CLONE3, flags, (u32)flags);
		else
			KK_PUT_EMPTY(r, CLONE3, flags);
		kk_submit(&r);
	}
}

static void kk_fork(long ret, const unsigned long *a)
{
	if (ret > 0)
		return;
	{
		KK_BEGIN(r, FORK);
		KK_CLONE_COMMON(r, FORK, ret);
		kk_submit(&r);
	}
}

static void kk_vfork(long ret, const unsigned long *a)
{
	if (ret > 0)
		return;
	{
		KK_BEGIN(r, VFORK);
		KK_CLONE_COMMON(r, VFORK, ret);
		kk_submit(&r);
	}
}

static void kk_open(long ret, const unsigned long *a)
{
	KK_BEGIN(r, OPEN);
	KK_PUT(r, OPEN, fd, ret);
	KK_PUT_USER_STR(r, OPEN, name, a[0], KESTREL_MAX_PATH);
	KK_PUT(r, OPEN, flags, a[1]);
	KK_PUT(r, OPEN, mode, a[2]);
	KK_PUT_FD_DEV_INO(r, OPEN, ret);
	kk_submit(&r);
}

static void kk_openat(long ret, const unsigned long *a)
{
	KK_BEGIN(r, OPENAT);
	KK_PUT(r, OPENAT, fd, ret);
	KK_PUT(r, OPENAT, dirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, OPENAT, name, a[1], KESTREL_MAX_PATH);
	KK_PUT(r, OPENAT, flags, a[2]);
	KK_PUT(r, OPENAT, mode, a[3]);
	KK_PUT_FD_DEV_INO(r, OPENAT, ret);
	kk_submit(&r);
}

static void kk_close(long ret, const unsigned long *a)
{
	KK_BEGIN(r, CLOSE);
	KK_PUT(r, CLOSE, res, ret);
	KK_PUT(r, CLOSE, fd, (s32)a[0]);
	kk_submit(&r);
}

static void kk_connect(long ret, const unsigned long *a)
{
	KK_BEGIN(r, CONNECT);
	KK_PUT(r, CONNECT, res, ret);
	KK_PUT(r, CONNECT, fd, (s32)a[0]);
	/* -EINPROGRESS: a non-blocking connect already has both ends. */
	if (ret == 0 || ret == -EINPROGRESS)
		kk_put_tuple(&r, KK_P(CONNECT, tuple), (s32)a[0]);
	else
		KK_PUT_EMPTY(r, CONNECT, tuple);
	kk_put_user_sockaddr(&r, KK_P(CONNECT, addr), (const void __user *)a[1], a[2]);
	kk_submit(&r);
}

static void kk_init_module(long ret, const unsigned long *a)
{
	KK_BEGIN(r, INIT_MODULE);
	KK_PUT(r, INIT_MODULE, res, ret);
	KK_PUT(r, INIT_MODULE, length, a[1]);
	KK_PUT_USER_STR(r, INIT_MODULE, uargs, a[2], KESTREL_MAX_DATA_BYTES);
	kk_submit(&r);
}

static void kk_finit_module(long ret, const unsigned long *a)
{
	KK_BEGIN(r, FINIT_MODULE);
	KK_PUT(r, FINIT_MODULE, res, ret);
	KK_PUT(r, FINIT_MODULE, fd, (s32)a[0]);
	KK_PUT_USER_STR(r, FINIT_MODULE, uargs, a[1], KESTREL_MAX_DATA_BYTES);
	KK_PUT(r, FINIT_MODULE, flags, a[2]);
	kk_submit(&r);
}

static void kk_unlink(long ret, const unsigned long *a)
{
	KK_BEGIN(r, UNLINK);
	KK_PUT(r, UNLINK, res, ret);
	KK_PUT_USER_STR(r, UNLINK, path, a[0], KESTREL_MAX_PATH);
	kk_submit(&r);
}

static void kk_unlinkat(long ret, const unsigned long *a)
{
	KK_BEGIN(r, UNLINKAT);
	KK_PUT(r, UNLINKAT, res, ret);
	KK_PUT(r, UNLINKAT, dirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, UNLINKAT, name, a[1], KESTREL_MAX_PATH);
	KK_PUT(r, UNLINKAT, flags, a[2]);
	kk_submit(&r);
}

/*
 * The one list of what the module emits from sys_exit: event type,
 * syscall number, filler. The dispatch below and the supported-type
 * bitmap (KESTREL_IOC_INFO) are both generated from it, so they cannot
 * disagree. procexit (sched_process_exit) is the one event outside it.
 */
#define KK_SYSCALL_EVENTS(X)                             \
	X(EXECVE, __NR_execve, kk_execve)                \
	X(CLONE, __NR_clone, kk_clone)                   \
	X(CLONE3, __NR_clone3, kk_clone3)                \
	X(FORK, __NR_fork, kk_fork)                      \
	X(VFORK, __NR_vfork, kk_vfork)                   \
	X(OPEN, __NR_open, kk_open)                      \
	X(OPENAT, __NR_openat, kk_openat)                \
	X(CLOSE, __NR_close, kk_close)                   \
	X(CONNECT, __NR_connect, kk_connect)             \
	X(INIT_MODULE, __NR_init_module, kk_init_module) \
	X(FINIT_MODULE, __NR_finit_module, kk_finit_module) \
	X(UNLINK, __NR_unlink, kk_unlink)                \
	X(UNLINKAT, __NR_unlinkat, kk_unlinkat)

void kk_supported_types(u64 out[KESTREL_KMOD_TYPE_WORDS])
{
	memset(out, 0, sizeof(u64) * KESTREL_KMOD_TYPE_WORDS);
#define KK_SUPPORT(ID, nr, filler) out[KE_##ID / 64] |= 1ull << (KE_##ID % 64);
	KK_SYSCALL_EVENTS(KK_SUPPORT)
#undef KK_SUPPORT
	out[KE_PROCEXIT / 64] |= 1ull << (KE_PROCEXIT % 64);
}

void kk_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	unsigned long a[6];

	if (in_compat_syscall() || !READ_ONCE(kk_live))
		return;
	syscall_get_arguments(current, regs, a);
	switch (syscall_get_nr(current, regs)) {
#define KK_DISPATCH(ID, nr, filler) \
	case nr:                    \
		filler(ret, a);     \
		break;
	KK_SYSCALL_EVENTS(KK_DISPATCH)
#undef KK_DISPATCH
	default:
		break;
	}
}

/* Who inherits the exiting task's children: another live thread of its
 * group, else its pid namespace's init (subreapers are not looked for). */
static s64 kk_reaper_tid(struct task_struct *p)
{
	struct pid_namespace *ns;
	struct task_struct *reaper;

	if (atomic_read(&p->signal->live) > 0 && p->group_leader != p)
		return p->group_leader->pid;
	ns = task_active_pid_ns(p);
	reaper = ns ? ns->child_reaper : NULL;
	return reaper ? reaper->pid : 0;
}

void kk_probe_process_exit(void *data, struct task_struct *p)
{
	s64 code = p->exit_code;

	KK_BEGIN(r, PROCEXIT);
	KK_PUT(r, PROCEXIT, status, code);
	KK_PUT(r, PROCEXIT, ret, (code >> 8) & 0xff);
	KK_PUT(r, PROCEXIT, sig, code & 0x7f);
	KK_PUT(r, PROCEXIT, core, (code & 0x80) != 0);
	KK_PUT(r, PROCEXIT, reaper_tid, kk_reaper_tid(p));
	kk_submit(&r);
}
