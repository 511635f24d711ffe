/*
 * every_event — the workload of the differential VM test (module vs eBPF
 * probe, tests/kmod/kmod_differential_vm_test.cpp): makes, with fixed
 * arguments, at least one syscall of every event type the eBPF probe
 * emits, so that two runs on the same kernel (one under each source) give
 * the same records but for pids, timestamps and what the test's exception
 * table lists.
 *
 *   every_event start DIR   personality(ADDR_NO_RANDOMIZE), then re-exec
 *                           as "every_event run DIR" (no ASLR: mmap
 *                           results and stack addresses repeat)
 *   every_event run DIR     the workload; DIR must not exist (it is
 *                           created, a fresh tmpfs mounted on it, so inode
 *                           numbers repeat, then unmounted and removed)
 *   every_event child       exits 0 (the target of execve/execveat)
 *
 * Pids: fd 3 must be open read-write on a file (the scenario's `3<>FILE`).
 * The workload maps it and writes "ROLE PID" lines into the mapping; it
 * does not write() them, since the text of a write is a captured param and
 * pids differ between runs. Roles: main, then one per child.
 *
 * Syscalls are made with syscall(2) where libc would use another one (fork
 * is clone in glibc, open is openat, pipe is pipe2 ...). Linked statically
 * and unsanitized: the VM image carries no C library.
 *
 * Exit code: 0 when every step that must succeed did; otherwise the number
 * of failed steps (each printed on stderr at the end, after the records of
 * interest).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIDS_FD 3

static char *pids_map;  /* the shared mapping of fd 3 */
static size_t pids_len;
static const char *failed[64];
static int nfailed;

/* Records a step that did not do what it must (printed at the end). */
static void fail(const char *what)
{
	if (nfailed < 64)
		failed[nfailed] = what;
	nfailed++;
}

/* rc must be >= 0 (success), or -1 with errno `err` when err != 0. */
static long expect(const char *what, long rc, int err)
{
	if (err == 0 ? rc < 0 : !(rc == -1 && errno == err))
		fail(what);
	return rc;
}

static void note_pid(const char *role, long pid)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s %ld\n", role, pid);
	if (pids_map && pids_len + (size_t)n < 4096) {
		memcpy(pids_map + pids_len, line, (size_t)n);
		pids_len += (size_t)n;
	}
}

/* Waits for child `pid` and checks it exited with `code`. */
static void reap(const char *role, long pid, int code)
{
	int status = 0;
	if (pid <= 0) {
		fail(role);
		return;
	}
	note_pid(role, pid);
	if (waitpid((pid_t)pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != code)
		fail(role);
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static struct sockaddr_in6 loopback6(uint16_t port)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	a.sin6_addr = in6addr_loopback;
	return a;
}

/* Closes a TCP socket with a reset, so no TIME_WAIT keeps its port pair
 * from the next run. */
static void close_reset(int fd)
{
	struct linger l = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void files(void)
{
	static char buf[64];
	static const char hello[] = "hello", world[] = "world";
	struct iovec wv[2] = {{(void *)"ab", 2}, {(void *)"cd", 2}};
	struct iovec rv[2] = {{buf, 3}, {buf + 8, 3}};

	int fd = (int)expect("open", syscall(SYS_open, "f1", O_CREAT | O_RDWR, 0644), 0);
	expect("open missing", syscall(SYS_open, "missing", O_RDONLY), ENOENT);
	int c = (int)expect("creat", syscall(SYS_creat, "f2", 0600), 0);
	int at = (int)expect("openat", syscall(SYS_openat, AT_FDCWD, "f3", O_CREAT | O_WRONLY | O_TRUNC, 0640), 0);
	struct open_how how = {.flags = O_RDONLY, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS};
	int o2 = (int)expect("openat2", syscall(SYS_openat2, AT_FDCWD, "f1", &how, sizeof(how)), 0);

	expect("write", syscall(SYS_write, fd, hello, 5), 0);
	expect("write f3", syscall(SYS_write, at, "f3", 2), 0);
	expect("pwrite64", syscall(SYS_pwrite64, fd, world, 5, 5), 0);
	expect("writev", syscall(SYS_writev, fd, wv, 2), 0);
	expect("pwritev", syscall(SYS_pwritev, fd, wv, 2, 20, 0), 0);
	expect("write bad fd", syscall(SYS_write, 99, hello, 5), EBADF);
	expect("read", syscall(SYS_read, o2, buf, 4), 0);
	expect("pread64", syscall(SYS_pread64, o2, buf, 6, 2), 0);
	expect("readv", syscall(SYS_readv, o2, rv, 2), 0);
	expect("preadv", syscall(SYS_preadv, o2, rv, 2, 1, 0), 0);

	expect("dup", syscall(SYS_dup, fd), 0);
	expect("dup2", syscall(SYS_dup2, fd, 40), 0);
	expect("dup3", syscall(SYS_dup3, fd, 41, O_CLOEXEC), 0);
	expect("dup2 bad fd", syscall(SYS_dup2, 99, 42), EBADF);
	expect("fcntl dupfd", syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 50), 0);
	expect("fcntl getfl", syscall(SYS_fcntl, fd, F_GETFL), 0);
	expect("fcntl setfd", syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC), 0);

	expect("chmod", syscall(SYS_chmod, "f1", 0600), 0);
	expect("chmod missing", syscall(SYS_chmod, "missing", 0600), ENOENT);
	expect("fchmod", syscall(SYS_fchmod, c, 0640), 0);
	expect("fchmodat", syscall(SYS_fchmodat, AT_FDCWD, "f3", 0604, 0), 0);

	expect("mkdir", syscall(SYS_mkdir, "d", 0755), 0);
	expect("mkdir exists", syscall(SYS_mkdir, "d", 0755), EEXIST);
	int dfd = (int)expect("open dir", syscall(SYS_open, "d", O_RDONLY | O_DIRECTORY), 0);
	expect("mkdirat", syscall(SYS_mkdirat, dfd, "sub", 0700), 0);
	expect("rename", syscall(SYS_rename, "f2", "f2a"), 0);
	expect("renameat", syscall(SYS_renameat, AT_FDCWD, "f2a", dfd, "f2b"), 0);
	expect("renameat2", syscall(SYS_renameat2, dfd, "f2b", AT_FDCWD, "f2c", RENAME_NOREPLACE), 0);
	expect("renameat2 exists", syscall(SYS_renameat2, AT_FDCWD, "f2c", AT_FDCWD, "f1", RENAME_NOREPLACE), EEXIST);
	expect("symlink", syscall(SYS_symlink, "f1", "s1"), 0);
	expect("symlinkat", syscall(SYS_symlinkat, "../f1", dfd, "s2"), 0);
	expect("link", syscall(SYS_link, "f1", "l1"), 0);
	expect("linkat", syscall(SYS_linkat, AT_FDCWD, "f3", dfd, "l2", 0), 0);
	expect("unlink", syscall(SYS_unlink, "l1"), 0);
	expect("unlink missing", syscall(SYS_unlink, "l1"), ENOENT);
	expect("unlinkat", syscall(SYS_unlinkat, dfd, "l2", 0), 0);
	expect("unlinkat dir", syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR), 0);
	expect("rmdir nonempty", syscall(SYS_rmdir, "d"), ENOTEMPTY);
	expect("unlinkat s2", syscall(SYS_unlinkat, dfd, "s2", 0), 0);

	expect("mkdir m", syscall(SYS_mkdir, "m", 0755), 0);
	expect("mount", syscall(SYS_mount, "ee-inner", "m", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k"), 0);
	expect("mount bad type", syscall(SYS_mount, "none", "m", "no-such-fs", 0, NULL), ENODEV);
	expect("umount2", syscall(SYS_umount2, "m", MNT_DETACH), 0);
	expect("umount2 not mounted", syscall(SYS_umount2, "m", 0), EINVAL);
	expect("rmdir", syscall(SYS_rmdir, "m"), 0);

	expect("chdir", syscall(SYS_chdir, "d"), 0);
	expect("chdir missing", syscall(SYS_chdir, "missing"), ENOENT);
	int top = (int)expect("open ..", syscall(SYS_open, "..", O_RDONLY | O_DIRECTORY), 0);
	expect("fchdir", syscall(SYS_fchdir, top), 0);
	expect("fchdir bad fd", syscall(SYS_fchdir, 99), EBADF);
	expect("chroot", syscall(SYS_chroot, "/"), 0);
	expect("chroot missing", syscall(SYS_chroot, "missing"), ENOENT);

	expect("close", syscall(SYS_close, 40), 0);
	expect("close bad fd", syscall(SYS_close, 99), EBADF);
	expect("rmdir d", syscall(SYS_rmdir, "d"), 0);
}

static void memory(void)
{
	int m = (int)expect("memfd_create", syscall(SYS_memfd_create, "ee-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING), 0);
	expect("ftruncate memfd", ftruncate(m, 8192), 0);
	long a = expect("mmap anon",
			syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 0);
	expect("mmap memfd", syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, m, 4096), 0);
	expect("mmap bad fd", syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, 99, 0), EBADF);
	expect("mprotect", syscall(SYS_mprotect, a, 4096, PROT_READ), 0);
	expect("mprotect unaligned", syscall(SYS_mprotect, a + 1, 4096, PROT_READ), EINVAL);
}

static void ipc_and_net(void)
{
	static char buf[64];
	int p[2];
	expect("pipe", syscall(SYS_pipe, p), 0);
	expect("pipe2", syscall(SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK), 0);
	expect("write pipe", syscall(SYS_write, p[1], "pipe", 4), 0);
	expect("read pipe", syscall(SYS_read, p[0], buf, sizeof(buf)), 0);
	expect("read empty pipe", syscall(SYS_read, p[0], buf, sizeof(buf)), EAGAIN);

	/* TCP over loopback, every port fixed. */
	int one = 1;
	struct sockaddr_in srv = loopback(47001), cli1 = loopback(47002), cli2 = loopback(47003);
	int ls = (int)expect("socket tcp", syscall(SYS_socket, AF_INET, SOCK_STREAM, IPPROTO_TCP), 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	expect("bind", syscall(SYS_bind, ls, &srv, sizeof(srv)), 0);
	expect("listen", syscall(SYS_listen, ls, 4), 0);
	int c1 = (int)expect("socket c1", syscall(SYS_socket, AF_INET, SOCK_STREAM, 0), 0);
	setsockopt(c1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	expect("bind c1", syscall(SYS_bind, c1, &cli1, sizeof(cli1)), 0);
	expect("connect", syscall(SYS_connect, c1, &srv, sizeof(srv)), 0);
	int a1 = (int)expect("accept", syscall(SYS_accept, ls, NULL, NULL), 0);
	int c2 = (int)expect("socket c2", syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
	setsockopt(c2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	expect("bind c2", syscall(SYS_bind, c2, &cli2, sizeof(cli2)), 0);
	expect("connect c2", syscall(SYS_connect, c2, &srv, sizeof(srv)), 0);
	int a2 = (int)expect("accept4", syscall(SYS_accept4, ls, NULL, NULL, SOCK_CLOEXEC), 0);
	struct sockaddr_in closed = loopback(47009);
	int c3 = (int)expect("socket c3", syscall(SYS_socket, AF_INET, SOCK_STREAM, 0), 0);
	expect("connect refused", syscall(SYS_connect, c3, &closed, sizeof(closed)), ECONNREFUSED);

	expect("sendto tcp", syscall(SYS_sendto, c1, "ping", 4, 0, NULL, 0), 0);
	expect("recvfrom tcp", syscall(SYS_recvfrom, a1, buf, sizeof(buf), 0, NULL, NULL), 0);
	struct iovec iov = {(void *)"pong!", 5};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	expect("sendmsg tcp", syscall(SYS_sendmsg, a2, &mh, 0), 0);
	struct iovec riov = {buf, sizeof(buf)};
	struct msghdr rmh = {.msg_iov = &riov, .msg_iovlen = 1};
	expect("recvmsg tcp", syscall(SYS_recvmsg, c2, &rmh, 0), 0);
	expect("recvfrom empty", syscall(SYS_recvfrom, c2, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL), EAGAIN);
	close_reset(c1);
	close_reset(c2);
	close_reset(a1);
	close_reset(a2);
	close(c3);
	close(ls);

	/* UDP over loopback. */
	struct sockaddr_in u1a = loopback(47010), u2a = loopback(47011), from;
	socklen_t fromlen = sizeof(from);
	int u1 = (int)expect("socket udp", syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0), 0);
	int u2 = (int)expect("socket udp2", syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), 0);
	expect("bind udp", syscall(SYS_bind, u1, &u1a, sizeof(u1a)), 0);
	expect("bind udp2", syscall(SYS_bind, u2, &u2a, sizeof(u2a)), 0);
	expect("bind in use", syscall(SYS_bind, u2, &u1a, sizeof(u1a)), EINVAL);
	expect("sendto udp", syscall(SYS_sendto, u2, "dgram", 5, 0, &u1a, sizeof(u1a)), 0);
	expect("recvfrom udp", syscall(SYS_recvfrom, u1, buf, sizeof(buf), 0, &from, &fromlen), 0);
	struct iovec uiov = {(void *)"dgram2", 6};
	struct msghdr umh = {.msg_name = &u2a, .msg_namelen = sizeof(u2a), .msg_iov = &uiov, .msg_iovlen = 1};
	expect("sendmsg udp", syscall(SYS_sendmsg, u1, &umh, 0), 0);
	struct sockaddr_in rfrom;
	struct msghdr urmh = {.msg_name = &rfrom, .msg_namelen = sizeof(rfrom), .msg_iov = &riov, .msg_iovlen = 1};
	expect("recvmsg udp", syscall(SYS_recvmsg, u2, &urmh, 0), 0);
	close(u1);
	close(u2);

	/* IPv6 over loopback (::1), TCP and UDP: the 16-byte address encodings. */
	struct sockaddr_in6 s6 = loopback6(47020), c6 = loopback6(47021), d6 = loopback6(47022);
	int l6 = (int)expect("socket tcp6", syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0), 0);
	setsockopt(l6, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	expect("bind tcp6", syscall(SYS_bind, l6, &s6, sizeof(s6)), 0);
	expect("listen tcp6", syscall(SYS_listen, l6, 1), 0);
	int k6 = (int)expect("socket tcp6 client", syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0), 0);
	setsockopt(k6, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	expect("bind tcp6 client", syscall(SYS_bind, k6, &c6, sizeof(c6)), 0);
	expect("connect tcp6", syscall(SYS_connect, k6, &s6, sizeof(s6)), 0);
	int a6 = (int)expect("accept tcp6", syscall(SYS_accept, l6, NULL, NULL), 0);
	expect("sendto tcp6", syscall(SYS_sendto, k6, "six", 3, 0, NULL, 0), 0);
	expect("recvfrom tcp6", syscall(SYS_recvfrom, a6, buf, sizeof(buf), 0, NULL, NULL), 0);
	close_reset(k6);
	close_reset(a6);
	close(l6);
	int v6 = (int)expect("socket udp6", syscall(SYS_socket, AF_INET6, SOCK_DGRAM, 0), 0);
	expect("bind udp6", syscall(SYS_bind, v6, &d6, sizeof(d6)), 0);
	expect("sendto udp6", syscall(SYS_sendto, v6, "dgram6", 6, 0, &d6, sizeof(d6)), 0);
	struct sockaddr_in6 from6;
	socklen_t from6len = sizeof(from6);
	expect("recvfrom udp6", syscall(SYS_recvfrom, v6, buf, sizeof(buf), 0, &from6, &from6len), 0);
	close(v6);

	/* AF_UNIX: a pair, and a bound stream socket in the fresh tmpfs. */
	int sp[2];
	expect("socketpair", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sp), 0);
	expect("write socketpair", syscall(SYS_write, sp[0], "unix", 4), 0);
	expect("read socketpair", syscall(SYS_read, sp[1], buf, sizeof(buf)), 0);
	struct sockaddr_un un;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	strcpy(un.sun_path, "sock");
	int us = (int)expect("socket unix", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0), 0);
	expect("bind unix", syscall(SYS_bind, us, &un, sizeof(un)), 0);
	expect("listen unix", syscall(SYS_listen, us, 1), 0);
	int uc = (int)expect("socket unix client", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0), 0);
	expect("connect unix", syscall(SYS_connect, uc, &un, sizeof(un)), 0);
	int ua = (int)expect("accept unix", syscall(SYS_accept4, us, NULL, NULL, 0), 0);
	expect("sendto unix", syscall(SYS_sendto, uc, "hi", 2, 0, NULL, 0), 0);
	expect("recvfrom unix", syscall(SYS_recvfrom, ua, buf, sizeof(buf), 0, NULL, NULL), 0);
	close(ua);
	close(uc);
	close(us);
	close(sp[0]);
	close(sp[1]);
	expect("socket bad family", syscall(SYS_socket, 12345, SOCK_STREAM, 0), EAFNOSUPPORT);
}

static void security(void)
{
	/* The ids the process has already: they succeed and change nothing. */
	expect("setuid", syscall(SYS_setuid, 0), 0);
	expect("setgid", syscall(SYS_setgid, 0), 0);
	expect("setreuid", syscall(SYS_setreuid, 0, 0), 0);
	expect("setregid", syscall(SYS_setregid, -1, 0), 0);
	expect("setresuid", syscall(SYS_setresuid, 0, 0, 0), 0);
	expect("setresgid", syscall(SYS_setresgid, 0, -1, 0), 0);

	expect("prctl set name", syscall(SYS_prctl, PR_SET_NAME, "ee-main", 0, 0, 0), 0);
	expect("prctl get dumpable", syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	expect("prctl bad option", syscall(SYS_prctl, 0x7fff1234, 0, 0, 0, 0), EINVAL);

	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	if (syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)) != -1)
		fail("bpf prog load of nothing succeeded");
	if (syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)) != -1)
		fail("bpf map create of nothing succeeded");

	static char image[64];
	expect("init_module", syscall(SYS_init_module, image, sizeof(image), "ee=1"), ENOEXEC);
	int f = (int)expect("open f1 for finit", syscall(SYS_open, "f1", O_RDONLY), 0);
	long r = syscall(SYS_finit_module, f, "ee=2", 0);
	if (r == 0)
		fail("finit_module of a text file succeeded");

	expect("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), 0);
	struct io_uring_params up;
	memset(&up, 0, sizeof(up));
	expect("io_uring_setup", syscall(SYS_io_uring_setup, 4, &up), 0);
	memset(&up, 0, sizeof(up));
	expect("io_uring_setup zero", syscall(SYS_io_uring_setup, 0, &up), EINVAL);

	expect("kill", syscall(SYS_kill, getpid(), 0), 0);
	expect("tkill", syscall(SYS_tkill, syscall(SYS_gettid), 0), 0);
	expect("tgkill", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0), 0);
	expect("kill bad signal", syscall(SYS_kill, getpid(), 1000), EINVAL);
	expect("ptrace detach untraced", syscall(SYS_ptrace, PTRACE_DETACH, getpid(), 0, 0), ESRCH);
}

/* The children; each exits with its own code, the parent checks it. */
static int ptrace_child(void)
{
	return syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) == 0 ? 11 : 1;
}

static int ns_child(void)
{
	int fd = (int)syscall(SYS_open, "/proc/1/ns/uts", O_RDONLY);
	if (fd < 0 || syscall(SYS_unshare, CLONE_NEWUTS) != 0 || syscall(SYS_setns, fd, CLONE_NEWUTS) != 0)
		return 1;
	if (syscall(SYS_setns, fd, CLONE_NEWNET) != -1 || errno != EINVAL)
		return 1;
	return 12;
}

static void processes(const char *self, char **envp)
{
	long pid;

	pid = syscall(SYS_fork);
	if (pid == 0)
		_exit(ptrace_child());
	reap("fork-ptrace", pid, 11);

	pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(ns_child());
	reap("clone-ns", pid, 12);

	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(13);
	reap("clone3", pid, 13);

	/* vfork: the child may only exec or _exit. */
	char *child_argv[] = {(char *)"every_event", (char *)"child", NULL};
	pid = vfork();
	if (pid == 0) {
		execve(self, child_argv, envp);
		_exit(1);
	}
	reap("vfork-execve", pid, 0);

	/* An exec whose argument and environment areas are longer than the
	 * params' caps (4096 and 2048 bytes): both cut, still NUL-terminated. */
	static char long_arg[5000], long_env[3000];
	memset(long_arg, 'a', sizeof(long_arg) - 1);
	memcpy(long_env, "EE_LONG=", 8);
	memset(long_env + 8, 'e', sizeof(long_env) - 9);
	char *long_argv[] = {(char *)"every_event", (char *)"child", long_arg, NULL};
	char *long_envp[] = {long_env, NULL};
	pid = syscall(SYS_fork);
	if (pid == 0) {
		execve(self, long_argv, long_envp);
		_exit(1);
	}
	reap("fork-long-exec", pid, 0);

	pid = syscall(SYS_fork);
	if (pid == 0) {
		int bin = (int)syscall(SYS_open, "/bin", O_RDONLY | O_DIRECTORY);
		syscall(SYS_execveat, bin, "missing-program", child_argv, envp, 0);
		syscall(SYS_execve, "/ee-missing-program", child_argv, envp);
		syscall(SYS_execveat, bin, "every_event", child_argv, envp, 0);
		_exit(1);
	}
	reap("fork-execveat", pid, 0);

	expect("clone3 bad size", syscall(SYS_clone3, &ca, 8), EINVAL);
}

int main(int argc, char **argv, char **envp)
{
	if (argc >= 2 && strcmp(argv[1], "child") == 0)
		return 0;
	if (argc == 3 && strcmp(argv[1], "start") == 0) {
		char *run_argv[] = {argv[0], (char *)"run", argv[2], NULL};
		if (personality(ADDR_NO_RANDOMIZE) == -1) {
			perror("personality");
			return 100;
		}
		execve(argv[0], run_argv, envp);
		perror("execve");
		return 100;
	}
	if (argc != 3 || strcmp(argv[1], "run") != 0) {
		fprintf(stderr, "usage: every_event start DIR | run DIR | child\n");
		return 100;
	}
	const char *dir = argv[2];

	if (ftruncate(PIDS_FD, 4096) != 0) {
		perror("every_event: fd 3 (the pids file)");
		return 100;
	}
	pids_map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, PIDS_FD, 0);
	if (pids_map == MAP_FAILED) {
		perror("every_event: mapping fd 3");
		return 100;
	}
	note_pid("main", getpid());

	expect("mkdir dir", syscall(SYS_mkdir, dir, 0755), 0);
	expect("mount dir", syscall(SYS_mount, "ee", dir, "tmpfs", 0, "size=1m,mode=0755"), 0);
	expect("chdir dir", syscall(SYS_chdir, dir), 0);

	files();
	memory();
	ipc_and_net();
	security();
	processes(argv[0], envp);

	expect("chdir /", syscall(SYS_chdir, "/"), 0);
	expect("umount2 dir", syscall(SYS_umount2, dir, MNT_DETACH), 0);
	expect("rmdir dir", syscall(SYS_rmdir, dir), 0);

	int n = nfailed < 64 ? nfailed : 64;
	for (int i = 0; i < n; i++)
		fprintf(stderr, "every_event: FAILED %s\n", failed[i]);
	return nfailed > 100 ? 100 : nfailed;
}
