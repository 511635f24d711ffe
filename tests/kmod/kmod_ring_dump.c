/*
 * kmod_ring_dump — the kestrel module's own reader, in plain C, for VMs
 * where the collector cannot run: a guest of another architecture (the
 * arm64 guest of kmod_arm64_vm_test runs this, cross-built static, since
 * the collector and its libraries are built for the host only).
 *
 *   kmod_ring_dump MAP OUT -- COMMAND [ARG]...
 *
 * Opens /dev/kestrel, checks the ABI version, starts capture of every
 * type the module supports with the syscall map read from MAP (lines
 * "nr type" and "compat nr type", written on the host from libseccomp),
 * runs COMMAND as a child and waits for it, then drains every CPU's ring
 * into OUT: the records exactly as the module wrote them, concatenated.
 * Prints "kmod_ring_dump: abi=.. supported=.. records=.. bytes=..
 * drops=a,b,c,d" and exits 0; 1 on any error (with a message).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sources/abi/kestrel_event.h"
#include "kmod/module/kestrel_kmod_abi.h"

#define RING_BYTES (1u << 22)

static int fail(const char *what)
{
	fprintf(stderr, "kmod_ring_dump: %s: %s\n", what, strerror(errno));
	return 1;
}

static int read_map(const char *path, struct kestrel_kmod_start *start)
{
	FILE *f = fopen(path, "r");
	char line[128];

	if (!f)
		return fail(path);
	while (fgets(line, sizeof line, f)) {
		unsigned nr, type;

		if (sscanf(line, "compat %u %u", &nr, &type) == 2) {
			if (nr < KESTREL_KMOD_MAX_SYSCALLS)
				start->compat_syscall_types[nr] = (uint16_t)type;
		} else if (sscanf(line, "%u %u", &nr, &type) == 2) {
			if (nr < KESTREL_KMOD_MAX_SYSCALLS)
				start->syscall_types[nr] = (uint16_t)type;
		}
	}
	fclose(f);
	return 0;
}

/* Copies the ring's records from tail to head into `out`; returns the
 * number of records, or -1 on a corrupt length. */
static long drain(struct kestrel_kmod_ring_hdr *hdr, const uint8_t *data, FILE *out, uint64_t *bytes)
{
	uint64_t head = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
	uint64_t tail = hdr->tail;
	uint64_t size = hdr->size;
	long records = 0;

	while (tail < head) {
		uint64_t off = tail & (size - 1);
		const struct kestrel_event_hdr *h;

		if (size - off < KESTREL_EVENT_HDR_SIZE) { /* gap shorter than a header */
			tail += size - off;
			continue;
		}
		h = (const void *)(data + off);
		if (h->len < KESTREL_EVENT_HDR_SIZE || h->len > size - off)
			return -1;
		if (h->type != 0) {
			fwrite(h, 1, h->len, out);
			*bytes += h->len;
			records++;
		}
		tail += (h->len + 7) & ~7ull;
	}
	__atomic_store_n(&hdr->tail, tail, __ATOMIC_RELEASE);
	return records;
}

int main(int argc, char **argv)
{
	struct kestrel_kmod_info info;
	struct kestrel_kmod_start *start;
	uint64_t stride = KESTREL_KMOD_RING_HDR_BYTES + RING_BYTES;
	uint64_t drops[KESTREL_KMOD_DROP_COUNT] = {0}, bytes = 0;
	long total = 0;
	int fd, status, supported = 0, i;
	unsigned cpu;
	pid_t child;
	FILE *out;

	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: kmod_ring_dump MAP OUT -- COMMAND [ARG]...\n");
		return 2;
	}
	fd = open(KESTREL_KMOD_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(KESTREL_KMOD_DEVICE);
	if (ioctl(fd, KESTREL_IOC_INFO, &info) != 0)
		return fail("KESTREL_IOC_INFO");
	if (info.abi_version != KESTREL_KMOD_ABI_VERSION) {
		fprintf(stderr, "kmod_ring_dump: module ABI %u, want %u\n", info.abi_version, KESTREL_KMOD_ABI_VERSION);
		return 1;
	}
	start = calloc(1, sizeof(*start));
	if (!start || read_map(argv[1], start) != 0)
		return 1;
	start->buf_size = RING_BYTES;
	start->ignore_tgid = (uint32_t)getpid();
	start->process_fields = KESTREL_KMOD_PF_ALL;
	for (i = 0; i < KESTREL_KMOD_TYPE_WORDS; i++) {
		start->types[i] = info.supported[i];
		supported += __builtin_popcountll(info.supported[i]);
	}
	if (ioctl(fd, KESTREL_IOC_START, start) != 0)
		return fail("KESTREL_IOC_START");

	child = fork();
	if (child < 0)
		return fail("fork");
	if (child == 0) {
		execv(argv[4], argv + 4);
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0)
		return fail("waitpid");

	out = fopen(argv[2], "wb");
	if (!out)
		return fail(argv[2]);
	for (cpu = 0; cpu < info.nr_cpu_ids; cpu++) {
		void *base = mmap(NULL, stride, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)(cpu * stride));
		struct kestrel_kmod_ring_hdr *hdr;
		long n;

		if (base == MAP_FAILED) {
			if (errno == ENXIO) /* not a possible CPU */
				continue;
			return fail("mmap");
		}
		hdr = base;
		n = drain(hdr, (const uint8_t *)base + KESTREL_KMOD_RING_HDR_BYTES, out, &bytes);
		if (n < 0) {
			fprintf(stderr, "kmod_ring_dump: corrupt record length in the ring of cpu %u\n", cpu);
			return 1;
		}
		total += n;
		for (i = 0; i < KESTREL_KMOD_DROP_COUNT; i++)
			drops[i] += hdr->drops[i];
		munmap(base, stride);
	}
	fclose(out);
	printf("kmod_ring_dump: abi=%u supported=%d child_status=%d records=%ld bytes=%llu drops=", info.abi_version,
	       supported, status, total, (unsigned long long)bytes);
	for (i = 0; i < KESTREL_KMOD_DROP_COUNT; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)drops[i]);
	printf("\n");
	close(fd);
	return 0;
}
