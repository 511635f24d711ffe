/*
 * syscall_loop — the VM workload of bench/kmod_syscall_cost: times loops
 * of one syscall and prints the cost per call, in the calling thread's CPU
 * time (the probe or module runs in that thread, inside the syscall; the
 * collector's reader runs in its own process and is not counted) and in
 * wall time (which does count the reader, sharing the VM's one CPU).
 *
 *   syscall_loop LABEL N
 *
 * For each syscall: close(-1) (EBADF; a close event), openat of a missing
 * file (ENOENT; an openat event, path copied) and getppid (never an
 * event: the floor), N calls after N/10 warm-up, best of 5 rounds. Prints
 * "LOOP LABEL SYSCALL cpu_ns=X wall_ns=Y" per syscall. Static and
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

static void one(int which)
{
	switch (which) {
	case 0:
		syscall(SYS_close, -1);
		break;
	case 1:
		syscall(SYS_openat, AT_FDCWD, "/nonexistent/kestrel-bench", O_RDONLY);
		break;
	default:
		syscall(SYS_getppid);
		break;
	}
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"close", "openat", "getppid"};
	if (argc != 3 || atol(argv[2]) <= 0) {
		fprintf(stderr, "usage: syscall_loop LABEL N\n");
		return 2;
	}
	long n = atol(argv[2]);
	for (int which = 0; which < 3; which++) {
		double best_cpu = 1e300, best_wall = 1e300;
		for (long i = 0; i < n / 10; i++)
			one(which);
		for (int round = 0; round < 5; round++) {
			double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
			for (long i = 0; i < n; i++)
				one(which);
			double cpu = (now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)n;
			double wall = (now_ns(CLOCK_MONOTONIC) - w0) / (double)n;
			if (cpu < best_cpu)
				best_cpu = cpu;
			if (wall < best_wall)
				best_wall = wall;
		}
		printf("LOOP %s %s cpu_ns=%.0f wall_ns=%.0f\n", argv[1], names[which], best_cpu, best_wall);
	}
	return 0;
}
