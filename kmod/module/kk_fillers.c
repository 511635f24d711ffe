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
#include <linux/audit.h>
#include <linux/cgroup.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernfs.h>
#include <linux/net.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

#include "kk.h"

#define KK_MAX_ARGV 64
#define KK_MAX_ENV_BYTES 2048
#define KK_EXE_FROM_MEMFD 4 /* EXE_FROM_MEMFD (sources/event/symbol_sets.def) */

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

/* Userspace's st_dev encoding of the kernel's dev_t. */
static u32 kk_user_dev(dev_t d)
{
	u32 major = MAJOR(d), minor = MINOR(d);

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
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

/* ---- the process block (KE_PROCESS_PARAMS) --------------------------- */

enum kk_args_source { KK_ARGS_FROM_MM, KK_ARGS_FROM_USER };

/* argv[0] (exe) then argv[1..] (args) from the task's argument area. */
static void kk_push_mm_args(struct kk_rec *r, struct mm_struct *mm)
{
	unsigned long start = mm ? mm->arg_start : 0, end = mm ? mm->arg_end : 0;
	u32 room, n;
	u8 *dst;
	u64 rest;

	if (!start || end <= start) {
		kk_push_empty(r);
		kk_push_empty(r);
		return;
	}
	dst = kk_cursor(r, &room);
	n = kk_copy_user_str(dst, (const void __user *)start,
			     min_t(u64, min_t(u32, room, KESTREL_MAX_PATH), end - start));
	kk_commit(r, n);
	rest = end > start + n ? end - (start + n) : 0;
	if (rest > KESTREL_MAX_ARGS_BYTES)
		rest = KESTREL_MAX_ARGS_BYTES;
	kk_push_user_bytes(r, (const void __user *)(start + n), (u32)rest, true);
}

/* filename as exe, then argv[1..] read pointer by pointer (failed exec). */
static void kk_push_user_argv(struct kk_rec *r, const char __user *filename,
			      const char __user *const __user *argv)
{
	u32 room, pos = 0;
	u8 *dst;
	int i;

	kk_push_user_str(r, filename, KESTREL_MAX_PATH);
	dst = kk_cursor(r, &room);
	if (room > KESTREL_MAX_ARGS_BYTES)
		room = KESTREL_MAX_ARGS_BYTES;
	for (i = 1; argv && i < KK_MAX_ARGV && pos < room; i++) {
		const char __user *arg = NULL;
		u32 k;

		if (copy_from_user_nofault(&arg, &argv[i], sizeof(arg)) || !arg)
			break;
		k = kk_copy_user_str(dst + pos, arg, room - pos);
		if (k == 0)
			break;
		pos += k;
	}
	kk_commit(r, pos);
}

static void kk_push_cwd(struct kk_rec *r)
{
	struct fs_struct *fs = current->fs;

	if (!fs) {
		kk_push_empty(r);
		return;
	}
	/* d_path() of the pwd under fs->lock: no reference taken (and so no
	 * dput, which may sleep). */
	spin_lock(&fs->lock);
	kk_push_path(r, &fs->pwd);
	spin_unlock(&fs->lock);
}

static void kk_push_comm(struct kk_rec *r)
{
	char comm[TASK_COMM_LEN];

	memcpy(comm, current->comm, sizeof(comm));
	comm[TASK_COMM_LEN - 1] = 0;
	kk_push_bytes(r, comm, strlen(comm) + 1);
}

static u32 kk_tty(void)
{
	struct tty_struct *tty = current->signal->tty;

	if (!tty || !tty->driver)
		return 0;
	return kk_user_dev(MKDEV(tty->driver->major, tty->driver->minor_start + tty->index));
}

static u64 kk_caps(const kernel_cap_t *c)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return c->val;
#else
	return ((u64)c->cap[1] << 32) | c->cap[0];
#endif
}

/* "controller=/path" per mounted hierarchy the task is in, as in
 * /proc/PID/cgroup (a v2 hierarchy shared by all controllers: once). */
static void kk_push_cgroups(struct kk_rec *r)
{
	struct cgroup *last = NULL;
	u32 room, pos = 0;
	u8 *dst = kk_cursor(r, &room);
	int i;

	if (room > KESTREL_MAX_PATH)
		room = KESTREL_MAX_PATH;
	rcu_read_lock();
	for (i = 0; i < CGROUP_SUBSYS_COUNT; i++) {
		struct cgroup_subsys_state *css = task_css(current, i);
		const char *name;
		size_t nl;
		int k;

		if (!css || !css->cgroup || css->cgroup == last || !css->ss)
			continue;
		last = css->cgroup;
		name = css->ss->name;
		nl = strlen(name);
		if (pos + nl + 3 > room)
			break;
		memcpy(dst + pos, name, nl);
		dst[pos + nl] = '=';
		k = kernfs_path(css->cgroup->kn, (char *)dst + pos + nl + 1, room - pos - nl - 1);
		if (k < 0 || pos + nl + 1 + k + 1 > room)
			break;
		pos += nl + 1 + k + 1;
	}
	rcu_read_unlock();
	kk_commit(r, pos);
}

static u32 kk_exe_flags(struct file *exe)
{
	const char *name;

	if (!exe || exe->f_inode->i_nlink != 0)
		return 0;
	name = exe->f_path.dentry->d_name.name;
	return strncmp(name, "memfd:", 6) == 0 ? KK_EXE_FROM_MEMFD : 0;
}

static void kk_push_process_block(struct kk_rec *r, enum kk_args_source src,
				  const char __user *filename,
				  const char __user *const __user *argv)
{
	struct task_struct *task = current;
	struct mm_struct *mm = task->mm;
	const struct cred *cred;
	struct file *exe = NULL;
	u64 boot_to_epoch;

	/* exe, args */
	if (src == KK_ARGS_FROM_MM)
		kk_push_mm_args(r, mm);
	else
		kk_push_user_argv(r, filename, argv);
	/* tid, pid, ptid */
	kk_push_s64(r, task->pid);
	kk_push_s64(r, task->tgid);
	rcu_read_lock();
	kk_push_s64(r, rcu_dereference(task->real_parent)->pid);
	rcu_read_unlock();
	kk_push_cwd(r);
	kk_push_comm(r);
	/* env */
	if (mm && src == KK_ARGS_FROM_MM && mm->env_end > mm->env_start)
		kk_push_user_bytes(r, (const void __user *)mm->env_start,
				   min_t(u64, mm->env_end - mm->env_start, KK_MAX_ENV_BYTES), true);
	else
		kk_push_empty(r);
	/* tty, pgid, sid, vtid, vpid */
	kk_push_u32(r, kk_tty());
	rcu_read_lock();
	kk_push_s64(r, pid_nr(task_pgrp(task)));
	kk_push_s64(r, pid_nr(task_session(task)));
	rcu_read_unlock();
	kk_push_s64(r, task_pid_vnr(task));
	kk_push_s64(r, task_tgid_vnr(task));
	/* loginuid, uid, euid, gid, egid, capabilities */
#ifdef CONFIG_AUDIT
	kk_push_u32(r, __kuid_val(audit_get_loginuid(task)));
#else
	kk_push_u32(r, (u32)-1);
#endif
	rcu_read_lock();
	cred = rcu_dereference(task->cred);
	kk_push_u32(r, __kuid_val(cred->uid));
	kk_push_u32(r, __kuid_val(cred->euid));
	kk_push_u32(r, __kgid_val(cred->gid));
	kk_push_u32(r, __kgid_val(cred->egid));
	kk_push_u64(r, kk_caps(&cred->cap_inheritable));
	kk_push_u64(r, kk_caps(&cred->cap_permitted));
	kk_push_u64(r, kk_caps(&cred->cap_effective));
	rcu_read_unlock();
	kk_push_cgroups(r);
	/* exe_flags, start_ts, exepath (only for a task describing itself: a
	 * failed exec still runs its old image) */
	rcu_read_lock();
	if (mm && src == KK_ARGS_FROM_MM)
		exe = rcu_dereference(mm->exe_file);
	kk_push_u32(r, kk_exe_flags(exe));
	boot_to_epoch = ktime_get_real_ns() - ktime_get_boottime_ns();
	kk_push_u64(r, task->start_boottime + boot_to_epoch);
	if (exe)
		kk_push_path(r, &exe->f_path);
	else
		kk_push_empty(r);
	rcu_read_unlock();
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
