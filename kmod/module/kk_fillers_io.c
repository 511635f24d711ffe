// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_io.c — data I/O: read, write, pread64, pwrite64, readv,
 * writev, preadv, pwritev, sendto, recvfrom, sendmsg, recvmsg.
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_io.bpf.h); what cannot be read is empty. `data` is the
 * first KESTREL_MAX_DATA_BYTES of the transferred bytes, read at exit from
 * the caller's buffer (for the vector variants, the first iovec's); `size`
 * is the byte count the caller asked for.
 *
 * These are the high-volume types: the dispatch calls a filler only for a
 * captured type, and each filler's first step is KK_BEGIN, so a syscall
 * whose type is not captured costs no user-memory read.
 */
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kk_fillers.h"

/* The kernel's READ and WRITE (0 and 1, I/O directions) would expand the
 * event IDs READ and WRITE where the filler macros below pass them on;
 * nothing after this point uses the kernel's. */
#undef READ
#undef WRITE

/* kb_read_iov: how many iovecs are summed into `size`. */
#define KK_MAX_IOV 8

/* BYTES param `idx`: up to KESTREL_MAX_DATA_BYTES from user memory (empty
 * if len <= 0 or unreadable), as kb_put_user_data. */
static void kk_put_user_data(struct kk_rec *r, u32 idx, u32 type, const void __user *uptr, long len)
{
	if (len <= 0 || !uptr)
		len = 0;
	else if (len > KESTREL_MAX_DATA_BYTES)
		len = KESTREL_MAX_DATA_BYTES;
	kk_put_user_bytes(r, idx, type, uptr, (u32)len, false);
}

#define KK_PUT_USER_DATA(r, ID, uptr, len) \
	kk_put_user_data(&(r), KK_P(ID, data), (const void __user *)(uptr), (len))

/* The first iovec, and the total length of up to KK_MAX_IOV of them. */
struct kk_iov_summary {
	const void __user *base0;
	u64 len0;
	u64 total;
};

/* As kb_read_iov: one iovec at a time, stopping at the first that cannot
 * be read (the ones before it still count). */
static void kk_read_iov(const struct iovec __user *uiov, u64 n, struct kk_iov_summary *out)
{
	struct iovec v;
	u64 i;

	out->base0 = NULL;
	out->len0 = 0;
	out->total = 0;
	for (i = 0; i < KK_MAX_IOV && i < n; i++) {
		if (copy_from_user_nofault(&v, &uiov[i], sizeof(v)))
			break;
		if (i == 0) {
			out->base0 = v.iov_base;
			out->len0 = v.iov_len;
		}
		out->total += v.iov_len;
	}
}

/*
 * res, fd, size, data: read/write/pread64/pwrite64, then TAIL (nothing, or
 * pos). A read transferred `ret` bytes; a write's buffer held them all
 * along, so a failed write still shows what it tried to write.
 */
#define KK_NO_TAIL(r, ID)
#define KK_POS_TAIL(r, ID) KK_PUT(r, ID, pos, a[3])

#define KK_RW_FILLER(name, ID, is_read, TAIL)                                         \
	KK_FILLER(name)                                                               \
	{                                                                             \
		KK_BEGIN(r, ID);                                                      \
		KK_PUT(r, ID, res, ret);                                              \
		KK_PUT(r, ID, fd, (s32)a[0]);                                         \
		KK_PUT(r, ID, size, a[2]);                                            \
		KK_PUT_USER_DATA(r, ID, a[1],                                         \
				 (is_read) ? ret : (ret >= 0 ? ret : (long)a[2]));    \
		TAIL(r, ID);                                                          \
		kk_submit(&r);                                                        \
	}

KK_RW_FILLER(read, READ, true, KK_NO_TAIL)
KK_RW_FILLER(write, WRITE, false, KK_NO_TAIL)
KK_RW_FILLER(pread64, PREAD64, true, KK_POS_TAIL)
KK_RW_FILLER(pwrite64, PWRITE64, false, KK_POS_TAIL)

/* The data length of a vector call: what landed in (or, for a failed
 * write, was offered from) the first iovec. Signed compares, as the probe. */
static long kk_iov_data_len(long ret, const struct kk_iov_summary *iov, bool is_read)
{
	if (ret < 0)
		return is_read ? 0 : (long)iov->len0;
	return ret < (long)iov->len0 ? ret : (long)iov->len0;
}

/* res, fd, size (sum of the iovecs), data (from the first), then TAIL:
 * readv/writev/preadv/pwritev. */
#define KK_RWV_FILLER(name, ID, is_read, TAIL)                                             \
	KK_FILLER(name)                                                                    \
	{                                                                                  \
		struct kk_iov_summary iov;                                                 \
		KK_BEGIN(r, ID);                                                           \
		kk_read_iov((const struct iovec __user *)a[1], a[2], &iov);                \
		KK_PUT(r, ID, res, ret);                                                   \
		KK_PUT(r, ID, fd, (s32)a[0]);                                              \
		KK_PUT(r, ID, size, iov.total);                                            \
		KK_PUT_USER_DATA(r, ID, iov.base0, kk_iov_data_len(ret, &iov, (is_read))); \
		TAIL(r, ID);                                                               \
		kk_submit(&r);                                                             \
	}

KK_RWV_FILLER(readv, READV, true, KK_NO_TAIL)
KK_RWV_FILLER(writev, WRITEV, false, KK_NO_TAIL)
KK_RWV_FILLER(preadv, PREADV, true, KK_POS_TAIL)
KK_RWV_FILLER(pwritev, PWRITEV, false, KK_POS_TAIL)

/*
 * res, fd, size, data, tuple: sendto/recvfrom (buffer in the arguments)
 * and sendmsg/recvmsg (buffer: the msghdr's first iovec; size unknown when
 * the msghdr cannot be read). The tuple is the socket's own view: local
 * end first for sends, remote end first for receives.
 */
#define KK_SENDRECV_FILLER(name, ID, is_send, is_msg)                                           \
	KK_FILLER(name)                                                                         \
	{                                                                                       \
		const void __user *buf = (const void __user *)a[1];                             \
		u64 size = a[2];                                                                \
		bool size_known = true;                                                         \
		KK_BEGIN(r, ID);                                                                \
		if (is_msg) {                                                                   \
			struct user_msghdr msg = {};                                            \
			struct kk_iov_summary iov;                                              \
			size_known = !copy_from_user_nofault(&msg, (const void __user *)a[1],   \
							     sizeof(msg));                      \
			if (!size_known)                                                        \
				memset(&msg, 0, sizeof(msg));                                   \
			kk_read_iov(msg.msg_iov, msg.msg_iovlen, &iov);                         \
			buf = iov.base0;                                                        \
			size = iov.total;                                                       \
		}                                                                               \
		KK_PUT(r, ID, res, ret);                                                        \
		KK_PUT(r, ID, fd, (s32)a[0]);                                                   \
		if (size_known)                                                                 \
			KK_PUT(r, ID, size, size);                                              \
		else                                                                            \
			KK_PUT_EMPTY(r, ID, size);                                              \
		KK_PUT_USER_DATA(r, ID, buf, ret < 0 ? 0 : (ret < (long)size ? ret : (long)size)); \
		KK_PUT_TUPLE(r, ID, tuple, (s32)a[0], (is_send));                               \
		kk_submit(&r);                                                                  \
	}

KK_SENDRECV_FILLER(sendto, SENDTO, true, false)
KK_SENDRECV_FILLER(recvfrom, RECVFROM, false, false)
KK_SENDRECV_FILLER(sendmsg, SENDMSG, true, true)
KK_SENDRECV_FILLER(recvmsg, RECVMSG, false, true)
