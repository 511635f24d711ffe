/*
 * kestrel_kmod_filter_abi.h — the in-kernel event filter as the collector
 * hands it to the kernel module (KESTREL_IOC_SET_FILTER, kestrel_kmod_abi.h).
 *
 * The filter is the eBPF probe's (sources/abi/kernel_filter_abi.h, semantics in
 * sources/kernel_filter.h): per event type a struct kb_filter, and the path
 * atoms as (type, anchor, bytes) with the alternatives whose atoms are
 * prefixes of those bytes (shorter atoms ORed into longer ones, so the
 * longest match alone answers). The module keeps the atoms in a sorted
 * table where the probe has an LPM trie; both are filled from one encoding
 * (sources/kernel_filter_maps.h).
 *
 * The blob, little-endian as the host:
 *   struct kestrel_kmod_filter_hdr
 *   nfilters x struct kestrel_kmod_filter_type (types distinct, 1..KE_COUNT-1)
 *   npaths   x struct kestrel_kmod_filter_path (strictly increasing by
 *            type, anchor, then bytes compared as unsigned, a prefix first)
 * and nothing after. The module checks all of it (kk_filter_core.h) and
 * refuses a blob that breaks any rule with EINVAL.
 *
 * Plain C, no includes: __u8 .. __u64 from <linux/types.h> on both sides.
 */
#ifndef KESTREL_KMOD_FILTER_ABI_H
#define KESTREL_KMOD_FILTER_ABI_H

#include "sources/abi/kernel_filter_abi.h"

#define KESTREL_KMOD_FILTER_MAGIC 0x4b464c54u /* "TLFK" in memory */
#define KESTREL_KMOD_FILTER_VERSION 1
/* As many atoms as the probe's LPM trie holds (kb_filter_paths). */
#define KESTREL_KMOD_FILTER_MAX_PATHS 4096

struct kestrel_kmod_filter_hdr {
	__u32 magic;    /* KESTREL_KMOD_FILTER_MAGIC */
	__u32 version;  /* KESTREL_KMOD_FILTER_VERSION */
	__u32 nfilters; /* 0: the filter is off */
	__u32 npaths;
};

struct kestrel_kmod_filter_type {
	__u32 type; /* kestrel_event_type */
	__u32 pad;  /* 0 */
	struct kb_filter filter; /* on = 1; params -1 or < KESTREL_MAX_PARAMS */
};

struct kestrel_kmod_filter_path {
	__u64 bits;    /* alternatives of `type` whose atoms are prefixes of bytes */
	__u16 type;    /* a type with a kestrel_kmod_filter_type entry */
	__u8 anchor;   /* 0: matched from the path's start, 1: from a later '/' */
	__u8 pad;      /* 0 */
	__u32 len;     /* 1 .. KB_FILTER_PATH_BYTES */
	/* Starts with '/'; a NUL (the end of the path, for an exact atom) may
	 * only be the last byte. Bytes past len are 0. */
	__u8 bytes[KB_FILTER_PATH_BYTES];
	__u8 pad2[3];
};

#endif /* KESTREL_KMOD_FILTER_ABI_H */
