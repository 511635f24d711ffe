// SPDX-License-Identifier: GPL-2.0
/*
 * kk_ring.c — the per-CPU rings userspace maps (layout and protocol in
 * kestrel_kmod_abi.h). Each ring has one producer, the probes running on
 * its CPU with preemption disabled, so head needs no lock; the only
 * ordering is release/acquire on head and tail against the record bytes.
 */
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kk.h"

int kk_rings_alloc(struct kk_state *st, u64 size)
{
	int cpu;

	st->rings = kcalloc(nr_cpu_ids, sizeof(*st->rings), GFP_KERNEL);
	st->scratch = kcalloc(nr_cpu_ids, sizeof(*st->scratch), GFP_KERNEL);
	if (!st->rings || !st->scratch)
		goto fail;
	st->buf_size = size;
	for_each_possible_cpu(cpu) {
		struct kk_ring *ring = kzalloc(sizeof(*ring), GFP_KERNEL);

		if (!ring)
			goto fail;
		st->rings[cpu] = ring;
		ring->mem = vmalloc_user(KESTREL_KMOD_RING_HDR_BYTES + size);
		st->scratch[cpu] = vmalloc(KESTREL_MAX_EVENT_SIZE);
		if (!ring->mem || !st->scratch[cpu])
			goto fail;
		ring->hdr = ring->mem;
		ring->data = (u8 *)ring->mem + KESTREL_KMOD_RING_HDR_BYTES;
		ring->size = size;
		ring->hdr->size = size;
	}
	return 0;
fail:
	kk_rings_free(st);
	return -ENOMEM;
}

void kk_rings_free(struct kk_state *st)
{
	int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (st->rings && st->rings[cpu]) {
			/* Pages still mapped by a process stay alive until it
			 * unmaps them (vmalloc_user pages are refcounted). */
			vfree(st->rings[cpu]->mem);
			kfree(st->rings[cpu]);
		}
		if (st->scratch)
			vfree(st->scratch[cpu]);
	}
	kfree(st->rings);
	kfree(st->scratch);
	st->rings = NULL;
	st->scratch = NULL;
}

void kk_ring_drop(struct kk_ring *ring, enum kestrel_kmod_drop_reason reason)
{
	ring->drops[reason]++;
	WRITE_ONCE(ring->hdr->drops[reason], ring->drops[reason]);
}

void kk_ring_filtered(struct kk_ring *ring, u16 type)
{
	if (type >= KESTREL_KMOD_TYPE_WORDS * 64)
		return;
	ring->filtered_by_type[type]++;
	WRITE_ONCE(ring->hdr->filtered_by_type[type], ring->filtered_by_type[type]);
}

/* Where a record of up to `need` bytes (8-aligned) goes: the ring offset
 * after `*pad` bytes of padding (the tail end, when it does not fit
 * before the end). False when the ring has no room for it (or userspace
 * wrote a tail no consumer could have). */
static bool kk_ring_room(struct kk_ring *ring, u64 need, u64 *pos, u64 *pad)
{
	u64 head = ring->head;
	/* tail is written by userspace: never trust it past head. */
	u64 tail = smp_load_acquire(&ring->hdr->tail);
	u64 to_end;

	*pos = head & (ring->size - 1);
	to_end = ring->size - *pos;
	*pad = need > to_end ? to_end : 0;
	return !(tail > head || head - tail > ring->size || head + *pad + need - tail > ring->size);
}

/* Moves head past what was written at it, for userspace to read. */
static void kk_ring_publish(struct kk_ring *ring, u64 head_advance)
{
	ring->head += head_advance;
	smp_store_release(&ring->hdr->head, ring->head);
}

u8 *kk_ring_reserve(struct kk_ring *ring, u32 max)
{
	u64 pos, pad;

	/* Only where no padding is needed: a record is never split, and the
	 * rare one that starts near the end goes through the scratch. */
	if (!kk_ring_room(ring, ALIGN((u64)max, 8), &pos, &pad) || pad)
		return NULL;
	return ring->data + pos;
}

void kk_ring_commit(struct kk_ring *ring, u32 len)
{
	kk_ring_publish(ring, ALIGN((u64)len, 8));
}

void kk_ring_write(struct kk_ring *ring, const void *rec, u32 len)
{
	u64 need = ALIGN((u64)len, 8);
	u64 pos, pad;

	if (!kk_ring_room(ring, need, &pos, &pad)) {
		u16 type = ((const struct kestrel_event_hdr *)rec)->type;

		kk_ring_drop(ring, KESTREL_KMOD_DROP_BUFFER_FULL);
		/* Userspace may scribble on the header page: keep our own count
		 * and publish it, as for drops[]. */
		if (type < KESTREL_KMOD_TYPE_WORDS * 64) {
			ring->buffer_full_by_type[type]++;
			WRITE_ONCE(ring->hdr->buffer_full_by_type[type], ring->buffer_full_by_type[type]);
		}
		return;
	}
	if (pad) {
		if (pad >= KESTREL_EVENT_HDR_SIZE) {
			struct kestrel_event_hdr *h = (void *)(ring->data + pos);

			memset(h, 0, sizeof(*h));
			h->len = (u32)pad; /* type 0: padding */
		}
		pos = 0;
	}
	memcpy(ring->data + pos, rec, len);
	kk_ring_publish(ring, pad + need);
}
