/*
 * kestrel_kmod_abi.h — what the kestrel kernel module and its userspace
 * reader (kmod/kmod_source.cpp) agree on, besides the event record itself
 * (sources/abi/kestrel_event.h).
 *
 * Plain C: the module gets the integer types from <linux/types.h> and the
 * ioctl macros from <linux/ioctl.h>, userspace from <stdint.h> and
 * <sys/ioctl.h>.
 *
 * The device /dev/kestrel is opened by one process at a time. It issues
 * KESTREL_IOC_INFO, then KESTREL_IOC_START (allocates one ring per possible
 * CPU and registers the tracepoint probes; it carries which syscall number
 * reports which event type, native and 32-bit compat, so the module holds
 * no syscall-number list of its own), then mmaps each CPU's ring at
 * offset cpu * info.ring_stride (length ring_stride; ENXIO for a CPU id that
 * is not possible). Closing the device stops capture and frees the rings.
 * KESTREL_IOC_SET_FILTER (any time after open, before or during capture)
 * replaces the in-kernel event filter with the blob it points to
 * (kestrel_kmod_filter_abi.h); a blob with no types turns it off.
 *
 * One ring mapping: KESTREL_KMOD_RING_HDR_BYTES of header
 * (struct kestrel_kmod_ring_hdr), then `size` data bytes (a power of two).
 * head and tail are free-running byte counts; the producer (the kernel, on
 * that CPU only) publishes head with release order after the record bytes,
 * the consumer publishes tail the same way after it is done with them.
 * Records start 8-aligned and never wrap: a record that would cross the end
 * is preceded by padding up to the end, which is either a header with
 * type 0 (KE_NONE) and len = bytes to the end, or — when fewer than
 * KESTREL_EVENT_HDR_SIZE bytes are left — nothing at all (the reader skips
 * to the start). The consumer advances tail by each record's len rounded
 * up to 8.
 */
#ifndef KESTREL_KMOD_ABI_H
#define KESTREL_KMOD_ABI_H

#define KESTREL_KMOD_DEVICE "/dev/kestrel"
/* 2: drops gained param_mismatch; 3: the syscall map in kestrel_kmod_start,
 * drops gained compat_ignored; 4: the ring header gained buffer_full_by_type;
 * 5: KESTREL_IOC_SET_FILTER, the ring header gained filtered_by_type and
 * grew to two pages */
#define KESTREL_KMOD_ABI_VERSION 5
/* A multiple of the page size (4 KiB pages: two pages). */
#define KESTREL_KMOD_RING_HDR_BYTES 8192
/* Words of an event-type bitmap (bit t = event type t of events.def). */
#define KESTREL_KMOD_TYPE_WORDS 4
/* Syscall numbers the map covers (0 .. MAX-1; x86_64 and i386 stay below). */
#define KESTREL_KMOD_MAX_SYSCALLS 512

/* Why a record was lost in the kernel; index into ring_hdr.drops. */
enum kestrel_kmod_drop_reason {
	KESTREL_KMOD_DROP_BUFFER_FULL = 0, /* the CPU's ring had no room */
	KESTREL_KMOD_DROP_TOO_LARGE = 1,   /* the record outgrew the scratch */
	KESTREL_KMOD_DROP_PARAM_MISMATCH = 2, /* a filler's writes disagreed with events.def */
	KESTREL_KMOD_DROP_COMPAT_IGNORED = 3, /* a 32-bit compat syscall of a captured type (not decoded) */
	KESTREL_KMOD_DROP_COUNT
};

/*
 * Optional parts of the process params block, expensive to collect: a
 * collector whose rules never read them leaves them out (sent empty), as it
 * does with the eBPF probe (KB_PF_* in ebpf/bpf/probe_abi.h).
 */
enum kestrel_kmod_process_field {
	KESTREL_KMOD_PF_ENV = 1 << 0,     /* environment */
	KESTREL_KMOD_PF_CWD = 1 << 1,     /* working directory */
	KESTREL_KMOD_PF_CGROUPS = 1 << 2, /* cgroup paths */
	KESTREL_KMOD_PF_ALL = 0x7
};

struct kestrel_kmod_ring_hdr {
	uint64_t head;     /* producer: bytes ever written (incl. padding) */
	uint64_t pad0[7];  /* head and tail on their own cache lines */
	uint64_t tail;     /* consumer: bytes ever released */
	uint64_t pad1[7];
	uint64_t size;     /* data bytes after the header page */
	uint64_t drops[KESTREL_KMOD_DROP_COUNT]; /* records lost, by reason */
	/* The BUFFER_FULL drops again, by the event type of the record that
	 * did not fit (index: kestrel_event_type). */
	uint64_t buffer_full_by_type[KESTREL_KMOD_TYPE_WORDS * 64];
	/* Records the in-kernel filter dropped, by event type (not drops:
	 * no loaded rule or state table needs them). */
	uint64_t filtered_by_type[KESTREL_KMOD_TYPE_WORDS * 64];
};

struct kestrel_kmod_info {
	uint32_t abi_version;  /* KESTREL_KMOD_ABI_VERSION */
	uint32_t nr_cpu_ids;   /* rings are indexed 0 .. nr_cpu_ids-1 */
	uint64_t supported[KESTREL_KMOD_TYPE_WORDS]; /* event types it emits */
};

struct kestrel_kmod_start {
	uint64_t buf_size;     /* data bytes per CPU ring: power of two, >= 4096 */
	uint32_t ignore_tgid;  /* events of this process are not emitted (0: none) */
	uint32_t process_fields; /* KESTREL_KMOD_PF_*: optional process params copied */
	uint64_t types[KESTREL_KMOD_TYPE_WORDS]; /* initial capture set */
	/* Event type reported by syscall number i (0: none); entries naming a
	 * type the module has no filler for are ignored. */
	uint16_t syscall_types[KESTREL_KMOD_MAX_SYSCALLS];
	uint16_t compat_syscall_types[KESTREL_KMOD_MAX_SYSCALLS]; /* 32-bit compat numbers */
};

struct kestrel_kmod_types {
	uint64_t types[KESTREL_KMOD_TYPE_WORDS];
};

/* KESTREL_IOC_SET_FILTER's argument: where the filter blob is. */
struct kestrel_kmod_filter_req {
	uint64_t addr; /* user address of the blob */
	uint64_t len;  /* its bytes */
};

#define KESTREL_IOC_MAGIC 'k'
#define KESTREL_IOC_INFO _IOR(KESTREL_IOC_MAGIC, 1, struct kestrel_kmod_info)
#define KESTREL_IOC_START _IOW(KESTREL_IOC_MAGIC, 2, struct kestrel_kmod_start)
#define KESTREL_IOC_SET_TYPES _IOW(KESTREL_IOC_MAGIC, 3, struct kestrel_kmod_types)
#define KESTREL_IOC_SET_FILTER _IOW(KESTREL_IOC_MAGIC, 4, struct kestrel_kmod_filter_req)

#endif /* KESTREL_KMOD_ABI_H */
