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

#endif /* KESTREL_EBPF_CORE_FIXES_BPF_H */
