// SPDX-License-Identifier: GPL-2.0
/*
 * kk_dispatch.c — the sys_exit probe: syscall number -> event type (the
 * collector's map, kestrel_kmod_start) -> filler (the table below, indexed
 * by event type, generated from kk_fillers.h).
 *
 * Syscalls are reported at exit, with the arguments still in the saved
 * registers. Process creation is reported from the child's side (res 0),
 * which returns through the same tracepoint with the clone's number.
 *
 * 32-bit compat syscalls (ia32 on x86_64, arm32 on arm64) are NOT
 * captured: their arguments have other layouts (32-bit pointers, other
 * struct layouts) no filler decodes. They are counted instead: a compat
 * syscall whose event type is in the capture set adds one to the CPU's
 * `compat_ignored` drop counter (the collector's map gives the compat
 * numbers too), so a 32-bit workload cannot go unseen silently.
 */
#include <linux/compat.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <asm/syscall.h>

#include "kk_fillers.h"

static const kk_filler_fn kk_fillers[KE_COUNT] = {
#define KK_ROW(ID, name) [KE_##ID] = kk_fill_##name,
	KK_SYSCALL_FILLERS(KK_ROW)
#undef KK_ROW
};

/* `modinfo -F kestrel_event kestrel.ko`: what a build of the module emits. */
#define KK_MODINFO(ID, name) MODULE_INFO(kestrel_event, #name);
KK_SYSCALL_FILLERS(KK_MODINFO)
#undef KK_MODINFO
MODULE_INFO(kestrel_event, "procexit");

bool kk_has_syscall_filler(u32 type)
{
	return type < KE_COUNT && kk_fillers[type];
}

void kk_supported_types(u64 out[KESTREL_KMOD_TYPE_WORDS])
{
	u32 t;

	memset(out, 0, sizeof(u64) * KESTREL_KMOD_TYPE_WORDS);
	for (t = 0; t < KE_COUNT; t++)
		if (kk_fillers[t])
			out[t / 64] |= 1ull << (t % 64);
	out[KE_PROCEXIT / 64] |= 1ull << (KE_PROCEXIT % 64);
}

static void kk_count_compat(struct kk_state *st)
{
	struct kk_ring *ring;

	if (st->ignore_tgid && current->tgid == st->ignore_tgid)
		return;
	preempt_disable();
	ring = st->rings[smp_processor_id()];
	if (ring)
		kk_ring_drop(ring, KESTREL_KMOD_DROP_COMPAT_IGNORED);
	preempt_enable();
}

void kk_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	struct kk_state *st = READ_ONCE(kk_live);
	unsigned long a[6];
	long nr;
	u16 type;

	if (!st)
		return;
	nr = syscall_get_nr(current, regs);
	if (nr < 0 || nr >= KESTREL_KMOD_MAX_SYSCALLS)
		return;
	if (in_compat_syscall()) {
		type = st->compat_syscall_types[nr];
		if (type && test_bit(type, st->types))
			kk_count_compat(st);
		return;
	}
	type = st->syscall_types[nr];
	if (!type || !test_bit(type, st->types))
		return;
	syscall_get_arguments(current, regs, a);
	kk_fillers[type](ret, a);
}
