/*
 * fillers_file.bpf.h — open/close, the path-changing syscalls, dup, pipe,
 * memfd, mount, chroot/chdir.
 *
 * Paths are read from the caller's pointer at syscall exit: the memory is
 * still the caller's (only exec replaces it), so this costs one string
 * read and no entry hook. A caller that rewrites the buffer from another
 * thread during the syscall can make the reported path differ from the one
 * the kernel resolved — the same limit every exit-side reader has.
 */
#ifndef KESTREL_EBPF_FILLERS_FILE_BPF_H
#define KESTREL_EBPF_FILLERS_FILE_BPF_H

/*
 * open/openat/creat/close are the most frequent captured syscalls: their
 * records are written in place (filler.bpf.h). 256 bytes hold an openat
 * record with a path of up to ~170 bytes; a longer one goes through the
 * scratch.
 */
#define KB_OPEN_RECORD_LIMIT 256

KB_SYSCALL_EXIT_IN_PLACE(open, OPEN, KB_OPEN_RECORD_LIMIT)
{
	long ret = ctx->ret;
	KB_ARGS(a);
	KB_PUT(r, OPEN, fd, ret);
	KB_PUT_USER_STR(r, OPEN, name, a.a[0]);
	KB_PUT(r, OPEN, flags, a.a[1]);
	KB_PUT(r, OPEN, mode, a.a[2]);
	KB_PUT_FD_DEV_INO(r, OPEN, ret);
	return r;
}

KB_SYSCALL_EXIT_IN_PLACE(openat, OPENAT, KB_OPEN_RECORD_LIMIT)
{
	long ret = ctx->ret;
	KB_ARGS(a);
	KB_PUT(r, OPENAT, fd, ret);
	KB_PUT(r, OPENAT, dirfd, (s32)a.a[0]);
	KB_PUT_USER_STR(r, OPENAT, name, a.a[1]);
	KB_PUT(r, OPENAT, flags, a.a[2]);
	KB_PUT(r, OPENAT, mode, a.a[3]);
	KB_PUT_FD_DEV_INO(r, OPENAT, ret);
	return r;
}

KB_SYSCALL_EXIT(openat2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, OPENAT2);
	KB_ARGS(a);
	struct open_how how = {};
	KB_PUT(r, OPENAT2, fd, ret);
	KB_PUT(r, OPENAT2, dirfd, (s32)a.a[0]);
	KB_PUT_USER_STR(r, OPENAT2, name, a.a[1]);
	/* An open_how we cannot read back is unknown, not flags 0. */
	if (bpf_probe_read_user(&how, sizeof(how), (void *)a.a[2]) == 0) {
		KB_PUT(r, OPENAT2, flags, how.flags);
		KB_PUT(r, OPENAT2, mode, how.mode);
		KB_PUT(r, OPENAT2, resolve, how.resolve);
	} else {
		KB_PUT_EMPTY(r, OPENAT2, flags);
		KB_PUT_EMPTY(r, OPENAT2, mode);
		KB_PUT_EMPTY(r, OPENAT2, resolve);
	}
	KB_PUT_FD_DEV_INO(r, OPENAT2, ret);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT_IN_PLACE(creat, CREAT, KB_OPEN_RECORD_LIMIT)
{
	long ret = ctx->ret;
	KB_ARGS(a);
	KB_PUT(r, CREAT, fd, ret);
	KB_PUT_USER_STR(r, CREAT, name, a.a[0]);
	KB_PUT(r, CREAT, mode, a.a[1]);
	KB_PUT_FD_DEV_INO(r, CREAT, ret);
	return r;
}

/* 44 bytes: always in place. */
KB_SYSCALL_EXIT_IN_PLACE(close, CLOSE, 64)
{
	long ret = ctx->ret;
	KB_ARGS(a);
	KB_PUT(r, CLOSE, res, ret);
	KB_PUT(r, CLOSE, fd, (s32)a.a[0]);
	return r;
}

/* res + one path argument: unlink, rmdir, chroot, chdir. */
#define KB_RES_PATH(name, ID)                           \
	KB_SYSCALL_EXIT(name)                           \
	{                                               \
		long ret = ctx->ret;                    \
		KB_BEGIN(r, ID);                        \
		KB_ARGS(a);                             \
		KB_PUT(r, ID, res, ret);                \
		KB_PUT_USER_STR(r, ID, path, a.a[0]);   \
		kb_submit(&r);                          \
		return 0;                               \
	}

KB_RES_PATH(unlink, UNLINK)
KB_RES_PATH(rmdir, RMDIR)
KB_RES_PATH(chroot, CHROOT)
KB_RES_PATH(chdir, CHDIR)

KB_SYSCALL_EXIT(unlinkat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, UNLINKAT);
	KB_ARGS(a);
	KB_PUT(r, UNLINKAT, res, ret);
	KB_PUT(r, UNLINKAT, dirfd, (s32)a.a[0]);
	KB_PUT_USER_STR(r, UNLINKAT, name, a.a[1]);
	KB_PUT(r, UNLINKAT, flags, a.a[2]);
	kb_submit(&r);
	return 0;
}

/* res + two path arguments: rename, link, symlink (target is a CHARBUF). */
#define KB_RES_PATH_PATH(name, ID, first, second)       \
	KB_SYSCALL_EXIT(name)                           \
	{                                               \
		long ret = ctx->ret;                    \
		KB_BEGIN(r, ID);                        \
		KB_ARGS(a);                             \
		KB_PUT(r, ID, res, ret);                \
		KB_PUT_USER_STR(r, ID, first, a.a[0]);  \
		KB_PUT_USER_STR(r, ID, second, a.a[1]); \
		kb_submit(&r);                          \
		return 0;                               \
	}

KB_RES_PATH_PATH(rename, RENAME, oldpath, newpath)
KB_RES_PATH_PATH(link, LINK, oldpath, newpath)
KB_RES_PATH_PATH(symlink, SYMLINK, target, linkpath)

KB_SYSCALL_EXIT(renameat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, RENAMEAT);
	KB_ARGS(a);
	KB_PUT(r, RENAMEAT, res, ret);
	KB_PUT(r, RENAMEAT, olddirfd, (s32)a.a[0]);
	KB_PUT_USER_STR(r, RENAMEAT, oldpath, a.a[1]);
	KB_PUT(r, RENAMEAT, newdirfd, (s32)a.a[2]);
	KB_PUT_USER_STR(r, RENAMEAT, newpath, a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(renameat2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, RENAMEAT2);
	KB_ARGS(a);
	KB_PUT(r, RENAMEAT2, res, ret);
	KB_PUT(r, RENAMEAT2, olddirfd, (s32)a.a[0]);
	KB_PUT_USER_STR(r, RENAMEAT2, oldpath, a.a[1]);
	KB_PUT(r, RENAMEAT2, newdirfd, (s32)a.a[2]);
	KB_PUT_USER_STR(r, RENAMEAT2, newpath, a.a[3]);
	KB_PUT(r, RENAMEAT2, flags, a.a[4]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(linkat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, LINKAT);
	KB_ARGS(a);
	KB_PUT(r, LINKAT, res, ret);
	KB_PUT(r, LINKAT, olddir, (s32)a.a[0]);
	KB_PUT_USER_STR(r, LINKAT, oldpath, a.a[1]);
	KB_PUT(r, LINKAT, newdir, (s32)a.a[2]);
	KB_PUT_USER_STR(r, LINKAT, newpath, a.a[3]);
	KB_PUT(r, LINKAT, flags, a.a[4]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(symlinkat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SYMLINKAT);
	KB_ARGS(a);
	KB_PUT(r, SYMLINKAT, res, ret);
	KB_PUT_USER_STR(r, SYMLINKAT, target, a.a[0]);
	KB_PUT(r, SYMLINKAT, linkdirfd, (s32)a.a[1]);
	KB_PUT_USER_STR(r, SYMLINKAT, linkpath, a.a[2]);
	kb_submit(&r);
	return 0;
}

/* res + path + mode: mkdir, chmod (the path param's name differs). */
#define KB_RES_PATH_MODE(name, ID, path_param)              \
	KB_SYSCALL_EXIT(name)                               \
	{                                                   \
		long ret = ctx->ret;                        \
		KB_BEGIN(r, ID);                            \
		KB_ARGS(a);                                 \
		KB_PUT(r, ID, res, ret);                    \
		KB_PUT_USER_STR(r, ID, path_param, a.a[0]); \
		KB_PUT(r, ID, mode, a.a[1]);                \
		kb_submit(&r);                              \
		return 0;                                   \
	}

KB_RES_PATH_MODE(mkdir, MKDIR, path)
KB_RES_PATH_MODE(chmod, CHMOD, filename)

/* res + dirfd + path + mode: mkdirat, fchmodat. */
#define KB_RES_DIRFD_PATH_MODE(name, ID, path_param)        \
	KB_SYSCALL_EXIT(name)                               \
	{                                                   \
		long ret = ctx->ret;                        \
		KB_BEGIN(r, ID);                            \
		KB_ARGS(a);                                 \
		KB_PUT(r, ID, res, ret);                    \
		KB_PUT(r, ID, dirfd, (s32)a.a[0]);          \
		KB_PUT_USER_STR(r, ID, path_param, a.a[1]); \
		KB_PUT(r, ID, mode, a.a[2]);                \
		kb_submit(&r);                              \
		return 0;                                   \
	}

KB_RES_DIRFD_PATH_MODE(mkdirat, MKDIRAT, path)
KB_RES_DIRFD_PATH_MODE(fchmodat, FCHMODAT, filename)

/* res + fd-like int args, pushed as int64: fchdir, dup, dup2. */
KB_SYSCALL_EXIT(fchdir)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FCHDIR);
	KB_ARGS(a);
	KB_PUT(r, FCHDIR, res, ret);
	KB_PUT(r, FCHDIR, fd, (s32)a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(fchmod)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FCHMOD);
	KB_ARGS(a);
	KB_PUT(r, FCHMOD, res, ret);
	KB_PUT(r, FCHMOD, fd, (s32)a.a[0]);
	KB_PUT(r, FCHMOD, mode, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(dup)
{
	long ret = ctx->ret;
	KB_BEGIN(r, DUP);
	KB_ARGS(a);
	KB_PUT(r, DUP, res, ret);
	KB_PUT(r, DUP, oldfd, (s32)a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(dup2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, DUP2);
	KB_ARGS(a);
	KB_PUT(r, DUP2, res, ret);
	KB_PUT(r, DUP2, oldfd, (s32)a.a[0]);
	KB_PUT(r, DUP2, newfd, (s32)a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(dup3)
{
	long ret = ctx->ret;
	KB_BEGIN(r, DUP3);
	KB_ARGS(a);
	KB_PUT(r, DUP3, res, ret);
	KB_PUT(r, DUP3, oldfd, (s32)a.a[0]);
	KB_PUT(r, DUP3, newfd, (s32)a.a[1]);
	KB_PUT(r, DUP3, flags, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(fcntl)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FCNTL);
	KB_ARGS(a);
	KB_PUT(r, FCNTL, res, ret);
	KB_PUT(r, FCNTL, fd, (s32)a.a[0]);
	KB_PUT(r, FCNTL, cmd, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(memfd_create)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MEMFD_CREATE);
	KB_ARGS(a);
	KB_PUT(r, MEMFD_CREATE, fd, ret);
	KB_PUT_USER_STR(r, MEMFD_CREATE, name, a.a[0]);
	KB_PUT(r, MEMFD_CREATE, flags, a.a[1]);
	kb_submit(&r);
	return 0;
}

/* fd1, fd2 and ino of pipe/pipe2: the two fds pipe() wrote to the
 * caller's int[2] (-1 when it failed) and the pipe's inode; all empty when
 * the array cannot be read back. */
#define KB_PUT_PIPE_FDS(r, ID, ret, ufds)                                       \
	do {                                                                    \
		s32 fds[2] = {-1, -1};                                          \
		if ((ret) == 0 && bpf_probe_read_user(fds, sizeof(fds), (ufds)) != 0) { \
			KB_PUT_EMPTY(r, ID, fd1);                               \
			KB_PUT_EMPTY(r, ID, fd2);                               \
			KB_PUT_EMPTY(r, ID, ino);                               \
		} else {                                                        \
			KB_PUT(r, ID, fd1, fds[0]);                             \
			KB_PUT(r, ID, fd2, fds[1]);                             \
			KB_PUT(r, ID, ino, (ret) == 0 ? kb_fd_ino(fds[0]) : 0);  \
		}                                                               \
	} while (0)

KB_SYSCALL_EXIT(pipe)
{
	long ret = ctx->ret;
	KB_BEGIN(r, PIPE);
	KB_ARGS(a);
	KB_PUT(r, PIPE, res, ret);
	KB_PUT_PIPE_FDS(r, PIPE, ret, (void *)a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(pipe2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, PIPE2);
	KB_ARGS(a);
	KB_PUT(r, PIPE2, res, ret);
	KB_PUT_PIPE_FDS(r, PIPE2, ret, (void *)a.a[0]);
	KB_PUT(r, PIPE2, flags, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(mount)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MOUNT);
	KB_ARGS(a);
	KB_PUT(r, MOUNT, res, ret);
	KB_PUT_USER_STR(r, MOUNT, dev, a.a[0]);
	KB_PUT_USER_STR(r, MOUNT, dir, a.a[1]);
	KB_PUT_USER_STR(r, MOUNT, type, a.a[2]);
	KB_PUT(r, MOUNT, flags, a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT_TP(umount2, umount)
{
	long ret = ctx->ret;
	KB_BEGIN(r, UMOUNT2);
	KB_ARGS(a);
	KB_PUT(r, UMOUNT2, res, ret);
	KB_PUT_USER_STR(r, UMOUNT2, name, a.a[0]);
	KB_PUT(r, UMOUNT2, flags, a.a[1]);
	kb_submit(&r);
	return 0;
}

#endif /* KESTREL_EBPF_FILLERS_FILE_BPF_H */
