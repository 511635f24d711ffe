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

/* Up to KESTREL_MAX_DATA_BYTES from user memory (nothing if len <= 0). */
static __always_inline void kb_push_user_data(struct kb_rec *r, const void *uptr, long len)
{
	if (len <= 0 || !uptr) {
		kb_push_empty(r);
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

/* res, fd, size, data (+ pos): read/write/pread64/pwrite64. */
static __always_inline int kb_rw(struct trace_event_raw_sys_exit *ctx, u16 type, u16 nparams, bool is_read,
				 bool has_pos)
{
	long ret = ctx->ret;
	struct kb_rec r;
	if (!kb_begin(&r, type, nparams))
		return 0;
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u64(&r, a.a[2]);
	/* A read transferred `ret` bytes; a write's buffer held them all along. */
	kb_push_user_data(&r, (void *)a.a[1], is_read ? ret : (ret >= 0 ? ret : (long)a.a[2]));
	if (has_pos)
		kb_push_u64(&r, a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(read) { return kb_rw(ctx, KE_READ, KP_READ_COUNT, true, false); }
KB_SYSCALL_EXIT(write) { return kb_rw(ctx, KE_WRITE, KP_WRITE_COUNT, false, false); }
KB_SYSCALL_EXIT(pread64) { return kb_rw(ctx, KE_PREAD64, KP_PREAD64_COUNT, true, true); }
KB_SYSCALL_EXIT(pwrite64) { return kb_rw(ctx, KE_PWRITE64, KP_PWRITE64_COUNT, false, true); }

/* res, fd, size, data (+ pos): readv/writev/preadv/pwritev. */
static __always_inline int kb_rwv(struct trace_event_raw_sys_exit *ctx, u16 type, u16 nparams, bool is_read,
				  bool has_pos)
{
	long ret = ctx->ret;
	struct kb_rec r;
	if (!kb_begin(&r, type, nparams))
		return 0;
	KB_ARGS(a);
	struct kb_iov_summary iov;
	kb_read_iov((const struct iovec *)a.a[1], a.a[2], &iov);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u64(&r, iov.total);
	long n = ret < 0 ? (is_read ? 0 : (long)iov.len0) : (ret < (long)iov.len0 ? ret : (long)iov.len0);
	kb_push_user_data(&r, iov.base0, n);
	if (has_pos)
		kb_push_u64(&r, a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(readv) { return kb_rwv(ctx, KE_READV, KP_READV_COUNT, true, false); }
KB_SYSCALL_EXIT(writev) { return kb_rwv(ctx, KE_WRITEV, KP_WRITEV_COUNT, false, false); }
KB_SYSCALL_EXIT(preadv) { return kb_rwv(ctx, KE_PREADV, KP_PREADV_COUNT, true, true); }
KB_SYSCALL_EXIT(pwritev) { return kb_rwv(ctx, KE_PWRITEV, KP_PWRITEV_COUNT, false, true); }

/*
 * res, fd, size, data, tuple: sendto/recvfrom (buffer in args) and
 * sendmsg/recvmsg (buffer in the msghdr's first iovec). The tuple is the
 * socket's own view: local end first for sends, remote end first for
 * receives (client -> server as Falco shows it for the common case).
 */
static __always_inline int kb_sendrecv(struct trace_event_raw_sys_exit *ctx, u16 type, u16 nparams, bool is_send,
				       bool is_msg)
{
	long ret = ctx->ret;
	struct kb_rec r;
	if (!kb_begin(&r, type, nparams))
		return 0;
	KB_ARGS(a);
	const void *buf = (const void *)a.a[1];
	u64 size = a.a[2];
	if (is_msg) {
		struct user_msghdr msg = {};
		bpf_probe_read_user(&msg, sizeof(msg), (void *)a.a[1]);
		struct kb_iov_summary iov;
		kb_read_iov(msg.msg_iov, msg.msg_iovlen, &iov);
		buf = iov.base0;
		size = iov.total;
	}
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u64(&r, size);
	long n = ret < 0 ? 0 : (ret < (long)size ? ret : (long)size);
	kb_push_user_data(&r, buf, n);
	kb_push_tuple(&r, kb_fd_sock((s32)a.a[0]), is_send);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(sendto) { return kb_sendrecv(ctx, KE_SENDTO, KP_SENDTO_COUNT, true, false); }
KB_SYSCALL_EXIT(recvfrom) { return kb_sendrecv(ctx, KE_RECVFROM, KP_RECVFROM_COUNT, false, false); }
KB_SYSCALL_EXIT(sendmsg) { return kb_sendrecv(ctx, KE_SENDMSG, KP_SENDMSG_COUNT, true, true); }
KB_SYSCALL_EXIT(recvmsg) { return kb_sendrecv(ctx, KE_RECVMSG, KP_RECVMSG_COUNT, false, true); }

#endif /* KESTREL_EBPF_FILLERS_IO_BPF_H */
