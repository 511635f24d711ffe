/*
 * module_loader — the VM workload for the kernel module rules: makes the
 * module syscalls directly, so the test decides which syscall runs and the
 * process is not one of the known loaders (insmod, modprobe) the rules
 * exempt. Linked statically: the VM image carries no C library for it.
 *
 *   module_loader finit FILE   finit_module(open(FILE), "", 0)
 *   module_loader init FILE    init_module(<FILE's bytes>, size, "")
 *   module_loader init-bad     init_module(<64 zero bytes>, 64, ""): refused
 *
 * Prints "module_loader: <syscall> <what> = <result>" and exits 0 when the
 * syscall returned 0, 1 when it failed, 2 on a usage or I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(const char *call, const char *what, long rc)
{
	if (rc == 0)
		printf("module_loader: %s %s = 0\n", call, what);
	else
		printf("module_loader: %s %s = -1 (%s)\n", call, what, strerror(errno));
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "finit") == 0) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[2]);
			return 2;
		}
		return report("finit_module", argv[2], syscall(SYS_finit_module, fd, "", 0));
	}
	if (argc == 3 && strcmp(argv[1], "init") == 0) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			perror(argv[2]);
			return 2;
		}
		char *image = malloc((size_t)st.st_size);
		if (!image || read(fd, image, (size_t)st.st_size) != st.st_size) {
			perror(argv[2]);
			return 2;
		}
		return report("init_module", argv[2], syscall(SYS_init_module, image, (unsigned long)st.st_size, ""));
	}
	if (argc == 2 && strcmp(argv[1], "init-bad") == 0) {
		static char zeros[64];
		return report("init_module", "<64 zero bytes>", syscall(SYS_init_module, zeros, sizeof(zeros), ""));
	}
	fprintf(stderr, "usage: module_loader finit FILE | init FILE | init-bad\n");
	return 2;
}
