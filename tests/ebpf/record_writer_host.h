/*
 * record_writer_host.h — the probe's record writer (ebpf/bpf/record.bpf.h,
 * the very code compiled into kestrel.bpf.c) built for the host against a
 * plain buffer, so a test can make deliberately wrong writes and read the
 * drop counters. See record_writer_host.c for the stand-ins of the BPF
 * helpers and maps.
 */
#ifndef KESTREL_TESTS_EBPF_RECORD_WRITER_HOST_H
#define KESTREL_TESTS_EBPF_RECORD_WRITER_HOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One OPENAT record written in a given (right or wrong) way. */
enum kb_host_openat_writer {
	KB_HOST_OPENAT_RIGHT,        /* every param by name, in table order */
	KB_HOST_OPENAT_SWAPPED,      /* fd and dirfd written in each other's slots */
	KB_HOST_OPENAT_MISSING,      /* mode left out */
	KB_HOST_OPENAT_EXTRA,        /* ino written twice */
	KB_HOST_OPENAT_STR_INTO_INT, /* a string written into flags */
	KB_HOST_OPENAT_INT_INTO_PATH /* an integer written into name */
};

/* Clears the counters and the captured output. */
void kb_host_reset(void);
/* Runs one writer; returns the bytes it submitted (0 if dropped). */
size_t kb_host_write_openat(enum kb_host_openat_writer how, const char *path);
/* The right OPENAT record as an in-place filler writes it: into a ring
 * reservation of `limit` + 8 bytes, or, when it does not fit (*redone set),
 * again through the scratch. Returns the bytes submitted. */
size_t kb_host_write_openat_in_place(const char *path, uint32_t limit, int *redone);
/* The last record submitted. */
const uint8_t *kb_host_output(void);
/* Records dropped for `reason` (enum kb_drop_reason). */
uint64_t kb_host_drops(uint32_t reason);
/* enum kb_drop_reason's param_mismatch, for the C++ side. */
uint32_t kb_host_param_mismatch_reason(void);

#ifdef __cplusplus
}
#endif

#endif
