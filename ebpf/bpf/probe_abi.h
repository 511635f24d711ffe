/*
 * probe_abi.h — what the Kestrel BPF probe and its C++ loader agree on,
 * besides the event record itself (sources/abi/kestrel_event.h).
 *
 * Plain C, no includes: the BPF side gets the integer types from vmlinux.h,
 * the loader from <stdint.h>. Only constants and enums live here; the maps
 * are declared in maps.bpf.h and found by the loader through the skeleton.
 */
#ifndef KESTREL_EBPF_PROBE_ABI_H
#define KESTREL_EBPF_PROBE_ABI_H

/*
 * Why a record was lost in the kernel. Index into the per-CPU `drops` map;
 * the loader names them in SourceStats::drops (see kb_drop_reason_name()).
 */
enum kb_drop_reason {
	KB_DROP_BUFFER_FULL = 0, /* bpf_ringbuf_output() found no room */
	KB_DROP_TOO_LARGE = 1,   /* record grew past KB_RECORD_LIMIT */
	KB_DROP_NO_BUFFER = 2,   /* no ring buffer for this CPU (bad config) */
	KB_DROP_SCRATCH = 3,     /* per-CPU scratch lookup failed (never expected) */
	KB_DROP_PARAM_MISMATCH = 4, /* a filler's writes disagreed with events.def */
	KB_DROP_COUNT
};

/*
 * A record is built in a per-CPU scratch area before it is copied into the
 * ring buffer. Offsets into the scratch are masked with KB_RECORD_LIMIT - 1
 * so the verifier can prove every write stays inside it; the scratch is
 * KB_RECORD_LIMIT + KB_MAX_STR bytes so a full-length string written at the
 * largest masked offset still fits. Records that grow past the limit are
 * dropped and counted (KB_DROP_TOO_LARGE) rather than sent half-written;
 * with the per-param caps below (paths and args 4 KiB, env 2 KiB) even an
 * execve with every variable param at its cap stays under the limit.
 */
#define KB_RECORD_LIMIT (32 * 1024)
#define KB_MAX_STR 4096
#define KB_SCRATCH_SIZE (KB_RECORD_LIMIT + KB_MAX_STR + 64)

/*
 * Optional parts of the process params block (kb_process_fields knob):
 * expensive to collect, so a deployment whose rules never look at them can
 * turn them off. A field turned off is sent as an empty param (<NA>).
 */
enum kb_process_field {
	KB_PF_ENV = 1 << 0,     /* environment (up to KB_MAX_ENV_BYTES) */
	KB_PF_CWD = 1 << 1,     /* working directory (dentry walk) */
	KB_PF_CGROUPS = 1 << 2, /* cgroup paths (kernfs walks, one per hierarchy) */
	KB_PF_ALL = 0x7
};

/* Bounds of the loops the fillers run (verifier budget, record size). */
#define KB_MAX_PATH_COMPONENTS 32 /* dentry / kernfs walk depth */
#define KB_MAX_ARGV 64            /* argv entries read from a user array */
#define KB_MAX_ENV_BYTES 2048     /* environment copied at execve */

#endif /* KESTREL_EBPF_PROBE_ABI_H */
