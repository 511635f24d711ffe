/*
 * core_fixes.bpf.h — kernel struct differences, handled with CO-RE flavours.
 *
 * Each quirk names the kernel change that caused it. No LINUX_VERSION_CODE:
 * the running kernel's BTF decides at load time which branch survives.
 */
#ifndef KESTREL_EBPF_CORE_FIXES_BPF_H
#define KESTREL_EBPF_CORE_FIXES_BPF_H

/*
 * kernfs_node.parent became the RCU-annotated `__parent` in 6.15
 * (commit 633488947ef6 "kernfs: Use RCU to access kernfs_node::parent").
 */
struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kb_kernfs_parent(struct kernfs_node *kn)
{
	struct kernfs_node___pre615 *old = (void *)kn;
	if (bpf_core_field_exists(old->parent))
		return BPF_CORE_READ(old, parent);
	return BPF_CORE_READ(kn, __parent);
}

/*
 * kernel_cap_t was `struct { u32 cap[2]; }` until 6.3 (commit f122a08b197d
 * "capability: just use a 'u64' instead of a 'u32[2]' array"). Both are
 * 8 bytes little-endian with cap[0] low, so one 8-byte read gives the same
 * value on either side of the change.
 */
static __always_inline u64 kb_read_caps(const kernel_cap_t *caps)
{
	u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), caps);
	return v;
}

/*
 * task_struct.loginuid only exists with CONFIG_AUDIT; without it every
 * task's loginuid is "unset" (-1).
 */
static __always_inline u32 kb_task_loginuid(struct task_struct *task)
{
	if (bpf_core_field_exists(task->loginuid))
		return BPF_CORE_READ(task, loginuid.val);
	return (u32)-1;
}

/*
 * An inode's ctime and mtime, ns since the epoch. struct inode kept them as
 * `struct timespec64 i_ctime, i_mtime` until 6.6 renamed the ctime one to
 * `__i_ctime` ("fs: rename i_ctime field to __i_ctime", accessors
 * inode_get_ctime) and 6.7 the mtime one to `__i_mtime` ("fs: rename inode
 * i_atime and i_mtime fields"); 6.11 split each into `i_*_sec` (time64_t)
 * and `i_*_nsec` (u32) ("fs: switch timespec64 fields in inode to discrete
 * integers"). The flavours below name the older layouts; the running
 * kernel's BTF keeps the branch that matches.
 */
struct inode___pre611 {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

struct inode___pre66 {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

static __always_inline u64 kb_timespec_ns(s64 sec, s64 nsec)
{
	return (u64)sec * 1000000000ULL + (u64)nsec;
}

/* Multigrain timestamps (6.13, "fs: add infrastructure for multigrain
 * timestamps") keep a "ctime was queried" flag in bit 31 of i_ctime_nsec;
 * inode_get_ctime_nsec() masks it off, and so must we (nsec < 2^31 always). */
#define KB_I_CTIME_QUERIED (1U << 31)

static __always_inline u64 kb_inode_ctime_ns(struct inode *inode)
{
	struct inode___pre611 *v66 = (void *)inode;
	struct inode___pre66 *old = (void *)inode;
	if (bpf_core_field_exists(inode->i_ctime_sec))
		return kb_timespec_ns(BPF_CORE_READ(inode, i_ctime_sec),
				      BPF_CORE_READ(inode, i_ctime_nsec) & ~KB_I_CTIME_QUERIED);
	if (bpf_core_field_exists(v66->__i_ctime))
		return kb_timespec_ns(BPF_CORE_READ(v66, __i_ctime.tv_sec), BPF_CORE_READ(v66, __i_ctime.tv_nsec));
	return kb_timespec_ns(BPF_CORE_READ(old, i_ctime.tv_sec), BPF_CORE_READ(old, i_ctime.tv_nsec));
}

static __always_inline u64 kb_inode_mtime_ns(struct inode *inode)
{
	struct inode___pre611 *v67 = (void *)inode;
	struct inode___pre66 *old = (void *)inode;
	if (bpf_core_field_exists(inode->i_mtime_sec))
		return kb_timespec_ns(BPF_CORE_READ(inode, i_mtime_sec), BPF_CORE_READ(inode, i_mtime_nsec));
	if (bpf_core_field_exists(v67->__i_mtime))
		return kb_timespec_ns(BPF_CORE_READ(v67, __i_mtime.tv_sec), BPF_CORE_READ(v67, __i_mtime.tv_nsec));
	return kb_timespec_ns(BPF_CORE_READ(old, i_mtime.tv_sec), BPF_CORE_READ(old, i_mtime.tv_nsec));
}

#endif /* KESTREL_EBPF_CORE_FIXES_BPF_H */
