/*
 * record.bpf.h — building one event record (sources/abi/kestrel_event.h)
 * in the per-CPU scratch and submitting it to this CPU's ring buffer.
 *
 * A filler calls kb_begin(type, KP_<EVENT>_COUNT), then one kb_push_*() per
 * param in events.def order, then kb_submit(). Every push sets the next
 * entry of the param_len table, so the data and the table cannot disagree;
 * a param that cannot be read is pushed with length 0 (<NA> for readers).
 *
 * All offsets are masked with KB_RECORD_LIMIT - 1 before a write, which is
 * what lets the verifier accept variable-length params; kb_submit() drops
 * (and counts) a record whose running offset reached the limit, so a masked
 * wrap-around is never sent.
 */
#ifndef KESTREL_EBPF_RECORD_BPF_H
#define KESTREL_EBPF_RECORD_BPF_H

#define KB_OFF_MASK (KB_RECORD_LIMIT - 1)

struct kb_rec {
	u8 *buf;
	u32 off; /* next data byte */
	u32 idx; /* next param */
};

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

/*
 * Starts a record of `type` with `nparams` params for the current task,
 * unless the task's process is the one the loader asked to ignore.
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
	struct kestrel_event_hdr *h = (void *)r->buf;
	h->ts_ns = kb_now_ns();
	h->tid = (u32)pid_tgid;
	h->tgid = pid_tgid >> 32;
	h->type = type;
	h->nparams = nparams;
	r->off = KESTREL_EVENT_HDR_SIZE + 2 * (u32)nparams;
	r->idx = 0;
	return true;
}

static __always_inline void kb_set_len(struct kb_rec *r, u32 len)
{
	u16 *lens = (u16 *)(r->buf + KESTREL_EVENT_HDR_SIZE);
	lens[r->idx & (KESTREL_MAX_PARAMS - 1)] = (u16)len;
	r->idx++;
	r->off += len;
}

static __always_inline u8 *kb_cursor(struct kb_rec *r)
{
	return r->buf + (r->off & KB_OFF_MASK);
}

static __always_inline void kb_push_s64(struct kb_rec *r, s64 v)
{
	*(s64 *)kb_cursor(r) = v;
	kb_set_len(r, 8);
}

static __always_inline void kb_push_u64(struct kb_rec *r, u64 v)
{
	*(u64 *)kb_cursor(r) = v;
	kb_set_len(r, 8);
}

static __always_inline void kb_push_u32(struct kb_rec *r, u32 v)
{
	*(u32 *)kb_cursor(r) = v;
	kb_set_len(r, 4);
}

static __always_inline void kb_push_s32(struct kb_rec *r, s32 v)
{
	*(s32 *)kb_cursor(r) = v;
	kb_set_len(r, 4);
}

static __always_inline void kb_push_u8(struct kb_rec *r, u8 v)
{
	*kb_cursor(r) = v;
	kb_set_len(r, 1);
}

static __always_inline void kb_push_empty(struct kb_rec *r)
{
	kb_set_len(r, 0);
}

/* A NUL-terminated string from user memory (CHARBUF, PATH). */
static __always_inline void kb_push_user_str(struct kb_rec *r, const void *uptr)
{
	long n = 0;
	if (uptr)
		n = bpf_probe_read_user_str(kb_cursor(r), KB_MAX_STR, uptr);
	kb_set_len(r, n > 0 ? n : 0);
}

/* A NUL-terminated string from kernel memory. */
static __always_inline void kb_push_kernel_str(struct kb_rec *r, const void *kptr)
{
	long n = 0;
	if (kptr)
		n = bpf_probe_read_kernel_str(kb_cursor(r), KB_MAX_STR, kptr);
	kb_set_len(r, n > 0 ? n : 0);
}

/* Copies the record to the ring buffer of this CPU's group. */
static __always_inline void kb_submit(struct kb_rec *r)
{
	u32 len = r->off;
	if (len >= KB_RECORD_LIMIT) {
		kb_count_drop(KB_DROP_TOO_LARGE);
		return;
	}
	((struct kestrel_event_hdr *)r->buf)->len = len;
	u32 ring = bpf_get_smp_processor_id() / kb_cpus_per_buffer;
	void *rb = bpf_map_lookup_elem(&kb_ringbufs, &ring);
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
		kb_count_drop(KB_DROP_BUFFER_FULL);
}

#endif /* KESTREL_EBPF_RECORD_BPF_H */
