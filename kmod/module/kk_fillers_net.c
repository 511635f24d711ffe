// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_net.c — sockets: connect (the rest of the family as it is
 * ported).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_*.bpf.h); what cannot be read is empty.
 */
#include <linux/errno.h>
#include <linux/uaccess.h>

#include "kk_fillers.h"

KK_FILLER(connect)
{
	KK_BEGIN(r, CONNECT);
	KK_PUT(r, CONNECT, res, ret);
	KK_PUT(r, CONNECT, fd, (s32)a[0]);
	/* -EINPROGRESS: a non-blocking connect already has both ends. */
	if (ret == 0 || ret == -EINPROGRESS)
		kk_put_tuple(&r, KK_P(CONNECT, tuple), (s32)a[0]);
	else
		KK_PUT_EMPTY(r, CONNECT, tuple);
	kk_put_user_sockaddr(&r, KK_P(CONNECT, addr), (const void __user *)a[1], a[2]);
	kk_submit(&r);
}
