/*
 * filter.bpf.h — the in-kernel event filter (issue #19): drops, before the
 * record is copied into a ring buffer, an event that no loaded rule can
 * match and no state table needs. The engine derives the predicates
 * (engine/eval/kernel_filter.h), the loader fills the maps (sources/abi/kernel_filter_abi.h);
 * this checks a finished record in the scratch against them.
 *
 * Conservative by construction: whatever cannot be judged here goes up —
 * a missing or short param, a path that is relative, not lexically normal
 * ("//", "/." — the engine normalises those), too long, or with more '/'
 * than the lookups cover.
 *
 * Cost: one array lookup for every record when filtering is on (a knob
 * fixed at load: off, the verifier removes all of this); for filtered types
 * one scan of the path (bpf_loop, so the verifier checks the body once) and
 * one LPM lookup, plus one per later '/' only for types whose rules have
 * unanchored atoms (fd.filename, endswith, contains) that are still
 * undecided.
 */
#ifndef KESTREL_EBPF_FILTER_BPF_H
#define KESTREL_EBPF_FILTER_BPF_H

#include "sources/abi/kernel_filter_abi.h"

/* Offset of param `idx` of the record in `buf` and its length; false when
 * the record has no such param or it is beyond what the filter reads.
 * `mask` is the record's offset mask (struct kb_rec: the scratch's, or a
 * ring reservation's), which keeps the reads inside what the verifier
 * knows of `buf`. */
static __always_inline bool kb_param_at(const u8 *buf, u32 mask, s32 idx, u32 *off, u32 *len)
{
	const struct kestrel_event_hdr *h = (const void *)buf;
	u32 n = h->nparams;
	if (idx < 0 || idx >= 8 || (u32)idx >= n || n > KESTREL_MAX_PARAMS)
		return false;
	const u16 *lens = (const u16 *)(buf + KESTREL_EVENT_HDR_SIZE);
	u32 o = KESTREL_EVENT_HDR_SIZE + 2 * n;
#pragma unroll
	for (int i = 0; i < 8; i++) {
		if (i == idx)
			break;
		o += lens[i];
	}
	*off = o & mask;
	*len = lens[idx & (KESTREL_MAX_PARAMS - 1)];
	return true;
}

/* The scan's state: the key under construction, the '/' positions. */
struct kb_filter_scratch {
	struct kb_filter_key key;  /* the whole path (anchor 0) */
	struct kb_filter_key sub;  /* the path from one later '/' (anchor 1) */
	u8 pad[KB_FILTER_PATH_BYTES];  /* bpf_probe_read_kernel past key.path's end stays inside */
	u32 slash[KB_FILTER_MAX_SLASHES];
	u32 nslash;
	u32 len;   /* bytes before the NUL */
	u32 bad;   /* not judgeable: goes up */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct kb_filter_scratch);
} kb_filter_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KE_COUNT);
	__type(key, u32);
	__type(value, struct kb_filter);
} kb_filters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kb_filter_key);
	__type(value, u64);
} kb_filter_paths SEC(".maps");

/* Events dropped by the filter, per CPU, by event type. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KE_COUNT);
	__type(key, u32);
	__type(value, u64);
} kb_filtered SEC(".maps");

/* One more event of `type` dropped in the kernel (filtered, or a deferred
 * open dropped with its close). */
static __always_inline void kb_count_filtered(u32 type)
{
	u64 *n = bpf_map_lookup_elem(&kb_filtered, &type);
	if (n)
		*n += 1;
}

/* Set by the loader when the capture request carries filters. */
const volatile __u32 kb_filter_enabled = 0;

/* One byte of the path: finds its end, its '/'s, and what the engine would
 * normalise ("//", "/." followed by '/', '.' or the end, a trailing '/'). */
static __always_inline struct kb_filter_scratch *kb_filter_scratch_get(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&kb_filter_scratch, &zero);
}

/* Byte j of the path being scanned, 0 past the key; the bound is checked
 * on j itself (after the asm), where the verifier can see it. */
static __always_inline u8 kb_filter_path_byte(const struct kb_filter_scratch *s, u32 j)
{
	asm volatile("" : "+r"(j));
	if (j >= KB_FILTER_PATH_BYTES)
		return 0;
	return s->key.path[j];
}

/* bpf_loop() takes a stack context only: the callbacks find the per-CPU
 * scratch themselves (an inlined array lookup). */
static long kb_filter_scan_byte(u32 i, void *ctx)
{
	(void)ctx;
	struct kb_filter_scratch *s = kb_filter_scratch_get();
	if (!s)
		return 1;
	if (i >= KB_FILTER_PATH_BYTES - 1) {
		s->bad = 1; /* no NUL within what a key holds */
		return 1;
	}
	u8 c = kb_filter_path_byte(s, i);
	if (c == 0) {
		s->len = i;
		return 1;
	}
	if (c != '/')
		return 0;
	u8 next = kb_filter_path_byte(s, i + 1);
	if (next == '/' || (next == 0 && i > 0)) {
		s->bad = 1;
		return 1;
	}
	if (next == '.') {
		if (i + 2 >= KB_FILTER_PATH_BYTES) {
			s->bad = 1;
			return 1;
		}
		u8 after = kb_filter_path_byte(s, i + 2);
		if (after == 0 || after == '/' || after == '.') {
			s->bad = 1; /* "/.", "/./", "/.." (and "/..x", kept to be safe) */
			return 1;
		}
	}
	if (i > 0) {
		if (s->nslash >= KB_FILTER_MAX_SLASHES) {
			s->bad = 1;
			return 1;
		}
		u32 n = s->nslash;
		asm volatile("" : "+r"(n)); /* keep the mask (see kb_filter_lookup_at) */
		s->slash[n & (KB_FILTER_MAX_SLASHES - 1)] = i;
		s->nslash++;
	}
	return 0;
}

struct kb_filter_walk {
	u64 bits;
	u16 type;
};

/* The unanchored lookup at the k-th later '/'. */
static long kb_filter_lookup_at(u32 k, void *ctx)
{
	struct kb_filter_walk *w = ctx;
	struct kb_filter_scratch *s = kb_filter_scratch_get();
	if (!s)
		return 1;
	if (k >= s->nslash || k >= KB_FILTER_MAX_SLASHES)
		return 1;
	/* The empty asm keeps the mask, which clang would fold away as
	 * redundant after the check above, for the verifier to see. */
	asm volatile("" : "+r"(k));
	u32 at = s->slash[k & (KB_FILTER_MAX_SLASHES - 1)];
	if (at >= KB_FILTER_PATH_BYTES || at > s->len)
		return 1;
	bpf_probe_read_kernel(s->sub.path, sizeof(s->sub.path), &s->key.path[at]);
	s->sub.type = w->type;
	s->sub.anchor = 1;
	s->sub.prefixlen = 8 * (3 + (s->len - at) + 1);
	u64 *v = bpf_map_lookup_elem(&kb_filter_paths, &s->sub);
	if (v)
		w->bits |= *v;
	return 0;
}

/* Alternatives of `f` whose path part holds for the path param at `off`. */
static __always_inline u64 kb_filter_path_bits(const struct kb_filter *f, const u8 *buf, u32 off, u32 len, u16 type, u64 wanted)
{
	if (len < 2 || len > KB_FILTER_PATH_BYTES)
		return ~0ULL; /* empty (unreadable) or too long: cannot judge */
	struct kb_filter_scratch *s = kb_filter_scratch_get();
	if (!s)
		return ~0ULL;
	if (bpf_probe_read_kernel(s->key.path, sizeof(s->key.path), buf + off) != 0)
		return ~0ULL;
	if (s->key.path[0] != '/')
		return ~0ULL; /* relative: the engine resolves it against a cwd or dirfd */
	s->nslash = 0;
	s->len = 0;
	s->bad = 0;
	u32 unused = 0;
	bpf_loop(KB_FILTER_PATH_BYTES, kb_filter_scan_byte, &unused, 0);
	if (s->bad || s->len == 0)
		return ~0ULL;
	s->key.type = type;
	s->key.anchor = 0;
	s->key.prefixlen = 8 * (3 + s->len + 1);
	u64 bits = 0;
	u64 *v = bpf_map_lookup_elem(&kb_filter_paths, &s->key);
	if (v)
		bits = *v;
	if (f->unanchored && (wanted & ~bits)) {
		struct kb_filter_walk w = {.bits = bits, .type = type};
		bpf_loop(KB_FILTER_MAX_SLASHES, kb_filter_lookup_at, &w, 0);
		bits = w.bits;
	}
	return bits;
}


enum kb_filter_verdict {
	KB_FILTER_KEEP = 0,  /* goes up */
	KB_FILTER_DROP = 1,  /* dropped (and counted) */
	KB_FILTER_DEFER = 2, /* only the state tables need it: may be kept (defer.bpf.h) */
};

/* What the filter makes of the finished record in `buf`; `mask` as for
 * kb_param_at(). */
static __noinline u32 kb_filter_verdict(const u8 *buf, u32 mask)
{
	if (!buf)
		return KB_FILTER_KEEP;
	u32 type = ((const struct kestrel_event_hdr *)buf)->type;
	struct kb_filter *f = bpf_map_lookup_elem(&kb_filters, &type);
	if (!f || !f->on)
		return KB_FILTER_KEEP;
	u64 keep = ~0ULL;
	u32 off, len;
	if (kb_param_at(buf, mask, f->res_param, &off, &len) && len == 8) {
		s64 res = *(const s64 *)(buf + off);
		keep &= f->res_ok[res >= 0 ? 1 : 0];
	}
	if (kb_param_at(buf, mask, f->flags_param, &off, &len) && len == 4) {
		u32 flags = *(const u32 *)(buf + off);
		keep &= f->acc_ok[flags & 3];
	}
	if (keep && kb_param_at(buf, mask, f->fcntl_cmd_param, &off, &len) && len == 4) {
		u32 cmd = *(const u32 *)(buf + off);
		if (cmd != KB_F_DUPFD && cmd != KB_F_DUPFD_CLOEXEC)
			keep = 0; /* no state effect, no rule on fcntl */
	}
	u64 need_path = keep & ~f->path_any;
	if (need_path) {
		u64 bits = ~0ULL;
		if (kb_param_at(buf, mask, f->path_param, &off, &len))
			bits = kb_filter_path_bits(f, buf, off, len, (u16)type, need_path);
		keep &= f->path_any | bits;
	}
	if (keep)
		return (keep & ~f->defer_ok) ? KB_FILTER_KEEP : KB_FILTER_DEFER;
	kb_count_filtered(type);
	return KB_FILTER_DROP;
}

#endif /* KESTREL_EBPF_FILTER_BPF_H */
