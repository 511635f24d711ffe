/*
 * compat_openat_i386 — kmod_vm_test's 32-bit workload: an i386 program
 * (built -m32 -nostdlib -static, so the VM needs no 32-bit C library)
 * that makes its syscalls through `int $0x80`, the ia32 compat entry the
 * kernel module counts as `compat_ignored` instead of decoding.
 *
 * openat(AT_FDCWD, "/", O_RDONLY); prints "i386 openat ok"
 * and exits 0 when it returned a descriptor, exits 1 otherwise.
 * The syscall numbers are the i386 table's, from the kernel's uapi header
 * (linux-libc-dev ships it under the amd64 multiarch directory).
 */
#include <x86_64-linux-gnu/asm/unistd_32.h>

#define KX_AT_FDCWD (-100)
#define KX_O_RDONLY 0

static long kx_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

void _start(void);

void _start(void)
{
	static const char ok[] = "i386 openat ok\n";
	long fd = kx_syscall3(__NR_openat, KX_AT_FDCWD, (long)"/", KX_O_RDONLY);

	if (fd >= 0)
		kx_syscall3(__NR_write, 1, (long)ok, sizeof(ok) - 1);
	kx_syscall3(__NR_exit, fd >= 0 ? 0 : 1, 0, 0);
	for (;;)
		;
}
