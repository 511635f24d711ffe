/*
 * maps.bpf.h — the probe's maps and load-time knobs.
 *
 * Ring buffers: one BPF ring buffer per group of `kb_cpus_per_buffer` CPUs,
 * held in an array-of-maps. The loader sizes the outer array and creates
 * the inner ring buffers (so their size is a runtime option) before it
 * attaches anything. Records are submitted with BPF_RB_NO_WAKEUP: a wakeup
 * per event cost ~1.5 us on this machine (ARCHITECTURE.md), so the reader
 * polls them instead of sleeping on them: it reads on while they hold
 * records and sleeps 10 ms when they are empty (ebpf_source.h).
 */
#ifndef KESTREL_EBPF_MAPS_BPF_H
#define KESTREL_EBPF_MAPS_BPF_H

struct kb_ringbuf {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* replaced by the loader */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* replaced by the loader: number of buffers */
	__type(key, u32);
	__array(values, struct kb_ringbuf);
} kb_ringbufs SEC(".maps");

/*
 * Where a record is assembled before bpf_ringbuf_output() copies it: one
 * slot per CPU, indexed by CPU id. A plain array rather than a per-CPU one
 * because per-CPU values are capped at 32 KiB and a record may be larger;
 * the loader sets max_entries to the number of possible CPUs. (Syscall
 * tracepoint programs run with preemption disabled, so a slot has one user.)
 */
struct kb_scratch_buf {
	u8 data[KB_SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* replaced by the loader: possible CPUs */
	__type(key, u32);
	__type(value, struct kb_scratch_buf);
} kb_scratch SEC(".maps");

/* Path components collected leaf-first before the path is written root-first. */
struct kb_path_parts {
	const unsigned char *name[KB_MAX_PATH_COMPONENTS];
	u32 n; /* dentry walk: components collected so far */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct kb_path_parts);
} kb_path_scratch SEC(".maps");

/* Records lost in the kernel, per CPU, indexed by enum kb_drop_reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KB_DROP_COUNT);
	__type(key, u32);
	__type(value, u64);
} kb_drops SEC(".maps");

/* Records the ring had no room for (KB_DROP_BUFFER_FULL), per CPU, by event
 * type: the loader sorts them into Falco's drop categories. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KE_COUNT);
	__type(key, u32);
	__type(value, u64);
} kb_buffer_full_by_type SEC(".maps");

/*
 * clone3's flags, keyed by the child's tid. clone3 passes them in a struct
 * in the caller's memory (on its stack, for glibc), which the parent may
 * already have reused by the time the child runs its side of the syscall
 * exit; so they are read in the parent at sched_process_fork, before the
 * child is woken. LRU: a child killed before it ever returns leaves an
 * entry behind.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u64);
} kb_clone3_flags SEC(".maps");

/* Load-time knobs (rodata: the verifier folds them as constants). */
const volatile __u32 kb_cpus_per_buffer = 1;
const volatile __u32 kb_ignore_tgid = 0; /* the collector's own process */
const volatile __u32 kb_process_fields = KB_PF_ALL; /* enum kb_process_field */
/*
 * The kernel has the bpf_rdonly_cast kfunc (Linux >= 6.2): sock.bpf.h
 * re-types fd-table pointers with it and loads through them directly; set
 * to 0 by the loader where it is missing (Debian 12's 6.1), which makes
 * those reads bpf_probe_read_kernel() calls instead.
 */
const volatile __u32 kb_have_rdonly_cast = 1;

/*
 * Added to bpf_ktime_get_boot_ns() to get ns since the epoch. In .bss, not
 * rodata: the loader refreshes it while running so NTP slews of the wall
 * clock are followed.
 */
__u64 kb_epoch_offset_ns = 0;

#endif /* KESTREL_EBPF_MAPS_BPF_H */
