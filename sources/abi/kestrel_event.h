/*
 * kestrel_event.h — the binary event record every Kestrel producer writes.
 *
 * This is the one header the BPF probe, the kernel module and userspace all
 * include. It is plain C: fixed-width types, explicit padding, no includes
 * beyond what each side provides for uint*_t (BPF: vmlinux.h, kmod:
 * <linux/types.h>, userspace: <stdint.h>).
 *
 * Layout of one record (all integers little-endian, i.e. host order on the
 * architectures Kestrel supports, x86_64 and aarch64):
 *
 *   offset 0   struct kestrel_event_hdr   24 bytes, see below
 *   offset 24  uint16_t param_len[nparams]  length in bytes of each param
 *   then       param data, concatenated in table order, no padding
 *
 * So param i starts at 24 + 2*nparams + sum(param_len[0..i-1]). Records are
 * NOT padded: a record starts 8-aligned in a ring buffer slot, but param data
 * is only byte-aligned, so readers must memcpy multi-byte values (the C++
 * EventView does). `len` covers the header, the length table and the data.
 *
 * A param whose value could not be read (bad user pointer, fault) has length
 * 0; readers show it as <NA>. Which params an event type carries, in which
 * order and with which type is declared once in events.def.
 *
 * Compatibility: event type ids are persisted in capture files. New event
 * types and new params are appended, never renumbered or reordered; readers
 * accept records with fewer params than the table (older producers) and
 * ignore extra trailing ones (newer producers).
 */
#ifndef KESTREL_ABI_KESTREL_EVENT_H
#define KESTREL_ABI_KESTREL_EVENT_H

#define KESTREL_EVENT_HDR_SIZE 24
/* Upper bound of one record; producers truncate variable params to fit. */
#define KESTREL_MAX_EVENT_SIZE (64 * 1024)
/* Upper bound of params per record (execve carries the most). */
#define KESTREL_MAX_PARAMS 32
/* Bounds producers apply to variable-size params. */
#define KESTREL_MAX_PATH 4096
#define KESTREL_MAX_ARGS_BYTES 4096
#define KESTREL_MAX_DATA_BYTES 256

struct kestrel_event_hdr {
	uint64_t ts_ns;    /* wall clock, ns since the Unix epoch */
	uint32_t tid;      /* thread id within the event's domain */
	uint32_t tgid;     /* thread-group (process) id within the domain */
	uint32_t len;      /* whole record, header included */
	uint16_t type;     /* enum kestrel_event_type */
	uint16_t nparams;  /* entries in the param_len table that follows */
};

/*
 * Param value types. The encoding of each in the data area:
 *   INTn and UINTn, ERRNO, FD, PID, UID, GID, MODE, FLAGS*, ENUM, SIGNAL,
 *   SYSCALLID, RELTIME, ABSTIME, BOOL: the fixed-width integer (size below).
 *   ERRNO: int64, >= 0 success value, < 0 is -errno.
 *   FD/PID/DIRFD: int64. DIRFD uses AT_FDCWD (-100) for "cwd".
 *   CHARBUF, PATH: bytes including the terminating NUL.
 *   CHARBUF_ARRAY: NUL-terminated strings back to back (argv, env, cgroups).
 *   BYTES: raw bytes (I/O data, truncated to KESTREL_MAX_DATA_BYTES).
 *   SOCKADDR, SOCKTUPLE: see the family encodings below.
 */
enum kestrel_param_type {
	KPT_NONE = 0,
	KPT_INT8, KPT_INT16, KPT_INT32, KPT_INT64,
	KPT_UINT8, KPT_UINT16, KPT_UINT32, KPT_UINT64,
	KPT_ERRNO, KPT_FD, KPT_DIRFD, KPT_PID, KPT_UID, KPT_GID,
	KPT_MODE,      /* uint32 file mode, shown in octal */
	KPT_FLAGS32,   /* uint32 bit set, names from the param's symbol set */
	KPT_ENUM32,    /* uint32 single value, name from the param's symbol set */
	KPT_SIGNAL,    /* uint32 signal number */
	KPT_SYSCALLID, /* uint32 native syscall number */
	KPT_RELTIME, KPT_ABSTIME, /* uint64 ns */
	KPT_BOOL,      /* uint8 0/1 */
	KPT_CHARBUF, KPT_PATH, KPT_CHARBUF_ARRAY, KPT_BYTES,
	KPT_SOCKADDR, KPT_SOCKTUPLE,
	KPT_COUNT
};

/*
 * Socket address encodings (first byte is the family, Linux AF_* value):
 *   SOCKADDR  AF_INET  (2):  u8 family, u8 ip[4],  u16 port
 *             AF_INET6 (10): u8 family, u8 ip[16], u16 port
 *             AF_UNIX  (1):  u8 family, path bytes, NUL
 *   SOCKTUPLE AF_INET:  u8 family, u8 sip[4], u16 sport, u8 dip[4], u16 dport
 *             AF_INET6: u8 family, u8 sip[16], u16 sport, u8 dip[16], u16 dport
 *             AF_UNIX:  u8 family, u64 source, u64 dest, path bytes, NUL
 * IPs are in network order (as on the wire); ports in host order.
 * A tuple is client -> server, as in Falco: for connect() the local end is
 * the source, for accept() the remote end is.
 */
#define KESTREL_AF_UNIX 1
#define KESTREL_AF_INET 2
#define KESTREL_AF_INET6 10

/*
 * The fixed parts of those encodings, byte for byte (packed: params are only
 * byte-aligned). Producers fill one and copy sizeof() bytes; a unix
 * sockaddr is `family` then the path, a unix tuple is the header below then
 * the path. The C++ side static_asserts the sizes (sources/event/sockaddr.cpp).
 */
struct kestrel_sockaddr_in {
	uint8_t family; /* KESTREL_AF_INET */
	uint8_t addr[4];
	uint16_t port;
} __attribute__((packed));

struct kestrel_sockaddr_in6 {
	uint8_t family; /* KESTREL_AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
} __attribute__((packed));

struct kestrel_socktuple_in {
	uint8_t family; /* KESTREL_AF_INET */
	uint8_t saddr[4];
	uint16_t sport;
	uint8_t daddr[4];
	uint16_t dport;
} __attribute__((packed));

struct kestrel_socktuple_in6 {
	uint8_t family; /* KESTREL_AF_INET6 */
	uint8_t saddr[16];
	uint16_t sport;
	uint8_t daddr[16];
	uint16_t dport;
} __attribute__((packed));

/* Followed by the server's path, NUL-terminated. */
struct kestrel_socktuple_un {
	uint8_t family; /* KESTREL_AF_UNIX */
	uint64_t source; /* kernel socket identities, client then server */
	uint64_t dest;
} __attribute__((packed));

/* exe_flags bits of the process params block (KE_PROCESS_PARAMS); the
 * names rendered for them are in sources/event/symbol_sets.def. */
#define KESTREL_EXE_UPPER_LAYER 2 /* on an overlay's upper layer */
#define KESTREL_EXE_FROM_MEMFD 4
#define KESTREL_EXE_LOWER_LAYER 8 /* on an overlay's lower layer */

/* Event categories, for --list-events and evt.category. */
enum kestrel_event_category {
	KEC_OTHER = 0,
	KEC_FILE,
	KEC_NET,
	KEC_PROCESS,
	KEC_MEMORY,
	KEC_IPC,
	KEC_SECURITY, /* credentials, privileges, namespaces, modules */
	KEC_SIGNAL,
	KEC_CONTAINER,
	KEC_PLUGIN,
	KEC_COUNT
};

/* Event flags in the table. */
#define KEF_SYSCALL 0x1      /* emitted at the exit of the same-named syscall */
#define KEF_CREATES_FD 0x2   /* the return value (or fd param) is a new fd */
#define KEF_STATE 0x4        /* needed by the state tables whatever the rules */
#define KEF_IO 0x8           /* high-volume I/O: off unless a rule asks */

/* Event type ids: one per row of events.def, in order; 0 is invalid. */
enum kestrel_event_type {
	KE_NONE = 0,
#define KE_BEGIN(ID, name, category, flags) KE_##ID,
#define KE_PARAM(ID, name, type, symbols)
#define KE_END(ID)
#include "events.def"
#undef KE_BEGIN
#undef KE_PARAM
#undef KE_END
	KE_COUNT
};

/*
 * Param indices per event, KP_<EVENT>_<param>: producers write params in
 * this order and readers look them up by these names, so a param moved in
 * events.def moves everywhere at once.
 */
#define KE_BEGIN(ID, name, category, flags) enum kestrel_params_##ID {
#define KE_PARAM(ID, name, type, symbols) KP_##ID##_##name,
#define KE_END(ID) KP_##ID##_COUNT };
#include "events.def"
#undef KE_BEGIN
#undef KE_PARAM
#undef KE_END

/*
 * Param types per event, KPT_<EVENT>_<param> (the KPT_* type of that row of
 * events.def): the writers in BPF and the kernel module take the width and
 * encoding of each param from here, so the table, not the filler, decides.
 */
#define KE_BEGIN(ID, name, category, flags) enum kestrel_param_types_##ID {
#define KE_PARAM(ID, name, type, symbols) KPT_##ID##_##name = KPT_##type,
#define KE_END(ID) KPT_##ID##__END };
#include "events.def"
#undef KE_BEGIN
#undef KE_PARAM
#undef KE_END

/*
 * The process params block on its own (indices from 0, and types), for the
 * one writer every process-creating event shares: an event's param
 * KP_<EVENT>_exe + KP_PROCESS_<param> is the block's <param>.
 */
#define KE_PARAM(ID, name, type, symbols) KP_##ID##_##name,
enum kestrel_process_params { KE_PROCESS_PARAMS(PROCESS) KP_PROCESS_COUNT };
#undef KE_PARAM
#define KE_PARAM(ID, name, type, symbols) KPT_##ID##_##name = KPT_##type,
enum kestrel_process_param_types { KE_PROCESS_PARAMS(PROCESS) KPT_PROCESS__END };
#undef KE_PARAM

/*
 * The exec events' executable-inode params (KE_EXE_INODE_PARAMS) likewise:
 * KP_<EVENT>_exe_ino + KP_EXE_INODE_<param>.
 */
#define KE_PARAM(ID, name, type, symbols) KP_##ID##_##name,
enum kestrel_exe_inode_params { KE_EXE_INODE_PARAMS(EXE_INODE) KP_EXE_INODE_COUNT };
#undef KE_PARAM
#define KE_PARAM(ID, name, type, symbols) KPT_##ID##_##name = KPT_##type,
enum kestrel_exe_inode_param_types { KE_EXE_INODE_PARAMS(EXE_INODE) KPT_EXE_INODE__END };
#undef KE_PARAM

/*
 * Bytes a fixed-width param type takes in the data area; 0 for the
 * variable-length types (strings, bytes, socket addresses). A constant
 * expression, so writers resolve it at compile time.
 */
#define KESTREL_PARAM_FIXED_SIZE(t) KESTREL_PARAM_FIXED_SIZE_((int)(t))
#define KESTREL_PARAM_FIXED_SIZE_(t)                                                  \
	((t) == KPT_INT8 || (t) == KPT_UINT8 || (t) == KPT_BOOL ? 1                   \
	 : (t) == KPT_INT16 || (t) == KPT_UINT16                ? 2                   \
	 : (t) == KPT_INT32 || (t) == KPT_UINT32 || (t) == KPT_UID || (t) == KPT_GID || \
			   (t) == KPT_MODE || (t) == KPT_FLAGS32 || (t) == KPT_ENUM32 ||  \
			   (t) == KPT_SIGNAL || (t) == KPT_SYSCALLID                    \
		 ? 4                                                                   \
	 : (t) == KPT_INT64 || (t) == KPT_UINT64 || (t) == KPT_ERRNO || (t) == KPT_FD || \
			   (t) == KPT_DIRFD || (t) == KPT_PID || (t) == KPT_RELTIME ||    \
			   (t) == KPT_ABSTIME                                           \
		 ? 8                                                                   \
		 : 0)

/* What a writer may put into a param of type t, besides nothing (an empty
 * param, always allowed): a string (CHARBUF, PATH), a string list, raw
 * bytes, a socket address or a socket tuple. (The int casts: t is often a
 * per-event enum constant, compared here with the type enum.) */
#define KESTREL_PARAM_IS_STRING(t) ((int)(t) == KPT_CHARBUF || (int)(t) == KPT_PATH)
#define KESTREL_PARAM_IS_STRING_ARRAY(t) ((int)(t) == KPT_CHARBUF_ARRAY)
#define KESTREL_PARAM_IS_BYTES(t) ((int)(t) == KPT_BYTES)
#define KESTREL_PARAM_IS_SOCKADDR(t) ((int)(t) == KPT_SOCKADDR)
#define KESTREL_PARAM_IS_SOCKTUPLE(t) ((int)(t) == KPT_SOCKTUPLE)

#endif /* KESTREL_ABI_KESTREL_EVENT_H */
