// SPDX-License-Identifier: GPL-2.0
/*
 * floor.bpf.c — the smallest programs that show what *any* syscall hook
 * costs on this kernel, before Kestrel's own code runs (bench/ebpf_floor).
 * Every program is attached alone to the exit of getppid, which nothing
 * else hooks, and the bench times getppid with and without it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} floor_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[8]);
} floor_scratch SEC(".maps");

/* getppid's number, set by the loader (the tp_btf hook sees every syscall). */
const volatile __u32 floor_nr = 0;

/* The per-syscall exit tracepoint Kestrel uses, doing nothing. */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_empty(void *ctx)
{
	return 0;
}

/* + the boot-clock read every record's timestamp needs. */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_ktime(void *ctx)
{
	volatile __u64 t = bpf_ktime_get_boot_ns();
	(void)t;
	return 0;
}

/* + a 64-byte record copied into the ring buffer (what kb_submit does). */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_output64(void *ctx)
{
	__u32 k = 0;
	__u64 *s = bpf_map_lookup_elem(&floor_scratch, &k);
	if (!s)
		return 0;
	s[0] = bpf_ktime_get_boot_ns();
	s[1] = bpf_get_current_pid_tgid();
	bpf_ringbuf_output(&floor_rb, s, 64, BPF_RB_NO_WAKEUP);
	return 0;
}

/* The same record written in place (reserve + submit, no copy). */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_reserve64(void *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&floor_rb, 64, 0);
	if (!e)
		return 0;
	e[0] = bpf_ktime_get_boot_ns();
	e[1] = bpf_get_current_pid_tgid();
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* A raw (BTF) tracepoint on every syscall's exit, doing nothing. */
SEC("tp_btf/sys_exit")
int raw_empty(u64 *ctx)
{
	return 0;
}

/*
 * The floor record on the syscalls bench/ebpf_syscall_overhead captures:
 * the same 64-byte timestamped reserve+submit record on the exits of
 * openat and close, so that Kestrel's open/close records and the floor are
 * timed in one run, on one workload.
 */
static __always_inline int floor_record(long ret)
{
	__u64 *e = bpf_ringbuf_reserve(&floor_rb, 64, 0);
	if (!e)
		return 0;
	e[0] = bpf_ktime_get_boot_ns();
	e[1] = bpf_get_current_pid_tgid();
	e[2] = ret;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* The raw hook as a dispatcher: the same record for getppid only. */
SEC("tp_btf/sys_exit")
int BPF_PROG(raw_reserve64, struct pt_regs *regs, long ret)
{
	if (regs->orig_ax != floor_nr)
		return 0;
	return floor_record(ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int floor_openat(struct trace_event_raw_sys_exit *ctx)
{
	return floor_record(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_close")
int floor_close(struct trace_event_raw_sys_exit *ctx)
{
	return floor_record(ctx->ret);
}
