/*
 * defer_abi.h — deferred opens (issue #19), as the probe and its loader
 * both see them: the counters' indices (semantics: defer.bpf.h).
 *
 * Plain C, no includes.
 */
#ifndef KESTREL_EBPF_DEFER_ABI_H
#define KESTREL_EBPF_DEFER_ABI_H

enum kb_defer_counter {
	KB_DEFER_KEPT = 0,      /* opens kept in the kernel instead of sent */
	KB_DEFER_FLUSHED = 1,   /* kept opens sent later, before an event reading their fd */
	KB_DEFER_CLOSED = 2,    /* closes of a kept open: both dropped */
	KB_DEFER_EXITED = 3,    /* kept opens dropped when their process ended */
	KB_DEFER_FULL = 4,      /* opens sent at once: the map (or the process map) was full */
	KB_DEFER_FORKED = 5,    /* opens sent at once: their process has forked */
	KB_DEFER_TOO_LONG = 6,  /* opens sent at once: the record is longer than an entry holds */
	KB_DEFER_DIRFD = 7,     /* opens sent at once: relative to a dirfd (which may be kept or closed when sent) */
	KB_DEFER_COUNTER_COUNT
};

/* Record bytes one entry holds; a longer open record goes up at once. */
#define KB_DEFER_RECORD_BYTES 256
/* Opens kept at once, over all processes; past it, opens go up. */
#define KB_DEFER_MAX_ENTRIES 8192
/* Processes with kept opens at once; past it, their opens go up. */
#define KB_DEFER_MAX_PROCESSES 2048

#endif /* KESTREL_EBPF_DEFER_ABI_H */
