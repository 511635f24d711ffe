/*
 * kk_filter_core.h — the kernel module's in-kernel event filter: checking a
 * filter blob from userspace (kestrel_kmod_filter_abi.h) and judging a
 * finished record against it, with the eBPF probe's semantics
 * (ebpf/bpf/filter.bpf.h; sources/kernel_filter.h says what they mean).
 *
 * Plain C with no includes and no kernel calls, so the host's tests compile
 * this very code (tests/kmod/kk_filter_core_test.cpp): the includer
 * provides __u8 .. __u64, __s32, __s64, memcmp, memcpy, memset, and
 * sources/abi/kestrel_event.h (kestrel_event_hdr, KE_COUNT,
 * KESTREL_MAX_PARAMS), and includes kestrel_kmod_filter_abi.h.
 *
 * Where the probe has an LPM trie the module has the blob's sorted atom
 * table: the longest atom that is a prefix of a path is found by binary
 * search for the greatest atom not above the path; if that atom is not a
 * prefix, no atom longer than its common prefix with the path can be, so
 * the search repeats on that shorter prefix (at most one round per byte,
 * in practice one or two).
 *
 * Conservative exactly where the probe is: a record whose param is missing,
 * of another width, not NUL-terminated, a path that is relative, not
 * lexically normal ("//", "/.", a trailing '/'), of KB_FILTER_PATH_BYTES - 1
 * bytes or more, or with more than KB_FILTER_MAX_SLASHES later '/'s, goes
 * up.
 */
#ifndef KESTREL_KMOD_KK_FILTER_CORE_H
#define KESTREL_KMOD_KK_FILTER_CORE_H

/* A checked filter: per type its kb_filter (on = 0: not filtered) and the
 * range of its atoms per anchor in `paths`, which points into the blob the
 * set was parsed from (kept alive with it). */
struct kk_filter_set {
	struct kb_filter types[KE_COUNT];
	__u32 first[KE_COUNT][2]; /* [type][anchor]: first atom */
	__u32 end[KE_COUNT][2];   /* one past the last (first == end: none) */
	__u32 npaths;
	const struct kestrel_kmod_filter_path *paths;
};

/* The blob's bytes for `nfilters` types and `npaths` atoms. */
static inline __u64 kk_filter_blob_bytes(__u64 nfilters, __u64 npaths)
{
	return sizeof(struct kestrel_kmod_filter_hdr) + nfilters * sizeof(struct kestrel_kmod_filter_type) +
	       npaths * sizeof(struct kestrel_kmod_filter_path);
}

/* Bytes a and b compared as unsigned, a prefix before what it prefixes. */
static inline int kk_filter_cmp(const __u8 *a, __u32 alen, const __u8 *b, __u32 blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static inline int kk_filter_path_cmp(const struct kestrel_kmod_filter_path *a,
				     const struct kestrel_kmod_filter_path *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->anchor != b->anchor)
		return a->anchor < b->anchor ? -1 : 1;
	return kk_filter_cmp(a->bytes, a->len, b->bytes, b->len);
}

static inline const char *kk_filter_check_type(const struct kestrel_kmod_filter_type *t)
{
	const struct kb_filter *f = &t->filter;

	if (t->type == 0 || t->type >= KE_COUNT)
		return "an event type out of range";
	if (t->pad)
		return "non-zero padding in a type entry";
	if (f->on != 1 || f->unanchored > 1)
		return "a type entry's on or unanchored is not 0/1";
	if (f->res_param < -1 || f->res_param >= KESTREL_MAX_PARAMS || f->path_param < -1 ||
	    f->path_param >= KESTREL_MAX_PARAMS || f->flags_param < -1 || f->flags_param >= KESTREL_MAX_PARAMS ||
	    f->fcntl_cmd_param < -1 || f->fcntl_cmd_param >= KESTREL_MAX_PARAMS)
		return "a param index out of range";
	return 0;
}

static inline const char *kk_filter_check_path(const struct kestrel_kmod_filter_path *p)
{
	__u32 i;

	if (p->anchor > 1 || p->pad || p->pad2[0] || p->pad2[1] || p->pad2[2])
		return "a path atom's anchor is not 0/1 or its padding is not 0";
	if (p->len < 1 || p->len > KB_FILTER_PATH_BYTES || p->bytes[0] != '/')
		return "a path atom is empty, too long or does not start with '/'";
	for (i = 0; i + 1 < p->len; i++)
		if (p->bytes[i] == 0)
			return "a path atom holds a NUL before its last byte";
	for (i = p->len; i < KB_FILTER_PATH_BYTES; i++)
		if (p->bytes[i])
			return "a path atom has bytes past its length";
	return 0;
}

/* Checks the whole blob (`len` bytes) and, when it is sound, fills `s`
 * (which then points into the blob). Returns 0, or what is wrong. */
static inline const char *kk_filter_parse(struct kk_filter_set *s, const void *blob, __u64 len)
{
	const struct kestrel_kmod_filter_hdr *h = (const struct kestrel_kmod_filter_hdr *)blob;
	const struct kestrel_kmod_filter_type *types;
	const struct kestrel_kmod_filter_path *paths;
	const char *err;
	__u32 i;

	memset(s, 0, sizeof(*s));
	if (len < sizeof(*h))
		return "shorter than its header";
	if (h->magic != KESTREL_KMOD_FILTER_MAGIC || h->version != KESTREL_KMOD_FILTER_VERSION)
		return "not a filter blob of this version";
	if (h->nfilters >= KE_COUNT || h->npaths > KESTREL_KMOD_FILTER_MAX_PATHS)
		return "more types or path atoms than fit";
	if (len != kk_filter_blob_bytes(h->nfilters, h->npaths))
		return "its length disagrees with its counts";
	types = (const struct kestrel_kmod_filter_type *)(h + 1);
	for (i = 0; i < h->nfilters; i++) {
		err = kk_filter_check_type(&types[i]);
		if (err)
			return err;
		if (s->types[types[i].type].on)
			return "an event type listed twice";
		s->types[types[i].type] = types[i].filter;
	}
	paths = (const struct kestrel_kmod_filter_path *)(types + h->nfilters);
	for (i = 0; i < h->npaths; i++) {
		const struct kestrel_kmod_filter_path *p = &paths[i];

		err = kk_filter_check_path(p);
		if (err)
			return err;
		if (p->type >= KE_COUNT || !s->types[p->type].on)
			return "a path atom of a type without a filter";
		if (i > 0 && kk_filter_path_cmp(&paths[i - 1], p) >= 0)
			return "path atoms not strictly sorted";
		if (s->first[p->type][p->anchor] == s->end[p->type][p->anchor])
			s->first[p->type][p->anchor] = i;
		s->end[p->type][p->anchor] = i + 1;
	}
	s->paths = paths;
	s->npaths = h->npaths;
	return 0;
}

/* The bits of the longest atom in [first, end) that is a prefix of
 * key[0..klen); 0 when there is none. */
static inline __u64 kk_filter_lpm(const struct kk_filter_set *s, __u32 first, __u32 end, const __u8 *key,
				  __u32 klen)
{
	while (klen > 0) {
		const struct kestrel_kmod_filter_path *p;
		__u32 lo = first, hi = end, common = 0;

		while (lo < hi) {
			__u32 mid = lo + (hi - lo) / 2;

			if (kk_filter_cmp(s->paths[mid].bytes, s->paths[mid].len, key, klen) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == first)
			return 0;
		p = &s->paths[lo - 1];
		while (common < p->len && common < klen && p->bytes[common] == key[common])
			common++;
		if (common == p->len)
			return p->bits;
		klen = common; /* < klen: p <= key and p is not a prefix of it */
	}
	return 0;
}

/* Where param `idx` of the record lies; 0 when it has no such param or
 * the param does not fit in `reclen`. */
static inline int kk_filter_param(const __u8 *rec, __u32 reclen, __s32 idx, __u32 *off, __u32 *len)
{
	const struct kestrel_event_hdr *h = (const struct kestrel_event_hdr *)rec;
	__u32 n = h->nparams, o, i;
	__u16 l;

	if (idx < 0 || (__u32)idx >= n || n > KESTREL_MAX_PARAMS || reclen < KESTREL_EVENT_HDR_SIZE + 2 * n)
		return 0;
	o = KESTREL_EVENT_HDR_SIZE + 2 * n;
	for (i = 0; i < (__u32)idx; i++) {
		memcpy(&l, rec + KESTREL_EVENT_HDR_SIZE + 2 * i, 2);
		o += l;
	}
	memcpy(&l, rec + KESTREL_EVENT_HDR_SIZE + 2 * idx, 2);
	if (o > reclen || l > reclen - o)
		return 0;
	*off = o;
	*len = l;
	return 1;
}

/* Alternatives of `f` (event type `type`) whose path part holds for the
 * path `p` of `plen` param bytes; all of them when it cannot be judged. */
static inline __u64 kk_filter_path_bits(const struct kk_filter_set *s, const struct kb_filter *f, __u32 type,
					const __u8 *p, __u32 plen, __u64 wanted)
{
	__u32 slash[KB_FILTER_MAX_SLASHES], nslash = 0, len = 0, i, k;
	__u64 bits;

	if (plen < 2 || plen > KB_FILTER_PATH_BYTES || p[0] != '/')
		return ~0ULL; /* empty, too long, or relative (resolved against a cwd or dirfd) */
	for (i = 0;; i++) {
		__u8 next, after;

		if (i >= KB_FILTER_PATH_BYTES - 1 || i >= plen)
			return ~0ULL; /* no NUL within what the probe's key holds */
		if (p[i] == 0) {
			len = i;
			break;
		}
		if (p[i] != '/')
			continue;
		next = i + 1 < plen ? p[i + 1] : 0;
		if (next == '/' || (next == 0 && i > 0))
			return ~0ULL; /* "//" or a trailing '/' */
		if (next == '.') {
			after = i + 2 < plen ? p[i + 2] : 0;
			if (i + 2 >= KB_FILTER_PATH_BYTES || after == 0 || after == '/' || after == '.')
				return ~0ULL; /* "/.", "/./", "/.." (and "/..x", as the probe) */
		}
		if (i > 0) {
			if (nslash >= KB_FILTER_MAX_SLASHES)
				return ~0ULL;
			slash[nslash++] = i;
		}
	}
	if (len == 0)
		return ~0ULL;
	bits = kk_filter_lpm(s, s->first[type][0], s->end[type][0], p, len + 1);
	if (f->unanchored && (wanted & ~bits))
		for (k = 0; k < nslash; k++)
			bits |= kk_filter_lpm(s, s->first[type][1], s->end[type][1], p + slash[k],
					      len - slash[k] + 1);
	return bits;
}

/* True when no alternative of the record's type holds: the record (`reclen`
 * bytes, a whole record as kestrel_event.h lays it out) is to be dropped. */
static inline int kk_filter_drops_record(const struct kk_filter_set *s, const __u8 *rec, __u32 reclen)
{
	const struct kestrel_event_hdr *h = (const struct kestrel_event_hdr *)rec;
	const struct kb_filter *f;
	__u64 keep = ~0ULL, need_path;
	__u32 off, len;

	if (reclen < KESTREL_EVENT_HDR_SIZE || h->type >= KE_COUNT)
		return 0;
	f = &s->types[h->type];
	if (!f->on)
		return 0;
	if (kk_filter_param(rec, reclen, f->res_param, &off, &len) && len == 8) {
		__s64 res;

		memcpy(&res, rec + off, 8);
		keep &= f->res_ok[res >= 0 ? 1 : 0];
	}
	if (kk_filter_param(rec, reclen, f->flags_param, &off, &len) && len == 4) {
		__u32 flags;

		memcpy(&flags, rec + off, 4);
		keep &= f->acc_ok[flags & 3];
	}
	if (keep && kk_filter_param(rec, reclen, f->fcntl_cmd_param, &off, &len) && len == 4) {
		__u32 cmd;

		memcpy(&cmd, rec + off, 4);
		if (cmd != KB_F_DUPFD && cmd != KB_F_DUPFD_CLOEXEC)
			keep = 0; /* no state effect, no rule on fcntl */
	}
	/* defer_ok is the probe's alone: the module sends what it would keep. */
	need_path = keep & ~f->path_any;
	if (need_path) {
		__u64 bits = ~0ULL;

		if (kk_filter_param(rec, reclen, f->path_param, &off, &len))
			bits = kk_filter_path_bits(s, f, h->type, rec + off, len, need_path);
		keep &= f->path_any | bits;
	}
	return keep == 0;
}

#endif /* KESTREL_KMOD_KK_FILTER_CORE_H */
