/*
 * fillers_io.bpf.h — read/write and send/recv families (KEF_IO).
 *
 * High-volume: the source leaves them detached unless the capture set asks
 * for them. `data` is the first KESTREL_MAX_DATA_BYTES of the transferred
 * bytes, read at exit from the caller's buffer (for the vector variants, the
 * first iovec's); `size` is the byte count the caller asked for.
 */
#ifndef KESTREL_EBPF_FILLERS_IO_BPF_H
#define KESTREL_EBPF_FILLERS_IO_BPF_H

#define KB_MAX_IOV 8

/* BYTES param `idx`: up to KESTREL_MAX_DATA_BYTES from user memory
 * (empty if len <= 0 or unreadable). */
static __always_inline void kb_put_user_data(struct kb_rec *r, u32 idx, u32 type, const void *uptr, long len)
{
	if (!kb_open_param(r, idx, KESTREL_PARAM_IS_BYTES(type)))
		return;
	if (len <= 0 || !uptr) {
		kb_set_len(r, 0);
		return;
	}
	if (len > KESTREL_MAX_DATA_BYTES)
		len = KESTREL_MAX_DATA_BYTES;
	asm volatile("" : "+r"(len));
	len &= (2 * KESTREL_MAX_DATA_BYTES - 1);
	if (bpf_probe_read_user(kb_cursor(r), len, uptr) != 0)
		len = 0;
	kb_set_len(r, len);
}

/* The first iovec, and the total length of up to KB_MAX_IOV of them. */
struct kb_iov_summary {
	const void *base0;
	u64 len0;
	u64 total;
};

static __always_inline void kb_read_iov(const struct iovec *uiov, u64 n, struct kb_iov_summary *out)
{
	out->base0 = NULL;
	out->len0 = 0;
	out->total = 0;
	for (int i = 0; i < KB_MAX_IOV; i++) {
		if ((u64)i >= n)
			break;
		struct iovec v = {};
		if (bpf_probe_read_user(&v, sizeof(v), &uiov[i]) != 0)
			break;
		if (i == 0) {
			out->base0 = v.iov_base;
			out->len0 = v.iov_len;
		}
		out->total += v.iov_len;
	}
}

/*
 * res, fd, size, data: read/write/pread64/pwrite64 (KB_RW), and with pos
 * (KB_RW_POS). A read transferred `ret` bytes; a write's buffer held them
 * all along, so a failed write still shows what it tried to write.
 */
#define KB_RW_COMMON(r, ID, ret, a, is_read)                                                 \
	KB_PUT(r, ID, res, ret);                                                             \
	KB_PUT(r, ID, fd, (s32)(a).a[0]);                                                    \
	KB_PUT(r, ID, size, (a).a[2]);                                                       \
	kb_put_user_data(&(r), KB_P(ID, data), (void *)(a).a[1],                             \
			 (is_read) ? (ret) : ((ret) >= 0 ? (ret) : (long)(a).a[2]))

/* One exit program for the read/write families: COMMON writes the shared
 * params, TAIL what follows them (nothing, or the position). */
#define KB_IO_EXIT(name, ID, COMMON, is_read, TAIL)     \
	KB_SYSCALL_EXIT(name)                           \
	{                                               \
		long ret = ctx->ret;                    \
		KB_BEGIN(r, ID);                        \
		KB_ARGS(a);                             \
		COMMON(r, ID, ret, a, is_read);         \
		TAIL(r, ID, a);                         \
		kb_submit(&r);                          \
		return 0;                               \
	}
#define KB_NO_TAIL(r, ID, a)
#define KB_POS_TAIL(r, ID, a) KB_PUT(r, ID, pos, (a).a[3])

#define KB_RW(name, ID, is_read) KB_IO_EXIT(name, ID, KB_RW_COMMON, is_read, KB_NO_TAIL)
#define KB_RW_POS(name, ID, is_read) KB_IO_EXIT(name, ID, KB_RW_COMMON, is_read, KB_POS_TAIL)

KB_RW(read, READ, true)
KB_RW(write, WRITE, false)
KB_RW_POS(pread64, PREAD64, true)
KB_RW_POS(pwrite64, PWRITE64, false)

/* res, fd, size, data (+ pos): readv/writev/preadv/pwritev. */
#define KB_RWV_COMMON(r, ID, ret, a, is_read)                                                        \
	struct kb_iov_summary iov;                                                                   \
	kb_read_iov((const struct iovec *)(a).a[1], (a).a[2], &iov);                                 \
	KB_PUT(r, ID, res, ret);                                                                     \
	KB_PUT(r, ID, fd, (s32)(a).a[0]);                                                            \
	KB_PUT(r, ID, size, iov.total);                                                              \
	kb_put_user_data(&(r), KB_P(ID, data), iov.base0,                                            \
			 (ret) < 0 ? ((is_read) ? 0 : (long)iov.len0)                                \
				   : ((ret) < (long)iov.len0 ? (ret) : (long)iov.len0))

#define KB_RWV(name, ID, is_read) KB_IO_EXIT(name, ID, KB_RWV_COMMON, is_read, KB_NO_TAIL)
#define KB_RWV_POS(name, ID, is_read) KB_IO_EXIT(name, ID, KB_RWV_COMMON, is_read, KB_POS_TAIL)

KB_RWV(readv, READV, true)
KB_RWV(writev, WRITEV, false)
KB_RWV_POS(preadv, PREADV, true)
KB_RWV_POS(pwritev, PWRITEV, false)

/*
 * res, fd, size, data, tuple: sendto/recvfrom (buffer in args) and
 * sendmsg/recvmsg (buffer in the msghdr's first iovec). The tuple is the
 * socket's own view: local end first for sends, remote end first for
 * receives (client -> server as Falco shows it for the common case).
 */
#define KB_SENDRECV(name, ID, is_send, is_msg)                                                  \
	KB_SYSCALL_EXIT(name)                                                                   \
	{                                                                                       \
		long ret = ctx->ret;                                                            \
		KB_BEGIN(r, ID);                                                                \
		KB_ARGS(a);                                                                     \
		const void *buf = (const void *)a.a[1];                                         \
		u64 size = a.a[2];                                                              \
		bool size_known = true;                                                         \
		if (is_msg) {                                                                   \
			struct user_msghdr msg = {};                                            \
			size_known = bpf_probe_read_user(&msg, sizeof(msg), (void *)a.a[1]) == 0; \
			struct kb_iov_summary iov;                                              \
			kb_read_iov(msg.msg_iov, msg.msg_iovlen, &iov);                         \
			buf = iov.base0;                                                        \
			size = iov.total;                                                       \
		}                                                                               \
		KB_PUT(r, ID, res, ret);                                                        \
		KB_PUT(r, ID, fd, (s32)a.a[0]);                                                 \
		if (size_known)                                                                 \
			KB_PUT(r, ID, size, size);                                              \
		else                                                                            \
			KB_PUT_EMPTY(r, ID, size);                                              \
		long n = ret < 0 ? 0 : (ret < (long)size ? ret : (long)size);                   \
		kb_put_user_data(&r, KB_P(ID, data), buf, n);                                   \
		KB_PUT_TUPLE(r, ID, tuple, kb_fd_sock((s32)a.a[0]), is_send);                   \
		kb_submit(&r);                                                                  \
		return 0;                                                                       \
	}

KB_SENDRECV(sendto, SENDTO, true, false)
KB_SENDRECV(recvfrom, RECVFROM, false, false)
KB_SENDRECV(sendmsg, SENDMSG, true, true)
KB_SENDRECV(recvmsg, RECVMSG, false, true)

#endif /* KESTREL_EBPF_FILLERS_IO_BPF_H */
