// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_file.c — files and directories: the open family, close, the
 * unlink family (the rest of the family as it is ported).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_*.bpf.h); what cannot be read is empty.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "kk_fillers.h"

KK_FILLER(open)
{
	KK_BEGIN(r, OPEN);
	KK_PUT(r, OPEN, fd, ret);
	KK_PUT_USER_STR(r, OPEN, name, a[0], KESTREL_MAX_PATH);
	KK_PUT(r, OPEN, flags, a[1]);
	KK_PUT(r, OPEN, mode, a[2]);
	KK_PUT_FD_DEV_INO(r, OPEN, ret);
	kk_submit(&r);
}

KK_FILLER(openat)
{
	KK_BEGIN(r, OPENAT);
	KK_PUT(r, OPENAT, fd, ret);
	KK_PUT(r, OPENAT, dirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, OPENAT, name, a[1], KESTREL_MAX_PATH);
	KK_PUT(r, OPENAT, flags, a[2]);
	KK_PUT(r, OPENAT, mode, a[3]);
	KK_PUT_FD_DEV_INO(r, OPENAT, ret);
	kk_submit(&r);
}

KK_FILLER(close)
{
	KK_BEGIN(r, CLOSE);
	KK_PUT(r, CLOSE, res, ret);
	KK_PUT(r, CLOSE, fd, (s32)a[0]);
	kk_submit(&r);
}

KK_FILLER(unlink)
{
	KK_BEGIN(r, UNLINK);
	KK_PUT(r, UNLINK, res, ret);
	KK_PUT_USER_STR(r, UNLINK, path, a[0], KESTREL_MAX_PATH);
	kk_submit(&r);
}

KK_FILLER(unlinkat)
{
	KK_BEGIN(r, UNLINKAT);
	KK_PUT(r, UNLINKAT, res, ret);
	KK_PUT(r, UNLINKAT, dirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, UNLINKAT, name, a[1], KESTREL_MAX_PATH);
	KK_PUT(r, UNLINKAT, flags, a[2]);
	kk_submit(&r);
}
