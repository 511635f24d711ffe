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

KB_SYSCALL_EXIT(open)
{
	long ret = ctx->ret;
	KB_BEGIN(r, OPEN);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_user_str(&r, (void *)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_push_fd_dev_ino(&r, ret);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(openat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, OPENAT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_push_u32(&r, a.a[3]);
	kb_push_fd_dev_ino(&r, ret);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(openat2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, OPENAT2);
	KB_ARGS(a);
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)a.a[2]);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_u32(&r, how.flags);
	kb_push_u32(&r, how.mode);
	kb_push_u32(&r, how.resolve);
	kb_push_fd_dev_ino(&r, ret);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(creat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, CREAT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_user_str(&r, (void *)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_push_fd_dev_ino(&r, ret);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(close)
{
	long ret = ctx->ret;
	KB_BEGIN(r, CLOSE);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_submit(&r);
	return 0;
}

/* res + one path argument: unlink, rmdir, chroot, chdir. */
#define KB_RES_PATH(name, ID)                           \
	KB_SYSCALL_EXIT(name)                           \
	{                                               \
		long ret = ctx->ret;                    \
		KB_BEGIN(r, ID);                        \
		KB_ARGS(a);                             \
		kb_push_s64(&r, ret);                   \
		kb_push_user_str(&r, (void *)a.a[0]);   \
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
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_submit(&r);
	return 0;
}

/* res + two path arguments: rename, link, symlink (target is a CHARBUF). */
#define KB_RES_PATH_PATH(name, ID)                      \
	KB_SYSCALL_EXIT(name)                           \
	{                                               \
		long ret = ctx->ret;                    \
		KB_BEGIN(r, ID);                        \
		KB_ARGS(a);                             \
		kb_push_s64(&r, ret);                   \
		kb_push_user_str(&r, (void *)a.a[0]);   \
		kb_push_user_str(&r, (void *)a.a[1]);   \
		kb_submit(&r);                          \
		return 0;                               \
	}

KB_RES_PATH_PATH(rename, RENAME)
KB_RES_PATH_PATH(link, LINK)
KB_RES_PATH_PATH(symlink, SYMLINK)

KB_SYSCALL_EXIT(renameat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, RENAMEAT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_s64(&r, (s32)a.a[2]);
	kb_push_user_str(&r, (void *)a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(renameat2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, RENAMEAT2);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_s64(&r, (s32)a.a[2]);
	kb_push_user_str(&r, (void *)a.a[3]);
	kb_push_u32(&r, a.a[4]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(linkat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, LINKAT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_s64(&r, (s32)a.a[2]);
	kb_push_user_str(&r, (void *)a.a[3]);
	kb_push_u32(&r, a.a[4]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(symlinkat)
{
	long ret = ctx->ret;
	KB_BEGIN(r, SYMLINKAT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_user_str(&r, (void *)a.a[0]);
	kb_push_s64(&r, (s32)a.a[1]);
	kb_push_user_str(&r, (void *)a.a[2]);
	kb_submit(&r);
	return 0;
}

/* res + path + mode: mkdir, chmod. */
#define KB_RES_PATH_MODE(name, ID)                      \
	KB_SYSCALL_EXIT(name)                           \
	{                                               \
		long ret = ctx->ret;                    \
		KB_BEGIN(r, ID);                        \
		KB_ARGS(a);                             \
		kb_push_s64(&r, ret);                   \
		kb_push_user_str(&r, (void *)a.a[0]);   \
		kb_push_u32(&r, a.a[1]);                \
		kb_submit(&r);                          \
		return 0;                               \
	}

KB_RES_PATH_MODE(mkdir, MKDIR)
KB_RES_PATH_MODE(chmod, CHMOD)

/* res + dirfd + path + mode: mkdirat, fchmodat. */
#define KB_RES_DIRFD_PATH_MODE(name, ID)                \
	KB_SYSCALL_EXIT(name)                           \
	{                                               \
		long ret = ctx->ret;                    \
		KB_BEGIN(r, ID);                        \
		KB_ARGS(a);                             \
		kb_push_s64(&r, ret);                   \
		kb_push_s64(&r, (s32)a.a[0]);           \
		kb_push_user_str(&r, (void *)a.a[1]);   \
		kb_push_u32(&r, a.a[2]);                \
		kb_submit(&r);                          \
		return 0;                               \
	}

KB_RES_DIRFD_PATH_MODE(mkdirat, MKDIRAT)
KB_RES_DIRFD_PATH_MODE(fchmodat, FCHMODAT)

/* res + fd-like int args, pushed as int64: fchdir, dup, dup2. */
KB_SYSCALL_EXIT(fchdir)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FCHDIR);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(fchmod)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FCHMOD);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(dup)
{
	long ret = ctx->ret;
	KB_BEGIN(r, DUP);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(dup2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, DUP2);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_s64(&r, (s32)a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(dup3)
{
	long ret = ctx->ret;
	KB_BEGIN(r, DUP3);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_s64(&r, (s32)a.a[1]);
	kb_push_u32(&r, a.a[2]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(fcntl)
{
	long ret = ctx->ret;
	KB_BEGIN(r, FCNTL);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_s64(&r, (s32)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(memfd_create)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MEMFD_CREATE);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_user_str(&r, (void *)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

/* The two fds pipe() wrote to the caller's int[2], and the pipe's inode. */
static __always_inline void kb_push_pipe_fds(struct kb_rec *r, long ret, const void *ufds)
{
	s32 fds[2] = {-1, -1};
	if (ret == 0)
		bpf_probe_read_user(fds, sizeof(fds), ufds);
	kb_push_s64(r, fds[0]);
	kb_push_s64(r, fds[1]);
	kb_push_u64(r, ret == 0 ? kb_fd_ino(fds[0]) : 0);
}

KB_SYSCALL_EXIT(pipe)
{
	long ret = ctx->ret;
	KB_BEGIN(r, PIPE);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_pipe_fds(&r, ret, (void *)a.a[0]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(pipe2)
{
	long ret = ctx->ret;
	KB_BEGIN(r, PIPE2);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_pipe_fds(&r, ret, (void *)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT(mount)
{
	long ret = ctx->ret;
	KB_BEGIN(r, MOUNT);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_user_str(&r, (void *)a.a[0]);
	kb_push_user_str(&r, (void *)a.a[1]);
	kb_push_user_str(&r, (void *)a.a[2]);
	kb_push_u32(&r, a.a[3]);
	kb_submit(&r);
	return 0;
}

KB_SYSCALL_EXIT_TP(umount2, umount)
{
	long ret = ctx->ret;
	KB_BEGIN(r, UMOUNT2);
	KB_ARGS(a);
	kb_push_s64(&r, ret);
	kb_push_user_str(&r, (void *)a.a[0]);
	kb_push_u32(&r, a.a[1]);
	kb_submit(&r);
	return 0;
}

#endif /* KESTREL_EBPF_FILLERS_FILE_BPF_H */
