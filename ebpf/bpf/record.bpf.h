/*
 * record.bpf.h — building one event record (sources/abi/kestrel_event.h)
 * in the per-CPU scratch and submitting it to this CPU's ring buffer.
 *
 * A filler calls KB_BEGIN(r, EVENT), then writes every param *by name* in
 * events.def order — KB_PUT(r, OPENAT, dirfd, v), KB_PUT_USER_STR(r, OPENAT,
 * name, p), KB_PUT_EMPTY(r, ...) — then kb_submit(). The name gives the
 * param's index (KP_<EVENT>_<param>) and its type (KPT_<EVENT>_<param>); the
 * width and encoding come from the type, never from the filler
 * (KB_PUT_INT picks the store at compile time). A write
 * whose index is not the next one (wrong order, a param skipped or written
 * twice) or whose kind does not fit the type (an integer into a PATH, a
 * string into an FD) marks the record, and kb_submit() drops it and counts
 * KB_DROP_PARAM_MISMATCH, as it does a record whose param count disagrees
 * with the table. Both checks compare compile-time constants in a correct
 * filler (clang folds the running index of straight-line code), so they
 * cost nothing where the filler is right.
 *
 * A param that cannot be read is written with length 0 (<NA> for readers).
 *
 * All offsets are masked with KB_RECORD_LIMIT - 1 before a write, which is
 * what lets the verifier accept variable-length params; kb_submit() drops
 * (and counts) a record whose running offset reached the limit, so a masked
 * wrap-around is never sent.
 *
 * In place: the hot fillers (KB_SYSCALL_EXIT_IN_PLACE, filler.bpf.h) first
 * write their record straight into a ring buffer reservation of a fixed
 * size (the verifier needs a constant), which saves the copy out of the
 * scratch (~60 ns a record, bench/ebpf_floor). There the mask is the
 * reservation's `limit` - 1 and a string may fill only what is left below
 * the limit; a record that does not fit (a long path) is discarded and
 * written again in the scratch, so nothing is cut short. The ring's slot is
 * then longer than the record: readers take the record's own `len`
 * (ebpf/ring_buffer.h).
 */
#ifndef KESTREL_EBPF_RECORD_BPF_H
#define KESTREL_EBPF_RECORD_BPF_H

#define KB_OFF_MASK (KB_RECORD_LIMIT - 1)

struct kb_rec {
	u8 *buf;
	u32 off;     /* next data byte */
	u32 idx;     /* next param */
	u32 nparams; /* the table's count for this event type */
	u32 mask;    /* offsets are masked with this: KB_OFF_MASK, or limit - 1 in place */
	u32 limit;   /* in place: the record must end by here (a power of two) */
	bool mismatch; /* a write disagreed with the table: drop at submit */
	bool in_place; /* buf is a ring buffer reservation of limit + 8 bytes */
	bool overflow; /* in place: did not fit, write it again in the scratch */
};

/* The index and type of param `name` of event ID, for the kb_put_*()
 * writers and the helpers that write one param. */
#define KB_P(ID, name) KP_##ID##_##name, KPT_##ID##_##name

static __always_inline void kb_count_drop(u32 reason)
{
	u64 *n = bpf_map_lookup_elem(&kb_drops, &reason);
	if (n)
		*n += 1;
}

/* This CPU's scratch slot. */
static __always_inline u8 *kb_scratch_buf(void)
{
	u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&kb_scratch, &cpu);
}

static __always_inline bool kb_skip_current(u64 pid_tgid)
{
	return kb_ignore_tgid != 0 && (u32)(pid_tgid >> 32) == kb_ignore_tgid;
}

static __always_inline u64 kb_now_ns(void)
{
	return bpf_ktime_get_boot_ns() + kb_epoch_offset_ns;
}

/* The ring buffer of this CPU's group (NULL: a bad configuration). */
static __always_inline void *kb_ring(void)
{
	u32 ring = bpf_get_smp_processor_id() / kb_cpus_per_buffer;
	return bpf_map_lookup_elem(&kb_ringbufs, &ring);
}

/* Writes the header of a record of `type` into r->buf (set by the caller). */
static __always_inline void kb_start(struct kb_rec *r, u64 pid_tgid, u16 type, u16 nparams)
{
	struct kestrel_event_hdr *h = (void *)r->buf;
	h->ts_ns = kb_now_ns();
	h->tid = (u32)pid_tgid;
	h->tgid = pid_tgid >> 32;
	h->type = type;
	h->nparams = nparams;
	r->off = KESTREL_EVENT_HDR_SIZE + 2 * (u32)nparams;
	r->idx = 0;
	r->nparams = nparams;
	r->mismatch = false;
	r->overflow = false;
}

/*
 * Starts a record of `type` with `nparams` params for the current task in
 * this CPU's scratch, unless the task's process is the one the loader asked
 * to ignore.
 */
static __always_inline bool kb_begin(struct kb_rec *r, u16 type, u16 nparams)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (kb_skip_current(pid_tgid))
		return false;
	r->buf = kb_scratch_buf();
	if (!r->buf) {
		kb_count_drop(KB_DROP_SCRATCH);
		return false;
	}
	r->mask = KB_OFF_MASK;
	r->limit = KB_RECORD_LIMIT;
	r->in_place = false;
	kb_start(r, pid_tgid, type, nparams);
	return true;
}

enum kb_begin_in_place_result {
	KB_PLACED,      /* r is a ring buffer reservation: fill, then kb_submit_in_place() */
	KB_SKIPPED,     /* the collector's own event: nothing to write */
	KB_USE_SCRATCH, /* no reservation (ring full, no ring): kb_begin() decides and counts */
};

/*
 * Starts a record of `type` in a reservation of `limit` + 8 bytes of this
 * CPU's ring buffer (`limit` a power of two, a constant: the verifier wants
 * the size of a reservation constant). The 8 bytes past the limit take the
 * widest integer written just below it.
 */
static __always_inline enum kb_begin_in_place_result kb_begin_in_place(struct kb_rec *r, u16 type, u16 nparams,
									 u32 limit)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (kb_skip_current(pid_tgid))
		return KB_SKIPPED;
	void *rb = kb_ring();
	if (!rb)
		return KB_USE_SCRATCH;
	r->buf = bpf_ringbuf_reserve(rb, limit + 8, 0);
	if (!r->buf)
		return KB_USE_SCRATCH;
	r->mask = limit - 1;
	r->limit = limit;
	r->in_place = true;
	kb_start(r, pid_tgid, type, nparams);
	return KB_PLACED;
}

/*
 * Opens param `idx` for writing: true when it is the next param and
 * `kind_fits` (the value being written suits the param's table type).
 * Otherwise marks the record for a param_mismatch drop and writes nothing.
 * Every writer opens its param this way and closes it with kb_set_len().
 */
static __always_inline bool kb_open_param(struct kb_rec *r, u32 idx, bool kind_fits)
{
	if (idx != r->idx || !kind_fits || idx >= KESTREL_MAX_PARAMS) {
		r->mismatch = true;
		return false;
	}
	return true;
}

/* Closes the param opened by kb_open_param() with `len` data bytes. */
static __always_inline void kb_set_len(struct kb_rec *r, u32 len)
{
	u16 *lens = (u16 *)(r->buf + KESTREL_EVENT_HDR_SIZE);
	lens[r->idx & (KESTREL_MAX_PARAMS - 1)] = (u16)len;
	r->idx++;
	r->off += len;
}

static __always_inline u8 *kb_cursor(struct kb_rec *r)
{
	return r->buf + (r->off & r->mask);
}

/*
 * How many bytes a string param may take at the cursor: `max` in the
 * scratch; in place, what is left below the limit. In place the cursor of a
 * string must be a constant offset (only fixed-width params before it),
 * which is what lets the verifier check a read of that size. The string
 * may then fill the room and be cut: kb_str_written() flags that.
 */
static __always_inline u32 kb_str_room(struct kb_rec *r, u32 max)
{
	if (!r->in_place)
		return max;
	if (r->off >= r->limit) {
		r->overflow = true;
		return 0;
	}
	u32 room = r->limit - r->off;
	return room < max ? room : max;
}

/* The length of a string read into `room` bytes (0 when unreadable). A read
 * that filled a room smaller than `max` may have been cut: in place, the
 * record is written again in the scratch. */
static __always_inline u32 kb_str_written(struct kb_rec *r, long n, u32 room, u32 max)
{
	if (r->in_place && room < max && n >= (long)room)
		r->overflow = true;
	return n > 0 ? n : 0;
}

/*
 * An integer param: as many bytes as the table's type says (1, 2, 4 or 8),
 * low bytes of `v` in host order. Callers pass signed values sign-extended
 * (an int argument as (s32)), exactly as the param should read.
 *
 * The width is chosen by the compiler (__builtin_choose_expr on the type,
 * an enum constant), not by a branch on it: clang left such a branch in
 * every filler (+20% instructions); this way a write is one store. A type
 * with no fixed width (a string, an address) is a kind mismatch.
 */
#define KB_PUT_INT(r, idx, type, v)                                                        \
	__builtin_choose_expr(KESTREL_PARAM_FIXED_SIZE(type) == 8, kb_put_u64((r), (idx), (u64)(v)), \
	__builtin_choose_expr(KESTREL_PARAM_FIXED_SIZE(type) == 4, kb_put_u32((r), (idx), (u32)(v)), \
	__builtin_choose_expr(KESTREL_PARAM_FIXED_SIZE(type) == 2, kb_put_u16((r), (idx), (u16)(v)), \
	__builtin_choose_expr(KESTREL_PARAM_FIXED_SIZE(type) == 1, kb_put_u8((r), (idx), (u8)(v)),    \
			      kb_put_not_an_int((r))))))

static __always_inline void kb_put_u64(struct kb_rec *r, u32 idx, u64 v)
{
	if (!kb_open_param(r, idx, true))
		return;
	*(u64 *)kb_cursor(r) = v;
	kb_set_len(r, 8);
}

static __always_inline void kb_put_u32(struct kb_rec *r, u32 idx, u32 v)
{
	if (!kb_open_param(r, idx, true))
		return;
	*(u32 *)kb_cursor(r) = v;
	kb_set_len(r, 4);
}

static __always_inline void kb_put_u16(struct kb_rec *r, u32 idx, u16 v)
{
	if (!kb_open_param(r, idx, true))
		return;
	*(u16 *)kb_cursor(r) = v;
	kb_set_len(r, 2);
}

static __always_inline void kb_put_u8(struct kb_rec *r, u32 idx, u8 v)
{
	if (!kb_open_param(r, idx, true))
		return;
	*kb_cursor(r) = v;
	kb_set_len(r, 1);
}

static __always_inline void kb_put_not_an_int(struct kb_rec *r)
{
	r->mismatch = true;
}

/* A param with no value (unreadable, not applicable): any type. */
static __always_inline void kb_put_empty(struct kb_rec *r, u32 idx, u32 type)
{
	(void)type; /* every type may be empty; taken for KB_P()'s sake */
	if (kb_open_param(r, idx, true))
		kb_set_len(r, 0);
}

/* A NUL-terminated string from user memory (CHARBUF, PATH); empty when
 * it cannot be read. */
static __always_inline void kb_put_user_str(struct kb_rec *r, u32 idx, u32 type, const void *uptr)
{
	if (!kb_open_param(r, idx, KESTREL_PARAM_IS_STRING(type)))
		return;
	long n = 0;
	u32 room = kb_str_room(r, KB_MAX_STR);
	if (uptr && room)
		n = bpf_probe_read_user_str(kb_cursor(r), room, uptr);
	kb_set_len(r, kb_str_written(r, n, room, KB_MAX_STR));
}

/* A NUL-terminated string from kernel memory, at most `max` bytes. */
static __always_inline void kb_put_kernel_str(struct kb_rec *r, u32 idx, u32 type, const void *kptr, u32 max)
{
	if (!kb_open_param(r, idx, KESTREL_PARAM_IS_STRING(type)))
		return;
	long n = 0;
	u32 room = kb_str_room(r, max);
	if (kptr && room)
		n = bpf_probe_read_kernel_str(kb_cursor(r), room, kptr);
	kb_set_len(r, kb_str_written(r, n, room, max));
}

/* The writers by name, for fillers holding `struct kb_rec r`. */
#define KB_PUT(r, ID, name, v) KB_PUT_INT(&(r), KP_##ID##_##name, KPT_##ID##_##name, (v))
#define KB_PUT_EMPTY(r, ID, name) kb_put_empty(&(r), KB_P(ID, name))
#define KB_PUT_USER_STR(r, ID, name, uptr) kb_put_user_str(&(r), KB_P(ID, name), (const void *)(uptr))

/* The host-compiled test of these writers (tests/ebpf/record_writer_host.c)
 * has no maps or bpf_loop; it supplies a filter that keeps everything. */
#ifndef KB_HOST_RECORD_WRITER_TEST
#include "ebpf/bpf/filter.bpf.h"
#endif

/* A record the ring had no room for: counted in total and by type. */
static __always_inline void kb_count_buffer_full(u32 type)
{
	kb_count_drop(KB_DROP_BUFFER_FULL);
	u64 *n = bpf_map_lookup_elem(&kb_buffer_full_by_type, &type);
	if (n)
		*n += 1;
}

#ifndef KB_HOST_RECORD_WRITER_TEST
#include "ebpf/bpf/defer.bpf.h"
#endif

/* False, counted, when the record's writes disagreed with the table: a
 * write out of order, of the wrong kind, or a param left out or added (the
 * record would not read as the table says). */
static __always_inline bool kb_params_match(const struct kb_rec *r)
{
	if (r->mismatch || r->idx != r->nparams) {
		kb_count_drop(KB_DROP_PARAM_MISMATCH);
		return false;
	}
	return true;
}

/* Copies the record to the ring buffer of this CPU's group, unless the
 * in-kernel filter drops or keeps it (filter.bpf.h, defer.bpf.h); kept
 * opens it reads go first. */
static __always_inline void kb_submit(struct kb_rec *r)
{
	if (!kb_params_match(r))
		return;
	u32 len = r->off;
	if (len >= KB_RECORD_LIMIT) {
		kb_count_drop(KB_DROP_TOO_LARGE);
		return;
	}
	((struct kestrel_event_hdr *)r->buf)->len = len;
	if (kb_filter_enabled && kb_filter_decide(r->buf, KB_OFF_MASK, false) != KB_SEND)
		return;
	void *rb = kb_ring();
	if (!rb) {
		kb_count_drop(KB_DROP_NO_BUFFER);
		return;
	}
	/*
	 * The mask is a no-op (len < KB_RECORD_LIMIT) that the verifier can
	 * see; the empty asm stops clang from proving that and dropping it.
	 */
	asm volatile("" : "+r"(len));
	if (bpf_ringbuf_output(rb, r->buf, len & KB_OFF_MASK, BPF_RB_NO_WAKEUP) != 0)
		kb_count_buffer_full(((struct kestrel_event_hdr *)r->buf)->type);
}

/*
 * Commits a record written in place (or discards it when the filter drops
 * or keeps it). False when it did not fit its reservation, or kept opens
 * must go before it: it is discarded and the caller writes it again in the
 * scratch.
 */
static __always_inline bool kb_submit_in_place(struct kb_rec *r)
{
	if (!kb_params_match(r)) {
		bpf_ringbuf_discard(r->buf, BPF_RB_NO_WAKEUP);
		return true;
	}
	if (r->overflow || r->off > r->limit) {
		bpf_ringbuf_discard(r->buf, BPF_RB_NO_WAKEUP);
		return false;
	}
	((struct kestrel_event_hdr *)r->buf)->len = r->off;
	if (kb_filter_enabled) {
		u32 d = kb_filter_decide(r->buf, r->mask, true);
		if (d != KB_SEND) {
			bpf_ringbuf_discard(r->buf, BPF_RB_NO_WAKEUP);
			return d == KB_DONE;
		}
	}
	bpf_ringbuf_submit(r->buf, BPF_RB_NO_WAKEUP);
	return true;
}

#endif /* KESTREL_EBPF_RECORD_BPF_H */
