// SPDX-License-Identifier: GPL-2.0
/*
 * kk_record.c — building one event record (sources/abi/kestrel_event.h)
 * in place at the head of this CPU's ring and committing it, or, when the
 * head is too near the ring's end or the ring too full to take a record of
 * KESTREL_MAX_EVENT_SIZE, in this CPU's scratch and copying it (which pads
 * to the start or counts a drop). In place saves a copy of every record.
 * Userspace maps the ring writable: nothing here reads back unbounded what
 * it wrote there (a length comes from the writer or a bounded scan), so a
 * scribbling consumer spoils only its own records.
 *
 * The probes run with preemption disabled (the tracepoint does that, and
 * kk_begin()/kk_submit() disable it once more so the CPU cannot change
 * between choosing the scratch and writing the ring). User memory is read
 * with the *_nofault copies: a page that is not resident gives an empty
 * param instead of a sleep.
 */
#include <linux/dcache.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kk.h"

bool kk_begin(struct kk_rec *r, u16 type, u16 nparams)
{
	struct kk_state *st = READ_ONCE(kk_live);
	struct kestrel_event_hdr *h;
	struct kk_ring *ring;

	if (!st || !test_bit(type, st->types))
		return false;
	if (st->ignore_tgid && current->tgid == st->ignore_tgid)
		return false;
	preempt_disable();
	r->cpu = smp_processor_id();
	ring = st->rings[r->cpu];
	r->buf = ring ? kk_ring_reserve(ring, KESTREL_MAX_EVENT_SIZE) : NULL;
	r->in_place = r->buf != NULL;
	if (!r->in_place)
		r->buf = st->scratch[r->cpu];
	h = (void *)r->buf;
	h->ts_ns = ktime_get_real_ns();
	h->tid = current->pid;
	h->tgid = current->tgid;
	h->type = type;
	h->nparams = nparams;
	h->len = 0;
	r->nparams = nparams;
	r->off = KESTREL_EVENT_HDR_SIZE + 2 * (u32)nparams;
	r->idx = 0;
	r->overflow = false;
	r->mismatch = false;
	return true;
}

void kk_submit(struct kk_rec *r)
{
	struct kk_state *st = READ_ONCE(kk_live);
	struct kk_ring *ring = st ? st->rings[r->cpu] : NULL;

	if (ring) {
		/* A write out of order or of the wrong kind, or a param left
		 * out: the record would not read as the table says. */
		if (r->mismatch || r->idx != r->nparams) {
			kk_ring_drop(ring, KESTREL_KMOD_DROP_PARAM_MISMATCH);
		} else if (r->overflow) {
			kk_ring_drop(ring, KESTREL_KMOD_DROP_TOO_LARGE);
		} else {
			((struct kestrel_event_hdr *)r->buf)->len = r->off;
			/* A filtered record written in place is simply not
			 * committed: the head stays where it was. */
			if (kk_filter_drops(st, r->buf, r->off))
				kk_ring_filtered(ring, ((struct kestrel_event_hdr *)r->buf)->type);
			else if (r->in_place)
				kk_ring_commit(ring, r->off);
			else
				kk_ring_write(ring, r->buf, r->off);
		}
	}
	preempt_enable();
}

bool kk_open_param(struct kk_rec *r, u32 idx, bool kind_fits)
{
	if (idx != r->idx || !kind_fits || idx >= r->nparams) {
		r->mismatch = true;
		return false;
	}
	return true;
}

/* Closes the param opened by kk_open_param() with `len` data bytes. */
static void kk_set_len(struct kk_rec *r, u32 len)
{
	u16 *lens = (u16 *)(r->buf + KESTREL_EVENT_HDR_SIZE);

	lens[r->idx++] = (u16)len;
	r->off += len;
}

u8 *kk_cursor(struct kk_rec *r, u32 *room)
{
	u32 left = r->off < KESTREL_MAX_EVENT_SIZE ? KESTREL_MAX_EVENT_SIZE - r->off : 0;

	/* One param's length must fit the u16 table entry. */
	*room = left > 0xffff ? 0xffff : left;
	return r->buf + r->off;
}

void kk_commit(struct kk_rec *r, u32 len)
{
	kk_set_len(r, len);
}

/* Copies `len` bytes into the opened param (empty and too_large if they
 * do not fit). */
static void kk_write_bytes(struct kk_rec *r, const void *src, u32 len)
{
	u32 room;
	u8 *dst = kk_cursor(r, &room);

	if (len > room) {
		r->overflow = true;
		len = 0;
	}
	memcpy(dst, src, len);
	kk_set_len(r, len);
}

void kk_put_int(struct kk_rec *r, u32 idx, u32 type, u64 v)
{
	u32 width = KESTREL_PARAM_FIXED_SIZE(type);
	union {
		u8 b1;
		u16 b2;
		u32 b4;
		u64 b8;
	} n;

	if (!kk_open_param(r, idx, width != 0))
		return;
	if (width == 1)
		n.b1 = (u8)v;
	else if (width == 2)
		n.b2 = (u16)v;
	else if (width == 4)
		n.b4 = (u32)v;
	else
		n.b8 = v;
	kk_write_bytes(r, &n, width);
}

void kk_put_empty(struct kk_rec *r, u32 idx, u32 type)
{
	if (kk_open_param(r, idx, true))
		kk_set_len(r, 0);
}

void kk_put_kernel_str(struct kk_rec *r, u32 idx, u32 type, const char *s, u32 len)
{
	if (kk_open_param(r, idx, KESTREL_PARAM_IS_STRING(type)))
		kk_write_bytes(r, s, len);
}

void kk_put_sock(struct kk_rec *r, u32 idx, u32 type, const void *src, u32 len)
{
	if (kk_open_param(r, idx, KESTREL_PARAM_IS_SOCKADDR(type) || KESTREL_PARAM_IS_SOCKTUPLE(type)))
		kk_write_bytes(r, src, len);
}

u32 kk_copy_user_str(u8 *dst, const void __user *uptr, u32 max)
{
	unsigned long addr = (unsigned long)uptr;
	u32 n = 0;

	if (!uptr || max == 0)
		return 0;
	/* Page by page: a string ending just before an unmapped page must
	 * not fail because a longer copy would touch that page. */
	while (n < max) {
		u32 chunk = PAGE_SIZE - ((addr + n) & ~PAGE_MASK);
		u8 *nul;

		if (chunk > max - n)
			chunk = max - n;
		if (copy_from_user_nofault(dst + n, (const void __user *)(addr + n), chunk))
			break;
		nul = memchr(dst + n, 0, chunk);
		if (nul)
			return (u32)(nul - dst) + 1;
		n += chunk;
	}
	if (n == 0)
		return 0;
	dst[n - 1] = 0; /* cut short (or unreadable tail): still a C string */
	return n;
}

/*
 * The probe's bpf_probe_read_user_str(), which is strncpy_from_user_nofault()
 * (not exported to modules on 6.1): a user string of at most `max` bytes
 * with its NUL into dst, read a word at a time up to the NUL, without
 * faulting pages in. Returns the bytes written with the NUL (max when cut
 * short, the last byte forced to NUL), 0 when a page before the NUL could
 * not be read. Unlike kk_copy_user_str() it stops at the NUL: the page-wise
 * copy read up to the rest of the page (up to 4 KiB) for every path.
 */
static u32 kk_strncpy_user_nofault(u8 *dst, const void __user *uptr, u32 max)
{
	long n;

	if (!uptr || max == 0)
		return 0;
	pagefault_disable();
	n = strncpy_from_user((char *)dst, uptr, max);
	pagefault_enable();
	if (n < 0)
		return 0;
	if (n >= max) {
		dst[max - 1] = 0;
		return max;
	}
	return (u32)n + 1;
}

void kk_put_user_str(struct kk_rec *r, u32 idx, u32 type, const void __user *uptr, u32 max)
{
	u32 room, n;
	u8 *dst;

	if (!kk_open_param(r, idx, KESTREL_PARAM_IS_STRING(type)))
		return;
	dst = kk_cursor(r, &room);

	if (max > room)
		max = room;
	n = kk_strncpy_user_nofault(dst, uptr, max);
	/* As the probe counts: an empty string and one unreadable before its
	 * NUL (or max) are both an empty param, not "" or a cut prefix.
	 * (n == 1 < max: the NUL came first.) */
	if (n == 1 && max > 1)
		n = 0;
	kk_set_len(r, n);
}

void kk_put_user_bytes(struct kk_rec *r, u32 idx, u32 type, const void __user *uptr, u32 len,
		       bool terminate)
{
	u32 room;
	u8 *dst;

	if (!kk_open_param(r, idx, KESTREL_PARAM_IS_STRING_ARRAY(type) || KESTREL_PARAM_IS_BYTES(type)))
		return;
	dst = kk_cursor(r, &room);

	if (len > room)
		len = room;
	if (!uptr || len == 0 || copy_from_user_nofault(dst, uptr, len)) {
		kk_set_len(r, 0);
		return;
	}
	if (terminate)
		dst[len - 1] = 0;
	kk_set_len(r, len);
}

void kk_put_path(struct kk_rec *r, u32 idx, u32 type, const struct path *path)
{
	u32 room;
	u8 *dst;
	char *p;
	u32 n;

	if (!kk_open_param(r, idx, KESTREL_PARAM_IS_STRING(type)))
		return;
	dst = kk_cursor(r, &room);
	if (room > KESTREL_MAX_PATH)
		room = KESTREL_MAX_PATH;
	if (!path || !path->dentry || room == 0) {
		kk_set_len(r, 0);
		return;
	}
	/* d_path() builds the name at the end of the buffer. dst may be the
	 * ring, which userspace can write meanwhile: its NUL is looked for
	 * within the buffer only (none: an empty param). */
	p = d_path(path, (char *)dst, room);
	if (IS_ERR(p)) {
		kk_set_len(r, 0);
		return;
	}
	n = (u32)strnlen(p, (char *)dst + room - p);
	if (n == (u32)((char *)dst + room - p)) {
		kk_set_len(r, 0);
		return;
	}
	n += 1;
	memmove(dst, p, n);
	kk_set_len(r, n);
}
