/*
 * open_read_close — the VM workload of bench/scap_side_by_side: N rounds of
 * openat + read(64 bytes) + close of one small file, three syscalls that
 * Falco's scap.ko and Kestrel's module and probe all record with their
 * params (path, fd, sizes), so every engine captures the same syscalls.
 *
 *   open_read_close LABEL N FILE
 *
 * Times the whole run, not a best round: a collector sharing the VM's one
 * CPU slows the workload down by what it costs, and that is the figure.
 * Prints "WORKLOAD LABEL rounds=N syscalls=3N cpu_ns=X wall_ns=Y" with the
 * calling thread's CPU time (the hooks run inside its syscalls) and the
 * wall time (also the consumer's share of the CPU). Exits 1 when a call
 * fails (a workload that did less work would look faster). Static and
 * unsanitized: the VM image carries no C library.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4 || atol(argv[2]) <= 0) {
		fprintf(stderr, "usage: open_read_close LABEL N FILE\n");
		return 2;
	}
	long n = atol(argv[2]);
	const char *path = argv[3];
	char buf[64];
	double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
	for (long i = 0; i < n; i++) {
		/* raw syscalls: the C library's openat wrapper adds nothing the hooks see */
		long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
		if (fd < 0) {
			perror("open_read_close: openat");
			return 1;
		}
		if (syscall(SYS_read, fd, buf, sizeof buf) < 0 || syscall(SYS_close, fd) != 0) {
			perror("open_read_close: read/close");
			return 1;
		}
	}
	double cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0, wall = now_ns(CLOCK_MONOTONIC) - w0;
	printf("WORKLOAD %s rounds=%ld syscalls=%ld cpu_ns=%.0f wall_ns=%.0f\n", argv[1], n, 3 * n, cpu, wall);
	return 0;
}
