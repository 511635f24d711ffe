// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_security.c — credentials, ptrace, prctl, bpf, modules,
 * namespaces, userfaultfd, io_uring, memory protection and signals: "res +
 * integer arguments" from the saved user registers at exit, plus a string
 * or struct where noted (ebpf/bpf/fillers_security.bpf.h).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers
 * (ebpf/bpf/fillers_*.bpf.h); what cannot be read is empty.
 */
#include <linux/io_uring.h>
#include <linux/prctl.h>
#include <linux/uaccess.h>

#include "kk_fillers.h"

/* res + the 32-bit id arguments: setuid/setgid/setre*id/setres*id. */
KK_FILLER(setuid)
{
	KK_BEGIN(r, SETUID);
	KK_PUT(r, SETUID, res, ret);
	KK_PUT(r, SETUID, uid, a[0]);
	kk_submit(&r);
}

KK_FILLER(setgid)
{
	KK_BEGIN(r, SETGID);
	KK_PUT(r, SETGID, res, ret);
	KK_PUT(r, SETGID, gid, a[0]);
	kk_submit(&r);
}

KK_FILLER(setreuid)
{
	KK_BEGIN(r, SETREUID);
	KK_PUT(r, SETREUID, res, ret);
	KK_PUT(r, SETREUID, ruid, a[0]);
	KK_PUT(r, SETREUID, euid, a[1]);
	kk_submit(&r);
}

KK_FILLER(setregid)
{
	KK_BEGIN(r, SETREGID);
	KK_PUT(r, SETREGID, res, ret);
	KK_PUT(r, SETREGID, rgid, a[0]);
	KK_PUT(r, SETREGID, egid, a[1]);
	kk_submit(&r);
}

KK_FILLER(setresuid)
{
	KK_BEGIN(r, SETRESUID);
	KK_PUT(r, SETRESUID, res, ret);
	KK_PUT(r, SETRESUID, ruid, a[0]);
	KK_PUT(r, SETRESUID, euid, a[1]);
	KK_PUT(r, SETRESUID, suid, a[2]);
	kk_submit(&r);
}

KK_FILLER(setresgid)
{
	KK_BEGIN(r, SETRESGID);
	KK_PUT(r, SETRESGID, res, ret);
	KK_PUT(r, SETRESGID, rgid, a[0]);
	KK_PUT(r, SETRESGID, egid, a[1]);
	KK_PUT(r, SETRESGID, sgid, a[2]);
	kk_submit(&r);
}

KK_FILLER(ptrace)
{
	KK_BEGIN(r, PTRACE);
	KK_PUT(r, PTRACE, res, ret);
	KK_PUT(r, PTRACE, request, a[0]);
	KK_PUT(r, PTRACE, pid, (s32)a[1]);
	KK_PUT(r, PTRACE, addr, a[2]);
	KK_PUT(r, PTRACE, data, a[3]);
	kk_submit(&r);
}

/* PR_SET_NAME / PR_GET_NAME pass a name buffer as arg2: the string then,
 * the integer otherwise. */
KK_FILLER(prctl)
{
	u32 option = a[0];

	{
		KK_BEGIN(r, PRCTL);
		KK_PUT(r, PRCTL, res, ret);
		KK_PUT(r, PRCTL, option, option);
		if (option == PR_SET_NAME || option == PR_GET_NAME) {
			KK_PUT_USER_STR(r, PRCTL, arg2_str, a[1], KESTREL_MAX_PATH);
			KK_PUT_EMPTY(r, PRCTL, arg2_int);
		} else {
			KK_PUT_EMPTY(r, PRCTL, arg2_str);
			KK_PUT(r, PRCTL, arg2_int, a[1]);
		}
		kk_submit(&r);
	}
}

KK_FILLER(bpf)
{
	KK_BEGIN(r, BPF);
	KK_PUT(r, BPF, fd, ret);
	KK_PUT(r, BPF, cmd, a[0]);
	kk_submit(&r);
}

/* uargs: as the probe, up to KB_MAX_STR (4096, = KESTREL_MAX_PATH) bytes. */
KK_FILLER(init_module)
{
	KK_BEGIN(r, INIT_MODULE);
	KK_PUT(r, INIT_MODULE, res, ret);
	KK_PUT(r, INIT_MODULE, length, a[1]);
	KK_PUT_USER_STR(r, INIT_MODULE, uargs, a[2], KESTREL_MAX_PATH);
	kk_submit(&r);
}

KK_FILLER(finit_module)
{
	KK_BEGIN(r, FINIT_MODULE);
	KK_PUT(r, FINIT_MODULE, res, ret);
	KK_PUT(r, FINIT_MODULE, fd, (s32)a[0]);
	KK_PUT_USER_STR(r, FINIT_MODULE, uargs, a[1], KESTREL_MAX_PATH);
	KK_PUT(r, FINIT_MODULE, flags, a[2]);
	kk_submit(&r);
}

KK_FILLER(setns)
{
	KK_BEGIN(r, SETNS);
	KK_PUT(r, SETNS, res, ret);
	KK_PUT(r, SETNS, fd, (s32)a[0]);
	KK_PUT(r, SETNS, nstype, a[1]);
	kk_submit(&r);
}

KK_FILLER(unshare)
{
	KK_BEGIN(r, UNSHARE);
	KK_PUT(r, UNSHARE, res, ret);
	KK_PUT(r, UNSHARE, flags, a[0]);
	kk_submit(&r);
}

KK_FILLER(userfaultfd)
{
	KK_BEGIN(r, USERFAULTFD);
	KK_PUT(r, USERFAULTFD, res, ret);
	KK_PUT(r, USERFAULTFD, flags, a[0]);
	kk_submit(&r);
}

/* The kernel fills io_uring_params on success; read them back at exit
 * (unreadable: unknown, so empty, not zero). */
KK_FILLER(io_uring_setup)
{
	struct io_uring_params p;
	bool read = !copy_from_user_nofault(&p, (const void __user *)a[1], sizeof(p));

	{
		KK_BEGIN(r, IO_URING_SETUP);
		KK_PUT(r, IO_URING_SETUP, res, ret);
		KK_PUT(r, IO_URING_SETUP, entries, a[0]);
		if (read) {
			KK_PUT(r, IO_URING_SETUP, sq_entries, p.sq_entries);
			KK_PUT(r, IO_URING_SETUP, cq_entries, p.cq_entries);
			KK_PUT(r, IO_URING_SETUP, flags, p.flags);
			KK_PUT(r, IO_URING_SETUP, sq_thread_cpu, p.sq_thread_cpu);
			KK_PUT(r, IO_URING_SETUP, sq_thread_idle, p.sq_thread_idle);
			KK_PUT(r, IO_URING_SETUP, features, p.features);
		} else {
			KK_PUT_EMPTY(r, IO_URING_SETUP, sq_entries);
			KK_PUT_EMPTY(r, IO_URING_SETUP, cq_entries);
			KK_PUT_EMPTY(r, IO_URING_SETUP, flags);
			KK_PUT_EMPTY(r, IO_URING_SETUP, sq_thread_cpu);
			KK_PUT_EMPTY(r, IO_URING_SETUP, sq_thread_idle);
			KK_PUT_EMPTY(r, IO_URING_SETUP, features);
		}
		kk_submit(&r);
	}
}

KK_FILLER(mmap)
{
	KK_BEGIN(r, MMAP);
	KK_PUT(r, MMAP, res, ret);
	KK_PUT(r, MMAP, addr, a[0]);
	KK_PUT(r, MMAP, length, a[1]);
	KK_PUT(r, MMAP, prot, a[2]);
	KK_PUT(r, MMAP, flags, a[3]);
	KK_PUT(r, MMAP, fd, (s32)a[4]);
	KK_PUT(r, MMAP, offset, a[5]);
	kk_submit(&r);
}

KK_FILLER(mprotect)
{
	KK_BEGIN(r, MPROTECT);
	KK_PUT(r, MPROTECT, res, ret);
	KK_PUT(r, MPROTECT, addr, a[0]);
	KK_PUT(r, MPROTECT, length, a[1]);
	KK_PUT(r, MPROTECT, prot, a[2]);
	kk_submit(&r);
}

KK_FILLER(kill)
{
	KK_BEGIN(r, KILL);
	KK_PUT(r, KILL, res, ret);
	KK_PUT(r, KILL, pid, (s32)a[0]);
	KK_PUT(r, KILL, sig, a[1]);
	kk_submit(&r);
}

KK_FILLER(tkill)
{
	KK_BEGIN(r, TKILL);
	KK_PUT(r, TKILL, res, ret);
	KK_PUT(r, TKILL, tid, (s32)a[0]);
	KK_PUT(r, TKILL, sig, a[1]);
	kk_submit(&r);
}

KK_FILLER(tgkill)
{
	KK_BEGIN(r, TGKILL);
	KK_PUT(r, TGKILL, res, ret);
	KK_PUT(r, TGKILL, pid, (s32)a[0]);
	KK_PUT(r, TGKILL, tid, (s32)a[1]);
	KK_PUT(r, TGKILL, sig, a[2]);
	kk_submit(&r);
}
