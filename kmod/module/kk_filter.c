// SPDX-License-Identifier: GPL-2.0
/*
 * kk_filter.c — the in-kernel event filter of the module (issue #19): the
 * blob KESTREL_IOC_SET_FILTER hands over, checked whole and published with
 * RCU, and the check kk_submit() makes on each finished record before it
 * goes into the ring. The checking and judging are kk_filter_core.h, which
 * the host's tests compile too.
 */
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kk.h"
#include "kk_filter_core.h"

/* A published filter: the checked set and the blob its atoms live in. */
struct kk_filter {
	struct kk_filter_set set;
	void *blob;
};

static void kk_filter_free(struct kk_filter *f)
{
	if (!f)
		return;
	kvfree(f->blob);
	kvfree(f);
}

long kk_filter_set_from_user(struct kk_state *st, const struct kestrel_kmod_filter_req *req)
{
	struct kk_filter *f = NULL, *old;
	const struct kestrel_kmod_filter_hdr *h;
	const char *err;

	if (req->len < sizeof(*h) || req->len > kk_filter_blob_bytes(KE_COUNT, KESTREL_KMOD_FILTER_MAX_PATHS))
		return -EINVAL;
	f = kvzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->blob = kvmalloc(req->len, GFP_KERNEL);
	if (!f->blob) {
		kk_filter_free(f);
		return -ENOMEM;
	}
	if (copy_from_user(f->blob, u64_to_user_ptr(req->addr), req->len)) {
		kk_filter_free(f);
		return -EFAULT;
	}
	err = kk_filter_parse(&f->set, f->blob, req->len);
	if (err) {
		pr_warn_ratelimited("kestrel: filter refused: %s\n", err);
		kk_filter_free(f);
		return -EINVAL;
	}
	h = f->blob;
	if (h->nfilters == 0) { /* the filter off */
		kk_filter_free(f);
		f = NULL;
	}
	/* The caller holds the device's lock: one writer. */
	old = rcu_replace_pointer(st->filter, f, true);
	if (old) {
		synchronize_rcu(); /* no probe still reads it */
		kk_filter_free(old);
	}
	return 0;
}

void kk_filter_release(struct kk_state *st)
{
	/* The probes are gone (kk_stop waited for them). */
	kk_filter_free(rcu_replace_pointer(st->filter, NULL, true));
}

bool kk_filter_drops(struct kk_state *st, const u8 *rec, u32 len)
{
	struct kk_filter *f;
	bool drop = false;

	rcu_read_lock();
	f = rcu_dereference(st->filter);
	if (f)
		drop = kk_filter_drops_record(&f->set, rec, len);
	rcu_read_unlock();
	return drop;
}
