// SPDX-License-Identifier: GPL-2.0
/*
 * kk_record.c — building one event record (sources/abi/kestrel_event.h)
 * in this CPU's scratch and appending it to this CPU's ring.
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

	if (!st || !test_bit(type, st->types))
		return false;
	if (st->ignore_tgid && current->tgid == st->ignore_tgid)
		return false;
	preempt_disable();
	r->cpu = smp_processor_id();
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
	return true;
}

void kk_submit(struct kk_rec *r)
{
	struct kk_state *st = READ_ONCE(kk_live);
	struct kk_ring *ring = st ? st->rings[r->cpu] : NULL;

	if (ring) {
		/* A filler that pushed too few params would send garbage. */
		if (r->overflow || r->idx != r->nparams) {
			kk_ring_drop(ring, KESTREL_KMOD_DROP_TOO_LARGE);
		} else {
			((struct kestrel_event_hdr *)r->buf)->len = r->off;
			kk_ring_write(ring, r->buf, r->off);
		}
	}
	preempt_enable();
}

static void kk_set_len(struct kk_rec *r, u32 len)
{
	u16 *lens = (u16 *)(r->buf + KESTREL_EVENT_HDR_SIZE);

	if (r->idx >= r->nparams) {
		r->overflow = true;
		return;
	}
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

void kk_push_bytes(struct kk_rec *r, const void *src, u32 len)
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

void kk_push_empty(struct kk_rec *r)
{
	kk_set_len(r, 0);
}

void kk_push_s64(struct kk_rec *r, s64 v)
{
	kk_push_bytes(r, &v, sizeof(v));
}

void kk_push_u64(struct kk_rec *r, u64 v)
{
	kk_push_bytes(r, &v, sizeof(v));
}

void kk_push_u32(struct kk_rec *r, u32 v)
{
	kk_push_bytes(r, &v, sizeof(v));
}

void kk_push_u8(struct kk_rec *r, u8 v)
{
	kk_push_bytes(r, &v, sizeof(v));
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

void kk_push_user_str(struct kk_rec *r, const void __user *uptr, u32 max)
{
	u32 room;
	u8 *dst = kk_cursor(r, &room);

	if (max > room)
		max = room;
	kk_set_len(r, kk_copy_user_str(dst, uptr, max));
}

void kk_push_user_bytes(struct kk_rec *r, const void __user *uptr, u32 len, bool terminate)
{
	u32 room;
	u8 *dst = kk_cursor(r, &room);

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

void kk_push_path(struct kk_rec *r, const struct path *path)
{
	u32 room;
	u8 *dst = kk_cursor(r, &room);
	char *p;
	u32 n;

	if (room > KESTREL_MAX_PATH)
		room = KESTREL_MAX_PATH;
	if (!path || !path->dentry || room == 0) {
		kk_set_len(r, 0);
		return;
	}
	/* d_path() builds the name at the end of the buffer. */
	p = d_path(path, (char *)dst, room);
	if (IS_ERR(p)) {
		kk_set_len(r, 0);
		return;
	}
	n = strlen(p) + 1;
	memmove(dst, p, n);
	kk_set_len(r, n);
}
