/*
 * record_writer_host.c — ebpf/bpf/record.bpf.h compiled for the host.
 *
 * The writer is plain C over a scratch buffer; only the BPF helpers and
 * maps it touches need stand-ins here: map lookups return host arrays,
 * bpf_ringbuf_output() copies into `output`, string reads copy host
 * memory. Everything the test checks (the index and kind checks, the
 * count check and the drop counter) is the probe's own code.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tests/ebpf/record_writer_host.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
#ifndef __always_inline /* glibc's sys/cdefs.h has it */
#define __always_inline inline __attribute__((always_inline))
#endif
#define BPF_RB_NO_WAKEUP 1

#include "sources/abi/kestrel_event.h"
#include "ebpf/bpf/probe_abi.h"

/* The maps (only their addresses matter) and the loader's knobs. */
static int kb_drops, kb_scratch, kb_ringbufs, kb_buffer_full_by_type;
static const u32 kb_ignore_tgid = 0;
static const u64 kb_epoch_offset_ns = 0;
static const u32 kb_cpus_per_buffer = 1;

static u64 drop_counts[KB_DROP_COUNT];
static u8 scratch[KB_SCRATCH_SIZE];
static u8 output[KB_RECORD_LIMIT];
static size_t output_len;

static void *bpf_map_lookup_elem(void *map, const void *key)
{
	if (map == &kb_drops) {
		u32 reason = *(const u32 *)key;
		return reason < KB_DROP_COUNT ? &drop_counts[reason] : NULL;
	}
	if (map == &kb_scratch)
		return scratch;
	if (map == &kb_ringbufs)
		return output;
	return NULL;
}

static u32 bpf_get_smp_processor_id(void) { return 0; }
static u64 bpf_get_current_pid_tgid(void) { return (42ull << 32) | 43; }
static u64 bpf_ktime_get_boot_ns(void) { return 1; }

static long bpf_ringbuf_output(void *rb, void *data, u64 size, u64 flags)
{
	(void)rb;
	(void)flags;
	memcpy(output, data, size);
	output_len = size;
	return 0;
}

/* One reservation at a time, in `reserved`; submit copies the record (its
 * own len, as the reader takes it) to `output`. */
static u8 reserved[KB_RECORD_LIMIT];
static int reservations;

static void *bpf_ringbuf_reserve(void *rb, u64 size, u64 flags)
{
	(void)rb;
	(void)flags;
	if (size > sizeof(reserved))
		return NULL;
	reservations++;
	memset(reserved, 0xAA, size);
	return reserved;
}

static void bpf_ringbuf_submit(void *data, u64 flags)
{
	(void)flags;
	const struct kestrel_event_hdr *h = data;
	memcpy(output, data, h->len);
	output_len = h->len;
}

static void bpf_ringbuf_discard(void *data, u64 flags)
{
	(void)data;
	(void)flags;
}

static long host_read_str(void *dst, u32 size, const void *src)
{
	size_t n;

	if (!src || size == 0)
		return -14; /* -EFAULT */
	n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	((char *)dst)[n] = 0;
	return (long)n + 1;
}

static long bpf_probe_read_user_str(void *dst, u32 size, const void *src) { return host_read_str(dst, size, src); }
static long bpf_probe_read_kernel_str(void *dst, u32 size, const void *src) { return host_read_str(dst, size, src); }

/* The in-kernel filter is tested live (KernelFilterLive, eval's
 * KernelFilter.*); here every record is kept. */
#define KB_HOST_RECORD_WRITER_TEST 1
static const u32 kb_filter_enabled = 0;
enum { KB_SEND = 0, KB_DONE = 1 };
static u32 kb_filter_decide(const u8 *buf, u32 mask, bool in_place)
{
	(void)buf;
	(void)mask;
	(void)in_place;
	return KB_SEND;
}
#include "ebpf/bpf/record.bpf.h"
#include "ebpf/bpf/filler.bpf.h"

void kb_host_reset(void)
{
	memset(drop_counts, 0, sizeof(drop_counts));
	output_len = 0;
}

const uint8_t *kb_host_output(void) { return output; }
uint64_t kb_host_drops(uint32_t reason) { return reason < KB_DROP_COUNT ? drop_counts[reason] : 0; }
uint32_t kb_host_param_mismatch_reason(void) { return KB_DROP_PARAM_MISMATCH; }

/* The right writer, as an in-place filler's body (KB_SYSCALL_EXIT_IN_PLACE)
 * and as the scratch writer's right case. */
static struct kb_rec fill_openat(struct kb_rec r, const char *path)
{
	KB_PUT(r, OPENAT, fd, 3);
	KB_PUT(r, OPENAT, dirfd, -100);
	KB_PUT_USER_STR(r, OPENAT, name, path);
	KB_PUT(r, OPENAT, flags, 0x80000);
	KB_PUT(r, OPENAT, mode, 0640);
	KB_PUT(r, OPENAT, dev, 7);
	KB_PUT(r, OPENAT, ino, 99);
	return r;
}

/* The body of a filler (KB_BEGIN returns 0 when the record cannot start). */
static int write_openat(enum kb_host_openat_writer how, const char *path)
{
	KB_BEGIN(r, OPENAT);
	switch (how) {
	case KB_HOST_OPENAT_RIGHT:
		r = fill_openat(r, path);
		break;
	case KB_HOST_OPENAT_SWAPPED:
		/* Same width, so a positional writer could not tell. */
		KB_PUT(r, OPENAT, dirfd, -100);
		KB_PUT(r, OPENAT, fd, 3);
		KB_PUT_USER_STR(r, OPENAT, name, path);
		KB_PUT(r, OPENAT, flags, 0x80000);
		KB_PUT(r, OPENAT, mode, 0640);
		KB_PUT(r, OPENAT, dev, 7);
		KB_PUT(r, OPENAT, ino, 99);
		break;
	case KB_HOST_OPENAT_MISSING:
		KB_PUT(r, OPENAT, fd, 3);
		KB_PUT(r, OPENAT, dirfd, -100);
		KB_PUT_USER_STR(r, OPENAT, name, path);
		KB_PUT(r, OPENAT, flags, 0x80000);
		KB_PUT(r, OPENAT, dev, 7);
		KB_PUT(r, OPENAT, ino, 99);
		break;
	case KB_HOST_OPENAT_EXTRA:
		/* The right record, then one param too many. */
		r = fill_openat(r, path);
		KB_PUT(r, OPENAT, ino, 99);
		break;
	case KB_HOST_OPENAT_STR_INTO_INT:
		KB_PUT(r, OPENAT, fd, 3);
		KB_PUT(r, OPENAT, dirfd, -100);
		KB_PUT_USER_STR(r, OPENAT, name, path);
		KB_PUT_USER_STR(r, OPENAT, flags, path);
		KB_PUT(r, OPENAT, mode, 0640);
		KB_PUT(r, OPENAT, dev, 7);
		KB_PUT(r, OPENAT, ino, 99);
		break;
	case KB_HOST_OPENAT_INT_INTO_PATH:
		KB_PUT(r, OPENAT, fd, 3);
		KB_PUT(r, OPENAT, dirfd, -100);
		KB_PUT(r, OPENAT, name, 0);
		KB_PUT(r, OPENAT, flags, 0x80000);
		KB_PUT(r, OPENAT, mode, 0640);
		KB_PUT(r, OPENAT, dev, 7);
		KB_PUT(r, OPENAT, ino, 99);
		break;
	}
	kb_submit(&r);
	return 0;
}

size_t kb_host_write_openat(enum kb_host_openat_writer how, const char *path)
{
	output_len = 0;
	write_openat(how, path);
	return output_len;
}

size_t kb_host_write_openat_in_place(const char *path, uint32_t limit, int *redone)
{
	struct kb_rec r;
	output_len = 0;
	*redone = 0;
	if (kb_begin_in_place(&r, KE_OPENAT, KP_OPENAT_COUNT, limit) == KB_PLACED) {
		r = fill_openat(r, path);
		if (kb_submit_in_place(&r))
			return output_len;
	}
	*redone = 1;
	if (!kb_begin(&r, KE_OPENAT, KP_OPENAT_COUNT))
		return 0;
	r = fill_openat(r, path);
	kb_submit(&r);
	return output_len;
}
