// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_security.c — security-relevant syscalls: module loading (the
 * rest of the family as it is ported).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_*.bpf.h); what cannot be read is empty.
 */
#include <linux/uaccess.h>

#include "kk_fillers.h"

KK_FILLER(init_module)
{
	KK_BEGIN(r, INIT_MODULE);
	KK_PUT(r, INIT_MODULE, res, ret);
	KK_PUT(r, INIT_MODULE, length, a[1]);
	KK_PUT_USER_STR(r, INIT_MODULE, uargs, a[2], KESTREL_MAX_DATA_BYTES);
	kk_submit(&r);
}

KK_FILLER(finit_module)
{
	KK_BEGIN(r, FINIT_MODULE);
	KK_PUT(r, FINIT_MODULE, res, ret);
	KK_PUT(r, FINIT_MODULE, fd, (s32)a[0]);
	KK_PUT_USER_STR(r, FINIT_MODULE, uargs, a[1], KESTREL_MAX_DATA_BYTES);
	KK_PUT(r, FINIT_MODULE, flags, a[2]);
	kk_submit(&r);
}
