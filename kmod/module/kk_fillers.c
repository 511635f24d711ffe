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

/* The types below, for KESTREL_IOC_INFO. */
static const u16 kk_types[] = {
	KE_EXECVE, KE_CLONE, KE_CLONE3, KE_FORK, KE_VFORK, KE_PROCEXIT,
	KE_OPEN, KE_OPENAT, KE_CLOSE, KE_CONNECT, KE_INIT_MODULE,
	KE_FINIT_MODULE, KE_UNLINK, KE_UNLINKAT,
};

void kk_supported_types(u64 out[KESTREL_KMOD_TYPE_WORDS])
{
	size_t i;

	memset(out, 0, sizeof(u64) * KESTREL_KMOD_TYPE_WORDS);
	for (i = 0; i < ARRAY_SIZE(kk_types); i++)
		out[kk_types[i] / 64] |= 1ull << (kk_types[i] % 64);
}

/* ---- fd helpers ------------------------------------------------------ */

/* dev and ino of the file `fd` of the current task (empty if none). */
static void kk_push_fd_dev_ino(struct kk_rec *r, long fd)
{
	struct file *f = NULL;
	u32 dev = 0;
	u64 ino = 0;
	bool found = false;

	if (fd >= 0) {
		rcu_read_lock();
		f = files_lookup_fd_rcu(current->files, (unsigned int)fd);
		if (f && f->f_inode) {
			dev = kk_user_dev(f->f_inode->i_sb->s_dev);
			ino = f->f_inode->i_ino;
			found = true;
		}
		rcu_read_unlock();
	}
	if (found) {
		kk_push_u32(r, dev);
		kk_push_u64(r, ino);
	} else {
		kk_push_empty(r);
		kk_push_empty(r);
	}
}

/* The local -> remote tuple of socket `fd` (connect: the caller is the
 * client). IPv4 and IPv6 only; other families are empty. */
static void kk_push_tuple(struct kk_rec *r, long fd)
{
	u8 buf[1 + 16 + 2 + 16 + 2];
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
		u16 sport = ntohs(in->inet_sport), dport = ntohs(in->inet_dport);

		buf[0] = KESTREL_AF_INET;
		memcpy(buf + 1, &in->inet_saddr, 4);
		memcpy(buf + 5, &sport, 2);
		memcpy(buf + 7, &in->inet_daddr, 4);
		memcpy(buf + 11, &dport, 2);
		len = 13;
#if IS_ENABLED(CONFIG_IPV6)
	} else if (sk && sk->sk_family == AF_INET6) {
		struct inet_sock *in = inet_sk(sk);
		u16 sport = ntohs(in->inet_sport), dport = ntohs(in->inet_dport);

		buf[0] = KESTREL_AF_INET6;
		memcpy(buf + 1, &sk->sk_v6_rcv_saddr, 16);
		memcpy(buf + 17, &sport, 2);
		memcpy(buf + 19, &sk->sk_v6_daddr, 16);
		memcpy(buf + 35, &dport, 2);
		len = 37;
#endif
	}
	rcu_read_unlock();
	kk_push_bytes(r, buf, len);
}

/* The sockaddr the caller passed, in the SOCKADDR encoding. */
static void kk_push_user_sockaddr(struct kk_rec *r, const void __user *uaddr, u64 addrlen)
{
	struct sockaddr_storage ss;
	u8 buf[1 + 16 + 2];
	u32 len = 0;
	u16 port;

	if (!uaddr || addrlen < 2 ||
	    copy_from_user_nofault(&ss, uaddr, min_t(u64, addrlen, sizeof(ss)))) {
		kk_push_empty(r);
		return;
	}
	if (ss.ss_family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in *in = (void *)&ss;

		port = ntohs(in->sin_port);
		buf[0] = KESTREL_AF_INET;
		memcpy(buf + 1, &in->sin_addr.s_addr, 4);
		memcpy(buf + 5, &port, 2);
		len = 7;
	} else if (ss.ss_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *in6 = (void *)&ss;

		port = ntohs(in6->sin6_port);
		buf[0] = KESTREL_AF_INET6;
		memcpy(buf + 1, &in6->sin6_addr, 16);
		memcpy(buf + 17, &port, 2);
		len = 19;
	} else if (ss.ss_family == AF_UNIX) {
		/* u8 family, path, NUL */
		u32 room;
		u8 *dst = kk_cursor(r, &room);
		u32 n = min_t(u64, addrlen, sizeof(ss)) - 2;

		if (room < n + 2) {
			kk_push_empty(r);
			return;
		}
		dst[0] = KESTREL_AF_UNIX;
		memcpy(dst + 1, (u8 *)&ss + 2, n);
		dst[1 + n] = 0;
		kk_commit(r, 1 + strnlen((char *)dst + 1, n) + 1);
		return;
	}
	kk_push_bytes(r, buf, len);
}

/* ---- fillers ---------------------------------------------------------- */

static void kk_execve(long ret, const unsigned long *a)
{
	KK_BEGIN(r, EXECVE);
	kk_push_s64(&r, ret);
	if (ret == 0)
		kk_push_process_block(&r, KK_ARGS_FROM_MM, NULL, NULL);
	else
		kk_push_process_block(&r, KK_ARGS_FROM_USER, (const char __user *)a[0],
				      (const char __user *const __user *)a[1]);
	kk_submit(&r);
}

/* clone, clone3, fork, vfork: the child (res 0) or a failure (res < 0). */
static void kk_clone(u16 type, u16 nparams, long ret, bool has_flags, u64 flags)
{
	struct kk_rec r;

	if (ret > 0 || !kk_begin(&r, type, nparams))
		return;
	kk_push_s64(&r, ret);
	kk_push_process_block(&r, KK_ARGS_FROM_MM, NULL, NULL);
	if (has_flags)
		kk_push_u32(&r, (u32)flags);
	kk_submit(&r);
}

static void kk_open(long ret, const unsigned long *a)
{
	KK_BEGIN(r, OPEN);
	kk_push_s64(&r, ret);
	kk_push_user_str(&r, (const void __user *)a[0], KESTREL_MAX_PATH);
	kk_push_u32(&r, a[1]);
	kk_push_u32(&r, a[2]);
	kk_push_fd_dev_ino(&r, ret);
	kk_submit(&r);
}

static void kk_openat(long ret, const unsigned long *a)
{
	KK_BEGIN(r, OPENAT);
	kk_push_s64(&r, ret);
	kk_push_s64(&r, (s32)a[0]);
	kk_push_user_str(&r, (const void __user *)a[1], KESTREL_MAX_PATH);
	kk_push_u32(&r, a[2]);
	kk_push_u32(&r, a[3]);
	kk_push_fd_dev_ino(&r, ret);
	kk_submit(&r);
}

static void kk_close(long ret, const unsigned long *a)
{
	KK_BEGIN(r, CLOSE);
	kk_push_s64(&r, ret);
	kk_push_s64(&r, (s32)a[0]);
	kk_submit(&r);
}

static void kk_connect(long ret, const unsigned long *a)
{
	KK_BEGIN(r, CONNECT);
	kk_push_s64(&r, ret);
	kk_push_s64(&r, (s32)a[0]);
	/* -EINPROGRESS: a non-blocking connect already has both ends. */
	if (ret == 0 || ret == -EINPROGRESS)
		kk_push_tuple(&r, (s32)a[0]);
	else
		kk_push_empty(&r);
	kk_push_user_sockaddr(&r, (const void __user *)a[1], a[2]);
	kk_submit(&r);
}

static void kk_init_module(long ret, const unsigned long *a)
{
	KK_BEGIN(r, INIT_MODULE);
	kk_push_s64(&r, ret);
	kk_push_u64(&r, a[1]);
	kk_push_user_str(&r, (const void __user *)a[2], KESTREL_MAX_DATA_BYTES);
	kk_submit(&r);
}

static void kk_finit_module(long ret, const unsigned long *a)
{
	KK_BEGIN(r, FINIT_MODULE);
	kk_push_s64(&r, ret);
	kk_push_s64(&r, (s32)a[0]);
	kk_push_user_str(&r, (const void __user *)a[1], KESTREL_MAX_DATA_BYTES);
	kk_push_u32(&r, a[2]);
	kk_submit(&r);
}

static void kk_unlink(long ret, const unsigned long *a)
{
	KK_BEGIN(r, UNLINK);
	kk_push_s64(&r, ret);
	kk_push_user_str(&r, (const void __user *)a[0], KESTREL_MAX_PATH);
	kk_submit(&r);
}

static void kk_unlinkat(long ret, const unsigned long *a)
{
	KK_BEGIN(r, UNLINKAT);
	kk_push_s64(&r, ret);
	kk_push_s64(&r, (s32)a[0]);
	kk_push_user_str(&r, (const void __user *)a[1], KESTREL_MAX_PATH);
	kk_push_u32(&r, a[2]);
	kk_submit(&r);
}

void kk_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	unsigned long a[6];
	u64 flags = 0;

	if (in_compat_syscall() || !READ_ONCE(kk_live))
		return;
	syscall_get_arguments(current, regs, a);
	switch (syscall_get_nr(current, regs)) {
	case __NR_execve:
		kk_execve(ret, a);
		break;
	case __NR_clone:
		kk_clone(KE_CLONE, KP_CLONE_COUNT, ret, true, a[0]);
		break;
	case __NR_clone3:
		/* struct clone_args starts with u64 flags; the child reads
		 * its copy of the caller's memory (best effort for CLONE_VM). */
		if (ret <= 0 && copy_from_user_nofault(&flags, (const void __user *)a[0], sizeof(flags)))
			flags = 0;
		kk_clone(KE_CLONE3, KP_CLONE3_COUNT, ret, true, flags);
		break;
	case __NR_fork:
		kk_clone(KE_FORK, KP_FORK_COUNT, ret, false, 0);
		break;
	case __NR_vfork:
		kk_clone(KE_VFORK, KP_VFORK_COUNT, ret, false, 0);
		break;
	case __NR_open:
		kk_open(ret, a);
		break;
	case __NR_openat:
		kk_openat(ret, a);
		break;
	case __NR_close:
		kk_close(ret, a);
		break;
	case __NR_connect:
		kk_connect(ret, a);
		break;
	case __NR_init_module:
		kk_init_module(ret, a);
		break;
	case __NR_finit_module:
		kk_finit_module(ret, a);
		break;
	case __NR_unlink:
		kk_unlink(ret, a);
		break;
	case __NR_unlinkat:
		kk_unlinkat(ret, a);
		break;
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
	kk_push_s64(&r, code);
	kk_push_s64(&r, (code >> 8) & 0xff);
	kk_push_u32(&r, code & 0x7f);
	kk_push_u8(&r, (code & 0x80) != 0);
	kk_push_s64(&r, kk_reaper_tid(p));
	kk_submit(&r);
}
