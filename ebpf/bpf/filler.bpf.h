/*
 * filler.bpf.h — the shape every syscall filler shares.
 *
 * Hooks: one `tracepoint/syscalls/sys_exit_<name>` program per syscall.
 * A tp_btf/sys_exit dispatcher would be one program instead of many, but
 * it runs on *every* syscall: ~36-40 ns added to each uncaptured syscall on
 * this machine, against ~9 ns for per-syscall tracepoints (measured, see
 * ARCHITECTURE.md), and the target is <= 25 ns. Only *exit* tracepoints are
 * used: enabling any sys_enter_* one routes every syscall through the entry
 * slow path as well. So the loader attaches only
 * the programs of the event types in the capture set, and an uncaptured
 * syscall pays for no BPF program at all. (fentry/fexit fail with EPERM and
 * kprobes are not configured on the target kernels.)
 *
 * Program names are the contract with the loader: `ke_<event name>` for the
 * program that emits the event (the name from events.def), optionally
 * followed by `__<role>` for helpers of the same event (e.g. clone3's flags,
 * captured at sched_process_fork).
 * The loader maps every program to its event type by that name and refuses
 * to start on a name it does not know.
 */
#ifndef KESTREL_EBPF_FILLER_BPF_H
#define KESTREL_EBPF_FILLER_BPF_H

#define KB_SYSCALL_EXIT(name) \
	SEC("tracepoint/syscalls/sys_exit_" #name) int ke_##name(struct trace_event_raw_sys_exit *ctx)

/* For syscalls whose tracepoint is named after the kernel's SYSCALL_DEFINE
 * rather than the syscall (umount2 is SYSCALL_DEFINE2(umount, ...)). */
#define KB_SYSCALL_EXIT_TP(name, tp) \
	SEC("tracepoint/syscalls/sys_exit_" #tp) int ke_##name(struct trace_event_raw_sys_exit *ctx)

/*
 * A filler whose record is written in place (record.bpf.h): the program
 * for syscall `name` emitting event ID. The body that follows writes the
 * params of `struct kb_rec r` (its own copy: the body is a function taking
 * and returning the record, `return r;` last) and is inlined twice: into a
 * ring buffer reservation of `limit` + 8 bytes, and when the record did not
 * fit there (or nothing could be reserved), into the scratch as any other
 * filler. For events whose every record fits `limit` (only fixed-width
 * params) the second copy never runs; for those with one string, a string
 * longer than what is left of `limit` sends the record through it.
 * The body's only string param must come after fixed-width params only
 * (its offset is a constant the verifier checks the read against).
 */
#define KB_SYSCALL_EXIT_IN_PLACE(name, ID, limit)                                                          \
	static __always_inline struct kb_rec kb_fill_##name(struct kb_rec r,                              \
							     struct trace_event_raw_sys_exit *ctx);        \
	SEC("tracepoint/syscalls/sys_exit_" #name) int ke_##name(struct trace_event_raw_sys_exit *ctx)    \
	{                                                                                                 \
		struct kb_rec r;                                                                          \
		switch (kb_begin_in_place(&r, KE_##ID, KP_##ID##_COUNT, (limit))) {                       \
		case KB_SKIPPED:                                                                          \
			return 0;                                                                         \
		case KB_PLACED:                                                                           \
			r = kb_fill_##name(r, ctx);                                                       \
			if (kb_submit_in_place(&r))                                                       \
				return 0;                                                                 \
			break;                                                                            \
		case KB_USE_SCRATCH:                                                                      \
			break;                                                                            \
		}                                                                                         \
		if (!kb_begin(&r, KE_##ID, KP_##ID##_COUNT))                                              \
			return 0;                                                                         \
		r = kb_fill_##name(r, ctx);                                                               \
		kb_submit(&r);                                                                            \
		return 0;                                                                                 \
	}                                                                                                 \
	static __always_inline struct kb_rec kb_fill_##name(struct kb_rec r, struct trace_event_raw_sys_exit *ctx)

/* Starts record `r` for event ID, or returns from the program. */
#define KB_BEGIN(r, ID)                                                   \
	struct kb_rec r;                                                  \
	if (!kb_begin(&r, KE_##ID, KP_##ID##_COUNT))                      \
		return 0

/* Reads the current syscall's arguments into `a` (a.a[0..5]). */
#define KB_ARGS(a)        \
	struct kb_args a; \
	kb_read_args(&a)

#endif /* KESTREL_EBPF_FILLER_BPF_H */
