/*
 * task.bpf.h — the process params block (KE_PROCESS_PARAMS in events.def)
 * that execve, execveat, clone, clone3, fork and vfork carry after `res`.
 *
 * kb_put_process_block() writes all 25 params by name (KP_PROCESS_* and
 * KPT_PROCESS_* of kestrel_event.h, offset by where the block starts in the
 * event) for the current task. Where exe/args come from depends on the event:
 *   - KB_ARGS_FROM_MM: the task's own argument area (mm->arg_start..end),
 *     right for a successful exec (the new image) and a clone child (a
 *     copy of the parent's). exe is argv[0], as in Falco (proc.exe).
 *   - KB_ARGS_FROM_USER: a failed exec still runs the old image, so the
 *     requested program is read from the syscall's own arguments: exe is
 *     the filename passed in, args are argv[1..] from the user array.
 */
#ifndef KESTREL_EBPF_TASK_BPF_H
#define KESTREL_EBPF_TASK_BPF_H

enum kb_args_source { KB_ARGS_FROM_MM, KB_ARGS_FROM_USER };

/* Userspace's st_dev/st_rdev encoding of a (major, minor) pair. */
static __always_inline u32 kb_encode_dev(u32 major, u32 minor)
{
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* The kernel's internal dev_t (major << 20 | minor) in userspace encoding. */
static __always_inline u32 kb_kdev_to_user(u32 kdev)
{
	return kb_encode_dev(kdev >> 20, kdev & 0xfffff);
}

/* Index and type of block param `name` in an event whose block starts at
 * param `base`. */
#define KB_PB(base, name) (base) + KP_PROCESS_##name, KPT_PROCESS_##name
/* Integer block param `name` (KB_PUT for the block). */
#define KB_PUT_PB(r, base, name, v) KB_PUT_INT((r), (base) + KP_PROCESS_##name, KPT_PROCESS_##name, (v))

/* argv[0] (exe) then argv[1..] (args) from [start, end) of user memory. */
/*
 * An argument or environment area cut short at `len` bytes (its cap less
 * one) gets a NUL at `len`, so the param stays a NUL-terminated string
 * array (kestrel_event.h) and equals what the kernel module writes (the
 * cap's worth of bytes with the last one forced to NUL). Returns len + 1.
 */
static __always_inline u64 kb_terminate_cut(struct kb_rec *r, const u32 len)
{
	u8 *dst = kb_cursor(r);
	dst[len & (KB_MAX_STR - 1)] = 0;
	return len + 1;
}

static __always_inline void kb_put_mm_args(struct kb_rec *r, u32 base, unsigned long start, unsigned long end)
{
	if (!start || end <= start) {
		kb_put_empty(r, KB_PB(base, exe));
		kb_put_empty(r, KB_PB(base, args));
		return;
	}
	if (!kb_open_param(r, base + KP_PROCESS_exe, KESTREL_PARAM_IS_STRING(KPT_PROCESS_exe)))
		return;
	long n = bpf_probe_read_user_str(kb_cursor(r), KB_MAX_STR, (void *)start);
	if (n < 0)
		n = 0;
	kb_set_len(r, n);
	if (!kb_open_param(r, base + KP_PROCESS_args, KESTREL_PARAM_IS_STRING_ARRAY(KPT_PROCESS_args)))
		return;
	unsigned long rest_start = start + n;
	u64 rest = end > rest_start ? end - rest_start : 0;
	/* Decided once, the cut length a constant: 6.1's verifier loses the
	 * bounds of a length compared again after the read. */
	bool cut = rest > KESTREL_MAX_ARGS_BYTES - 1;
	if (cut)
		rest = KESTREL_MAX_ARGS_BYTES - 1;
	if (rest == 0 || bpf_probe_read_user(kb_cursor(r), rest & (KB_MAX_STR - 1), (void *)rest_start) != 0)
		rest = 0;
	else if (cut)
		rest = kb_terminate_cut(r, KESTREL_MAX_ARGS_BYTES - 1);
	kb_set_len(r, rest);
}

/* filename as exe, then argv[1..] read pointer by pointer from `argv`. */
static __always_inline void kb_put_user_argv(struct kb_rec *r, u32 base, const char *filename,
					     const char *const *argv)
{
	kb_put_user_str(r, KB_PB(base, exe), filename);
	if (!kb_open_param(r, base + KP_PROCESS_args, KESTREL_PARAM_IS_STRING_ARRAY(KPT_PROCESS_args)))
		return;
	u32 start = r->off;
	u32 pos = start;
	for (int i = 1; i < KB_MAX_ARGV && argv; i++) {
		const char *arg = NULL;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) != 0 || !arg)
			break;
		long k = bpf_probe_read_user_str(r->buf + (pos & KB_OFF_MASK), KB_MAX_STR, arg);
		if (k <= 0)
			break;
		pos += k;
		if (pos - start >= KESTREL_MAX_ARGS_BYTES)
			break;
	}
	kb_set_len(r, pos - start);
}

static __always_inline void kb_put_mm_env(struct kb_rec *r, u32 base, struct mm_struct *mm)
{
	if (!kb_open_param(r, base + KP_PROCESS_env, KESTREL_PARAM_IS_STRING_ARRAY(KPT_PROCESS_env)))
		return;
	unsigned long start = BPF_CORE_READ(mm, env_start);
	unsigned long end = BPF_CORE_READ(mm, env_end);
	u64 len = end > start ? end - start : 0;
	bool cut = len > KB_MAX_ENV_BYTES - 1; /* as kb_put_mm_args */
	if (cut)
		len = KB_MAX_ENV_BYTES - 1;
	if (len == 0 || bpf_probe_read_user(kb_cursor(r), len & (KB_MAX_STR - 1), (void *)start) != 0)
		len = 0;
	else if (cut)
		len = kb_terminate_cut(r, KB_MAX_ENV_BYTES - 1);
	kb_set_len(r, len);
}

static __always_inline u32 kb_task_tty(struct task_struct *task)
{
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if (!tty)
		return 0;
	struct tty_driver *drv = BPF_CORE_READ(tty, driver);
	u32 major = BPF_CORE_READ(drv, major);
	u32 minor = BPF_CORE_READ(drv, minor_start) + BPF_CORE_READ(tty, index);
	return kb_encode_dev(major, minor);
}

/* The id of `pid` as seen from its own (innermost) pid namespace. */
static __always_inline s64 kb_pid_vnr(struct pid *pid)
{
	if (!pid)
		return 0;
	u32 level = BPF_CORE_READ(pid, level);
	struct upid *numbers = (void *)pid + bpf_core_field_offset(struct pid, numbers);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), &numbers[level & 31].nr);
	return nr;
}

static __always_inline s64 kb_pid_nr(struct pid *pid)
{
	return pid ? BPF_CORE_READ(pid, numbers[0].nr) : 0;
}

/*
 * "subsystem=/path" for every cgroup subsystem the task has a css in, the
 * path that of the css's cgroup, as falcosecurity/libs' modern probe
 * writes it: each subsystem named, even when several share a cgroup (v1
 * "cpu,cpuacct", or every v2 controller), so plugins reading the thread
 * table's cgroups see a controller name in each entry. The state tables
 * find the container id in these paths.
 */
struct kb_cgroups_ctx {
	struct css_set *cset;
	u32 start;
	u32 pos;
};

static long kb_cgroup_cb(u32 i, void *data)
{
	struct kb_cgroups_ctx *c = data;
	struct kb_rec r = {.buf = kb_scratch_buf()};
	if (!r.buf)
		return 1;
	struct css_set *cset = c->cset;
	struct cgroup_subsys_state *css = NULL;
	bpf_probe_read_kernel(&css, sizeof(css), &cset->subsys[i & 15]);
	if (!css)
		return 0;
	struct cgroup *cg = BPF_CORE_READ(css, cgroup);
	if (!cg)
		return 0;
	u32 pos = c->pos;
	long k = bpf_probe_read_kernel_str(r.buf + (pos & KB_OFF_MASK), 32, BPF_CORE_READ(css, ss, name));
	if (k > 1)
		pos += k - 1;
	r.buf[pos & KB_OFF_MASK] = '=';
	pos++;
	pos = kb_write_kernfs_path(&r, pos, BPF_CORE_READ(cg, kn));
	r.buf[pos & KB_OFF_MASK] = 0;
	pos++;
	c->pos = pos;
	return pos - c->start > KB_MAX_STR ? 1 : 0;
}

static __always_inline void kb_put_cgroups(struct kb_rec *r, u32 base, struct task_struct *task)
{
	if (!kb_open_param(r, base + KP_PROCESS_cgroups, KESTREL_PARAM_IS_STRING_ARRAY(KPT_PROCESS_cgroups)))
		return;
	struct css_set *cset = BPF_CORE_READ(task, cgroups);
	if (!cset) {
		kb_set_len(r, 0);
		return;
	}
	u32 nsubsys = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);
	struct kb_cgroups_ctx c = {.cset = cset, .start = r->off, .pos = r->off};
	bpf_loop(nsubsys < 16 ? nsubsys : 16, kb_cgroup_cb, &c, 0);
	kb_set_len(r, c.pos - c.start);
}

#define KB_OVERLAYFS_SUPER_MAGIC 0x794c7630 /* include/uapi/linux/magic.h */

/* EXE_UPPER_LAYER when the image is a file of an overlayfs that has it on
 * its upper layer (written or copied up in the container, not shipped in
 * the image). overlayfs keeps that layer's dentry right after the VFS inode
 * of its struct ovl_inode (fs/overlayfs/ovl_entry.h: `struct inode
 * vfs_inode; struct dentry *__upperdentry;`, so since 4.x and still in
 * 6.18). The type lives in the overlay module, whose BTF a CO-RE probe
 * cannot count on, so the pointer is read just past struct inode, whose
 * size CO-RE relocates. mm->exe_file is the overlay's own file (exec opens
 * the overlay path; only mappings are redirected to the real file). */
static __always_inline u32 kb_exe_overlay_flags(struct file *exe)
{
	struct inode *inode = BPF_CORE_READ(exe, f_inode);
	if (!inode || BPF_CORE_READ(inode, i_sb, s_magic) != KB_OVERLAYFS_SUPER_MAGIC)
		return 0;
	struct dentry *upper = NULL;
	if (bpf_probe_read_kernel(&upper, sizeof(upper), (char *)inode + bpf_core_type_size(struct inode)) != 0)
		return 0;
	return upper ? KESTREL_EXE_UPPER_LAYER : 0;
}

/* EXE_FROM_MEMFD when the running image was loaded from a memfd;
 * EXE_UPPER_LAYER (above). */
static __always_inline u32 kb_exe_flags(struct mm_struct *mm)
{
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	if (!exe)
		return 0;
	char prefix[8] = {};
	bpf_probe_read_kernel_str(prefix, sizeof(prefix), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
	u32 nlink = BPF_CORE_READ(exe, f_inode, __i_nlink);
	if (nlink == 0 && prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' &&
	    prefix[3] == 'f' && prefix[4] == 'd' && prefix[5] == ':')
		return KESTREL_EXE_FROM_MEMFD;
	return kb_exe_overlay_flags(exe);
}

/* The block of event ID (KP_<ID>_exe is where it starts). */
#define KB_PUT_PROCESS_BLOCK(r, ID, src, filename, argv) \
	kb_put_process_block(&(r), KP_##ID##_exe, (src), (filename), (argv))

static __always_inline void kb_put_process_block(struct kb_rec *r, u32 base, enum kb_args_source src,
						 const char *filename, const char *const *argv)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (src == KB_ARGS_FROM_MM)
		kb_put_mm_args(r, base, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end));
	else
		kb_put_user_argv(r, base, filename, argv);
	KB_PUT_PB(r, base, tid, BPF_CORE_READ(task, pid));
	KB_PUT_PB(r, base, pid, BPF_CORE_READ(task, tgid));
	KB_PUT_PB(r, base, ptid, BPF_CORE_READ(task, real_parent, pid));
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	if (fs && (kb_process_fields & KB_PF_CWD))
		kb_put_path_struct(r, KB_PB(base, cwd), &fs->pwd);
	else
		kb_put_empty(r, KB_PB(base, cwd));
	kb_put_kernel_str(r, KB_PB(base, comm), &task->comm, 16);
	if (mm && src == KB_ARGS_FROM_MM && (kb_process_fields & KB_PF_ENV))
		kb_put_mm_env(r, base, mm);
	else
		kb_put_empty(r, KB_PB(base, env));
	KB_PUT_PB(r, base, tty, kb_task_tty(task));
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	KB_PUT_PB(r, base, pgid, kb_pid_nr(BPF_CORE_READ(sig, pids[PIDTYPE_PGID])));
	KB_PUT_PB(r, base, sid, kb_pid_nr(BPF_CORE_READ(sig, pids[PIDTYPE_SID])));
	KB_PUT_PB(r, base, vtid, kb_pid_vnr(BPF_CORE_READ(task, thread_pid)));
	KB_PUT_PB(r, base, vpid, kb_pid_vnr(BPF_CORE_READ(sig, pids[PIDTYPE_TGID])));
	KB_PUT_PB(r, base, loginuid, kb_task_loginuid(task));
	const struct cred *cred = BPF_CORE_READ(task, cred);
	KB_PUT_PB(r, base, uid, BPF_CORE_READ(cred, uid.val));
	KB_PUT_PB(r, base, euid, BPF_CORE_READ(cred, euid.val));
	KB_PUT_PB(r, base, gid, BPF_CORE_READ(cred, gid.val));
	KB_PUT_PB(r, base, egid, BPF_CORE_READ(cred, egid.val));
	KB_PUT_PB(r, base, cap_inheritable, kb_read_caps(&cred->cap_inheritable));
	KB_PUT_PB(r, base, cap_permitted, kb_read_caps(&cred->cap_permitted));
	KB_PUT_PB(r, base, cap_effective, kb_read_caps(&cred->cap_effective));
	if (kb_process_fields & KB_PF_CGROUPS)
		kb_put_cgroups(r, base, task);
	else
		kb_put_empty(r, KB_PB(base, cgroups));
	KB_PUT_PB(r, base, exe_flags, mm ? kb_exe_flags(mm) : 0);
	KB_PUT_PB(r, base, start_ts, BPF_CORE_READ(task, start_boottime) + kb_epoch_offset_ns);
	/* exepath: the file the image runs (symlinks resolved, unfakeable by
	 * argv[0]). Only for a task describing itself: a failed exec still runs
	 * its old image, which is not the file it asked for. */
	struct file *exe = (mm && src == KB_ARGS_FROM_MM) ? BPF_CORE_READ(mm, exe_file) : NULL;
	if (exe)
		kb_put_path_struct(r, KB_PB(base, exepath), &exe->f_path);
	else
		kb_put_empty(r, KB_PB(base, exepath));
}

/* The exec events' KE_EXE_INODE_PARAMS (starting at param `base`,
 * KP_<EVENT>_exe_ino) of the image the task now runs: only after a
 * successful exec (`ran_exec`); a failed one still runs its old image,
 * whose inode is not the file it asked for, so they are empty. The inode is
 * mm->exe_file's: for an overlayfs file that is the overlay's inode, whose
 * number and times are what stat(2) on the path reports. */
#define KB_PUT_EXE_INODE(r, ID, ran_exec) kb_put_exe_inode(&(r), KP_##ID##_exe_ino, (ran_exec))

static __always_inline void kb_put_exe_inode(struct kb_rec *r, u32 base, bool ran_exec)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *exe = ran_exec ? BPF_CORE_READ(task, mm, exe_file) : NULL;
	struct inode *inode = exe ? BPF_CORE_READ(exe, f_inode) : NULL;
	if (!inode) {
		kb_put_empty(r, base + KP_EXE_INODE_exe_ino, KPT_EXE_INODE_exe_ino);
		kb_put_empty(r, base + KP_EXE_INODE_exe_ino_ctime, KPT_EXE_INODE_exe_ino_ctime);
		kb_put_empty(r, base + KP_EXE_INODE_exe_ino_mtime, KPT_EXE_INODE_exe_ino_mtime);
		return;
	}
	KB_PUT_INT(r, base + KP_EXE_INODE_exe_ino, KPT_EXE_INODE_exe_ino, BPF_CORE_READ(inode, i_ino));
	KB_PUT_INT(r, base + KP_EXE_INODE_exe_ino_ctime, KPT_EXE_INODE_exe_ino_ctime, kb_inode_ctime_ns(inode));
	KB_PUT_INT(r, base + KP_EXE_INODE_exe_ino_mtime, KPT_EXE_INODE_exe_ino_mtime, kb_inode_mtime_ns(inode));
}

#endif /* KESTREL_EBPF_TASK_BPF_H */
