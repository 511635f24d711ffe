// SPDX-License-Identifier: GPL-2.0
/*
 * kk_process.c — the process params block (KE_PROCESS_PARAMS in
 * events.def) that execve, clone, clone3, fork and vfork carry after res,
 * for the current task, in the same order and encoding as the eBPF probe's
 * ebpf/bpf/task.bpf.h. exe is argv[0] as in Falco (proc.exe).
 */
#include <linux/audit.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kernfs.h>
#include <linux/magic.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "kk.h"

#define KK_MAX_ARGV 64
#define KK_MAX_ENV_BYTES 2048

/* Index and type of block param `name` in an event whose block starts at
 * param `base`. */
#define KK_PB(base, name) (base) + KP_PROCESS_##name, KPT_PROCESS_##name

u32 kk_user_dev(dev_t d)
{
	u32 major = MAJOR(d), minor = MINOR(d);

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* argv[0] (exe) then argv[1..] (args) from the task's argument area. */
static void kk_put_mm_args(struct kk_rec *r, u32 base, struct mm_struct *mm)
{
	unsigned long start = mm ? mm->arg_start : 0, end = mm ? mm->arg_end : 0;
	u32 room, n;
	u8 *dst;
	u64 rest;

	if (!start || end <= start) {
		kk_put_empty(r, KK_PB(base, exe));
		kk_put_empty(r, KK_PB(base, args));
		return;
	}
	if (!kk_open_param(r, base + KP_PROCESS_exe, KESTREL_PARAM_IS_STRING(KPT_PROCESS_exe)))
		return;
	dst = kk_cursor(r, &room);
	n = kk_copy_user_str(dst, (const void __user *)start,
			     min_t(u64, min_t(u32, room, KESTREL_MAX_PATH), end - start));
	kk_commit(r, n);
	rest = end > start + n ? end - (start + n) : 0;
	if (rest > KESTREL_MAX_ARGS_BYTES)
		rest = KESTREL_MAX_ARGS_BYTES;
	kk_put_user_bytes(r, KK_PB(base, args), (const void __user *)(start + n), (u32)rest, true);
}

/* filename as exe, then argv[1..] read pointer by pointer (failed exec). */
static void kk_put_user_argv(struct kk_rec *r, u32 base, const char __user *filename,
			     const char __user *const __user *argv)
{
	u32 room, pos = 0;
	u8 *dst;
	int i;

	kk_put_user_str(r, KK_PB(base, exe), filename, KESTREL_MAX_PATH);
	if (!kk_open_param(r, base + KP_PROCESS_args, KESTREL_PARAM_IS_STRING_ARRAY(KPT_PROCESS_args)))
		return;
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

static void kk_put_cwd(struct kk_rec *r, u32 base)
{
	struct fs_struct *fs = current->fs;

	if (!fs) {
		kk_put_empty(r, KK_PB(base, cwd));
		return;
	}
	/* d_path() of the pwd under fs->lock: no reference taken (and so no
	 * dput, which may sleep). */
	spin_lock(&fs->lock);
	kk_put_path(r, KK_PB(base, cwd), &fs->pwd);
	spin_unlock(&fs->lock);
}

static void kk_put_comm(struct kk_rec *r, u32 base)
{
	char comm[TASK_COMM_LEN];

	memcpy(comm, current->comm, sizeof(comm));
	comm[TASK_COMM_LEN - 1] = 0;
	kk_put_kernel_str(r, KK_PB(base, comm), comm, strlen(comm) + 1);
}

static u32 kk_tty(void)
{
	struct tty_struct *tty;
	unsigned long flags;
	u32 dev = 0;

	/* signal->tty changes (and the tty can go away) under siglock, as in
	 * get_current_tty(). */
	spin_lock_irqsave(&current->sighand->siglock, flags);
	tty = current->signal->tty;
	if (tty && tty->driver)
		dev = kk_user_dev(MKDEV(tty->driver->major, tty->driver->minor_start + tty->index));
	spin_unlock_irqrestore(&current->sighand->siglock, flags);
	return dev;
}

static u64 kk_caps(const kernel_cap_t *c)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return c->val;
#else
	return ((u64)c->cap[1] << 32) | c->cap[0];
#endif
}

/* "subsystem=/path" for every cgroup subsystem the task has a css in, as
 * the eBPF probe (ebpf/bpf/task.bpf.h) and falcosecurity/libs write it:
 * each subsystem named, even when several share a cgroup. */
static void kk_put_cgroups(struct kk_rec *r, u32 base)
{
	u32 room, pos = 0;
	u8 *dst;
	int i;

	if (!kk_open_param(r, base + KP_PROCESS_cgroups, KESTREL_PARAM_IS_STRING_ARRAY(KPT_PROCESS_cgroups)))
		return;
	dst = kk_cursor(r, &room);
	if (room > KESTREL_MAX_PATH)
		room = KESTREL_MAX_PATH;
	rcu_read_lock();
	for (i = 0; i < CGROUP_SUBSYS_COUNT; i++) {
		struct cgroup_subsys_state *css = task_css(current, i);
		const char *name;
		size_t nl;
		int k;

		if (!css || !css->cgroup || !css->ss)
			continue;
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

/* EXE_UPPER_LAYER as the probe reads it (ebpf/bpf/task.bpf.h): overlayfs
 * keeps the upper layer's dentry right after the VFS inode of its private
 * struct ovl_inode (fs/overlayfs/ovl_entry.h). */
static u32 kk_exe_overlay_flags(struct file *exe)
{
	struct inode *inode = exe->f_inode;
	struct dentry *upper;

	if (!inode || inode->i_sb->s_magic != OVERLAYFS_SUPER_MAGIC)
		return 0;
	upper = READ_ONCE(*(struct dentry **)((char *)inode + sizeof(struct inode)));
	return upper ? KESTREL_EXE_UPPER_LAYER : 0;
}

static u32 kk_exe_flags(struct file *exe)
{
	const char *name;

	if (!exe)
		return 0;
	if (exe->f_inode->i_nlink != 0)
		return kk_exe_overlay_flags(exe);
	name = exe->f_path.dentry->d_name.name;
	return strncmp(name, "memfd:", 6) == 0 ? KESTREL_EXE_FROM_MEMFD : kk_exe_overlay_flags(exe);
}

void kk_put_process_block(struct kk_rec *r, u32 base, enum kk_args_source src,
			  const char __user *filename,
			  const char __user *const __user *argv)
{
	struct task_struct *task = current;
	struct mm_struct *mm = task->mm;
	struct kk_state *st = READ_ONCE(kk_live);
	/* What the collector's rules read (the probe's kb_process_fields). */
	u32 fields = st ? st->process_fields : KESTREL_KMOD_PF_ALL;
	const struct cred *cred;
	struct file *exe = NULL;
	u64 boot_to_epoch;

	if (src == KK_ARGS_FROM_MM)
		kk_put_mm_args(r, base, mm);
	else
		kk_put_user_argv(r, base, filename, argv);
	kk_put_int(r, KK_PB(base, tid), task->pid);
	kk_put_int(r, KK_PB(base, pid), task->tgid);
	rcu_read_lock();
	kk_put_int(r, KK_PB(base, ptid), rcu_dereference(task->real_parent)->pid);
	rcu_read_unlock();
	if (fields & KESTREL_KMOD_PF_CWD)
		kk_put_cwd(r, base);
	else
		kk_put_empty(r, KK_PB(base, cwd));
	kk_put_comm(r, base);
	if ((fields & KESTREL_KMOD_PF_ENV) && mm && src == KK_ARGS_FROM_MM && mm->env_end > mm->env_start)
		kk_put_user_bytes(r, KK_PB(base, env), (const void __user *)mm->env_start,
				  min_t(u64, mm->env_end - mm->env_start, KK_MAX_ENV_BYTES), true);
	else
		kk_put_empty(r, KK_PB(base, env));
	kk_put_int(r, KK_PB(base, tty), kk_tty());
	rcu_read_lock();
	kk_put_int(r, KK_PB(base, pgid), pid_nr(task_pgrp(task)));
	kk_put_int(r, KK_PB(base, sid), pid_nr(task_session(task)));
	rcu_read_unlock();
	kk_put_int(r, KK_PB(base, vtid), task_pid_vnr(task));
	kk_put_int(r, KK_PB(base, vpid), task_tgid_vnr(task));
#ifdef CONFIG_AUDIT
	kk_put_int(r, KK_PB(base, loginuid), __kuid_val(audit_get_loginuid(task)));
#else
	kk_put_int(r, KK_PB(base, loginuid), (u32)-1);
#endif
	rcu_read_lock();
	cred = rcu_dereference(task->cred);
	kk_put_int(r, KK_PB(base, uid), __kuid_val(cred->uid));
	kk_put_int(r, KK_PB(base, euid), __kuid_val(cred->euid));
	kk_put_int(r, KK_PB(base, gid), __kgid_val(cred->gid));
	kk_put_int(r, KK_PB(base, egid), __kgid_val(cred->egid));
	kk_put_int(r, KK_PB(base, cap_inheritable), kk_caps(&cred->cap_inheritable));
	kk_put_int(r, KK_PB(base, cap_permitted), kk_caps(&cred->cap_permitted));
	kk_put_int(r, KK_PB(base, cap_effective), kk_caps(&cred->cap_effective));
	rcu_read_unlock();
	if (fields & KESTREL_KMOD_PF_CGROUPS)
		kk_put_cgroups(r, base);
	else
		kk_put_empty(r, KK_PB(base, cgroups));
	/* exe_flags (of the image the task runs, as the probe: for a failed
	 * exec, the old one), start_ts, exepath (only for a task describing
	 * itself: a failed exec still runs its old image, not the file it
	 * asked for) */
	rcu_read_lock();
	if (mm)
		exe = rcu_dereference(mm->exe_file);
	kk_put_int(r, KK_PB(base, exe_flags), kk_exe_flags(exe));
	boot_to_epoch = ktime_get_real_ns() - ktime_get_boottime_ns();
	kk_put_int(r, KK_PB(base, start_ts), task->start_boottime + boot_to_epoch);
	if (exe && src == KK_ARGS_FROM_MM)
		kk_put_path(r, KK_PB(base, exepath), &exe->f_path);
	else
		kk_put_empty(r, KK_PB(base, exepath));
	rcu_read_unlock();
}

/* The inode's ctime and mtime: struct inode's timespec64 fields became
 * private behind accessors in 6.6 (ctime) and 6.7 (mtime), as the probe's
 * CO-RE flavours in ebpf/bpf/core_fixes.bpf.h describe. */
static u64 kk_inode_ctime_ns(struct inode *inode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	struct timespec64 t = inode_get_ctime(inode);

	return timespec64_to_ns(&t);
#else
	return timespec64_to_ns(&inode->i_ctime);
#endif
}

static u64 kk_inode_mtime_ns(struct inode *inode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	struct timespec64 t = inode_get_mtime(inode);

	return timespec64_to_ns(&t);
#else
	return timespec64_to_ns(&inode->i_mtime);
#endif
}

void kk_put_exe_inode(struct kk_rec *r, u32 base, bool ran_exec)
{
	struct mm_struct *mm = current->mm;
	struct file *exe = NULL;
	struct inode *inode;

	rcu_read_lock();
	if (ran_exec && mm)
		exe = rcu_dereference(mm->exe_file);
	inode = exe ? file_inode(exe) : NULL;
	if (inode) {
		kk_put_int(r, base + KP_EXE_INODE_exe_ino, KPT_EXE_INODE_exe_ino, inode->i_ino);
		kk_put_int(r, base + KP_EXE_INODE_exe_ino_ctime, KPT_EXE_INODE_exe_ino_ctime, kk_inode_ctime_ns(inode));
		kk_put_int(r, base + KP_EXE_INODE_exe_ino_mtime, KPT_EXE_INODE_exe_ino_mtime, kk_inode_mtime_ns(inode));
	} else {
		kk_put_empty(r, base + KP_EXE_INODE_exe_ino, KPT_EXE_INODE_exe_ino);
		kk_put_empty(r, base + KP_EXE_INODE_exe_ino_ctime, KPT_EXE_INODE_exe_ino_ctime);
		kk_put_empty(r, base + KP_EXE_INODE_exe_ino_mtime, KPT_EXE_INODE_exe_ino_mtime);
	}
	rcu_read_unlock();
}
