/*
 * kernel_filter_abi.h — the in-kernel event filter's maps, as the probe and its
 * loader both lay them out (semantics: sources/kernel_filter.h).
 *
 * Plain C, no includes: __u8/__u16/__u32/__u64 come from vmlinux.h on the
 * BPF side and <linux/types.h> in the loader.
 *
 * Per event type (kb_filters[type]), alternatives are bits of a u64. An
 * event goes up when  res_ok[res >= 0] & acc_ok[flags & 3] & (path_any |
 * path bits)  is not zero. Path bits come from the LPM trie kb_filter_paths:
 * its key is (type, anchor, path bytes from a '/' to the path's NUL), its
 * value the alternatives whose atoms are prefixes of the stored text (the
 * loader ORs shorter atoms into longer ones, so the longest match alone
 * answers). Anchor 0 entries are looked up with the whole path (atoms
 * anchored at the start, and unanchored ones, which may match at its first
 * '/'); anchor 1 entries with the path from each later '/'.
 */
#ifndef KESTREL_EBPF_FILTER_ABI_H
#define KESTREL_EBPF_FILTER_ABI_H

/* Path bytes (with the NUL) a key holds; longer paths go up. */
#define KB_FILTER_PATH_BYTES 245
/* '/' positions after the first at which unanchored atoms are looked up;
 * a path with more goes up when it still matters. */
#define KB_FILTER_MAX_SLASHES 16

/* The fcntl commands that create an fd (uapi fcntl.h): with
 * fcntl_cmd_param set, the only ones that may go up. */
#define KB_F_DUPFD 0
#define KB_F_DUPFD_CLOEXEC 1030

struct kb_filter {
	__u32 on;          /* 0: this type is not filtered */
	__u32 unanchored;  /* some atom of this type is unanchored */
	__s32 res_param;   /* -1: none */
	__s32 path_param;  /* -1: none */
	__s32 flags_param; /* -1: none */
	__s32 fcntl_cmd_param; /* -1: none; else only F_DUPFD(_CLOEXEC) may go up */
	__u64 res_ok[2];   /* [0]: res < 0, [1]: res >= 0 */
	__u64 acc_ok[4];   /* by flags & O_ACCMODE */
	__u64 path_any;    /* alternatives without a path part */
	__u64 defer_ok;    /* alternatives only the state tables need (an open's
			    * fd): when no other holds, the record is kept in the
			    * kernel until an event reads the fd (defer.bpf.h) */
};

struct kb_filter_key {
	__u32 prefixlen; /* bits of what follows */
	__u16 type;
	__u8 anchor; /* 0: from the path's start, 1: from a later '/' */
	__u8 path[KB_FILTER_PATH_BYTES];
};

#endif /* KESTREL_EBPF_FILTER_ABI_H */
