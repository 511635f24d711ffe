/*
 * path.bpf.h — absolute paths from kernel objects (dentry + mount, kernfs).
 *
 * bpf_d_path() is only allowed in a few fentry/LSM hooks, none of which we
 * can use here, so the walk is done by hand: collect the component names
 * leaf-first (up to KB_MAX_PATH_COMPONENTS, crossing mount points), then
 * write them root-first. Deeper paths lose their leading components, and
 * the result is relative to the mount namespace's root, not to a chroot.
 *
 * The loops run under bpf_loop() (Linux >= 5.17): the verifier checks a
 * callback once instead of unrolling every iteration of every nested loop,
 * which for execve's cwd + cgroup paths blew its 1M-instruction budget.
 * Callbacks re-look-up the per-CPU scratch maps rather than receive map
 * pointers, so their context holds only scalars.
 */
#ifndef KESTREL_EBPF_PATH_BPF_H
#define KESTREL_EBPF_PATH_BPF_H

#define KB_NAME_MAX 256
#define KB_PART_MASK (KB_MAX_PATH_COMPONENTS - 1)

static __always_inline struct kb_path_parts *kb_path_parts(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&kb_path_scratch, &zero);
}

/* ---- writing collected parts root-first ---- */

struct kb_join_ctx {
	u32 n;   /* parts collected */
	u32 pos; /* write position in the scratch */
};

static long kb_join_cb(u32 i, void *data)
{
	struct kb_join_ctx *c = data;
	u8 *buf = kb_scratch_buf();
	struct kb_path_parts *parts = kb_path_parts();
	if (!buf || !parts)
		return 1;
	u32 j = c->n - 1 - i;
	buf[c->pos & KB_OFF_MASK] = '/';
	c->pos++;
	long k = bpf_probe_read_kernel_str(buf + (c->pos & KB_OFF_MASK), KB_NAME_MAX, parts->name[j & KB_PART_MASK]);
	if (k > 1)
		c->pos += k - 1;
	return 0;
}

/* Writes "/" + parts[n-1] + ... + "/" + parts[0] ("/" if n == 0) at `pos`,
 * without a NUL; returns the new position. */
static __always_inline u32 kb_join_parts(struct kb_rec *r, u32 pos, u32 n)
{
	if (n == 0) {
		r->buf[pos & KB_OFF_MASK] = '/';
		return pos + 1;
	}
	struct kb_join_ctx c = {.n = n, .pos = pos};
	bpf_loop(n, kb_join_cb, &c, 0);
	return c.pos;
}

/* ---- dentry + mount walk ---- */

struct kb_dwalk_ctx {
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root;
};

static long kb_dwalk_cb(u32 i, void *data)
{
	struct kb_dwalk_ctx *c = data;
	struct kb_path_parts *parts = kb_path_parts();
	if (!parts)
		return 1;
	/* Locals, not c->x, inside BPF_CORE_READ: the macro would emit CO-RE
	 * relocations against our own context struct otherwise. */
	struct dentry *dentry = c->dentry;
	struct mount *mnt = c->mnt;
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == c->mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt || !mnt_parent)
			return 1; /* the namespace's root mount */
		c->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mnt_parent;
		c->mnt_root = BPF_CORE_READ(mnt_parent, mnt.mnt_root);
		return 0;
	}
	/* The count lives in the map, not in `c`: the verifier treats map
	 * contents as unknown, so it does not explore each count separately. */
	u32 n = parts->n;
	if (n >= KB_MAX_PATH_COMPONENTS)
		return 1;
	parts->name[n & KB_PART_MASK] = BPF_CORE_READ(dentry, d_name.name);
	parts->n = n + 1;
	c->dentry = parent;
	return 0;
}

/* Writes the absolute path of (dentry, vfsmnt) as PATH param `idx`. */
static __always_inline void kb_put_dentry_path(struct kb_rec *r, u32 idx, u32 type, struct dentry *dentry,
					       struct vfsmount *vfsmnt)
{
	if (!kb_open_param(r, idx, KESTREL_PARAM_IS_STRING(type)))
		return;
	if (!dentry || !vfsmnt) {
		kb_set_len(r, 0);
		return;
	}
	struct kb_path_parts *parts = kb_path_parts();
	if (!parts) {
		kb_set_len(r, 0);
		return;
	}
	parts->n = 0;
	struct kb_dwalk_ctx c = {
		.dentry = dentry,
		.mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
	};
	/* Each mount crossing takes an iteration too, hence the factor 2. */
	bpf_loop(KB_MAX_PATH_COMPONENTS * 2, kb_dwalk_cb, &c, 0);
	u32 pos = kb_join_parts(r, r->off, parts->n);
	r->buf[pos & KB_OFF_MASK] = 0;
	kb_set_len(r, pos + 1 - r->off);
}

static __always_inline void kb_put_path_struct(struct kb_rec *r, u32 idx, u32 type, const struct path *p)
{
	kb_put_dentry_path(r, idx, type, BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt));
}

/* ---- kernfs (cgroup) walk ---- */

struct kb_kwalk_ctx {
	struct kernfs_node *kn;
	u32 n;
};

static long kb_kwalk_cb(u32 i, void *data)
{
	struct kb_kwalk_ctx *c = data;
	struct kb_path_parts *parts = kb_path_parts();
	if (!parts)
		return 1;
	struct kernfs_node *kn = c->kn;
	struct kernfs_node *parent = kb_kernfs_parent(kn);
	if (!parent)
		return 1; /* the hierarchy's root has no name of its own */
	/* Index by the loop counter, which the verifier does not know: a
	 * counter it could track exactly would be explored value by value. */
	parts->name[i & KB_PART_MASK] = (const unsigned char *)BPF_CORE_READ(kn, name);
	c->n = i + 1;
	c->kn = parent;
	return 0;
}

/* Writes the path of a cgroup's kernfs node ("/a/b") at `pos` without a
 * NUL; returns the new position. */
static __always_inline u32 kb_write_kernfs_path(struct kb_rec *r, u32 pos, struct kernfs_node *kn)
{
	struct kb_kwalk_ctx c = {.kn = kn, .n = 0};
	bpf_loop(KB_MAX_PATH_COMPONENTS, kb_kwalk_cb, &c, 0);
	return kb_join_parts(r, pos, c.n);
}

#endif /* KESTREL_EBPF_PATH_BPF_H */
