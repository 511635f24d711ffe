// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fillers_file.c — files and directories: open/close, the
 * path-changing syscalls, dup, pipe, memfd, mount, chroot/chdir, as
 * ebpf/bpf/fillers_file.bpf.h writes them (same order of fillers, same
 * shared shapes as its KB_RES_PATH & co.).
 *
 * Every record carries exactly the params of its row in events.def, in
 * the same order and encoding as the eBPF probe's fillers; what cannot be
 * read is empty. Paths are the caller's strings as passed (read at exit,
 * as the probe reads them), not resolved kernel paths; every user string
 * is cut at KESTREL_MAX_PATH bytes with the NUL, the probe's KB_MAX_STR.
 */
#include <linux/fs.h>
#include <linux/openat2.h>
#include <linux/uaccess.h>

#include "kk_fillers.h"

/* The length cap of every user string this family writes (= KB_MAX_STR). */
#define KK_FILE_STR_MAX KESTREL_MAX_PATH

KK_FILLER(open)
{
	KK_BEGIN(r, OPEN);
	KK_PUT(r, OPEN, fd, ret);
	KK_PUT_USER_STR(r, OPEN, name, a[0], KK_FILE_STR_MAX);
	KK_PUT(r, OPEN, flags, a[1]);
	KK_PUT(r, OPEN, mode, a[2]);
	KK_PUT_FD_DEV_INO(r, OPEN, ret);
	kk_submit(&r);
}

KK_FILLER(openat)
{
	KK_BEGIN(r, OPENAT);
	KK_PUT(r, OPENAT, fd, ret);
	KK_PUT(r, OPENAT, dirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, OPENAT, name, a[1], KK_FILE_STR_MAX);
	KK_PUT(r, OPENAT, flags, a[2]);
	KK_PUT(r, OPENAT, mode, a[3]);
	KK_PUT_FD_DEV_INO(r, OPENAT, ret);
	kk_submit(&r);
}

KK_FILLER(openat2)
{
	struct open_how how;

	KK_BEGIN(r, OPENAT2);
	KK_PUT(r, OPENAT2, fd, ret);
	KK_PUT(r, OPENAT2, dirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, OPENAT2, name, a[1], KK_FILE_STR_MAX);
	/* The probe reads sizeof(struct open_how) whatever the caller's size
	 * argument says; an open_how that cannot be read back is unknown, not
	 * flags 0. */
	if (copy_from_user_nofault(&how, (const void __user *)a[2], sizeof(how)) == 0) {
		KK_PUT(r, OPENAT2, flags, how.flags);
		KK_PUT(r, OPENAT2, mode, how.mode);
		KK_PUT(r, OPENAT2, resolve, how.resolve);
	} else {
		KK_PUT_EMPTY(r, OPENAT2, flags);
		KK_PUT_EMPTY(r, OPENAT2, mode);
		KK_PUT_EMPTY(r, OPENAT2, resolve);
	}
	KK_PUT_FD_DEV_INO(r, OPENAT2, ret);
	kk_submit(&r);
}

KK_FILLER(creat)
{
	KK_BEGIN(r, CREAT);
	KK_PUT(r, CREAT, fd, ret);
	KK_PUT_USER_STR(r, CREAT, name, a[0], KK_FILE_STR_MAX);
	KK_PUT(r, CREAT, mode, a[1]);
	KK_PUT_FD_DEV_INO(r, CREAT, ret);
	kk_submit(&r);
}

KK_FILLER(close)
{
	KK_BEGIN(r, CLOSE);
	KK_PUT(r, CLOSE, res, ret);
	KK_PUT(r, CLOSE, fd, (s32)a[0]);
	kk_submit(&r);
}

/* res + one path argument: unlink, rmdir, chroot, chdir. */
#define KK_RES_PATH(name, ID)                                         \
	KK_FILLER(name)                                               \
	{                                                             \
		KK_BEGIN(r, ID);                                      \
		KK_PUT(r, ID, res, ret);                              \
		KK_PUT_USER_STR(r, ID, path, a[0], KK_FILE_STR_MAX);  \
		kk_submit(&r);                                        \
	}

KK_RES_PATH(unlink, UNLINK)
KK_RES_PATH(rmdir, RMDIR)
KK_RES_PATH(chroot, CHROOT)
KK_RES_PATH(chdir, CHDIR)

KK_FILLER(unlinkat)
{
	KK_BEGIN(r, UNLINKAT);
	KK_PUT(r, UNLINKAT, res, ret);
	KK_PUT(r, UNLINKAT, dirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, UNLINKAT, name, a[1], KK_FILE_STR_MAX);
	KK_PUT(r, UNLINKAT, flags, a[2]);
	kk_submit(&r);
}

/* res + two path arguments: rename, link, symlink (target is a CHARBUF). */
#define KK_RES_PATH_PATH(name, ID, first, second)                       \
	KK_FILLER(name)                                                 \
	{                                                               \
		KK_BEGIN(r, ID);                                        \
		KK_PUT(r, ID, res, ret);                                \
		KK_PUT_USER_STR(r, ID, first, a[0], KK_FILE_STR_MAX);   \
		KK_PUT_USER_STR(r, ID, second, a[1], KK_FILE_STR_MAX);  \
		kk_submit(&r);                                          \
	}

KK_RES_PATH_PATH(rename, RENAME, oldpath, newpath)
KK_RES_PATH_PATH(link, LINK, oldpath, newpath)
KK_RES_PATH_PATH(symlink, SYMLINK, target, linkpath)

KK_FILLER(renameat)
{
	KK_BEGIN(r, RENAMEAT);
	KK_PUT(r, RENAMEAT, res, ret);
	KK_PUT(r, RENAMEAT, olddirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, RENAMEAT, oldpath, a[1], KK_FILE_STR_MAX);
	KK_PUT(r, RENAMEAT, newdirfd, (s32)a[2]);
	KK_PUT_USER_STR(r, RENAMEAT, newpath, a[3], KK_FILE_STR_MAX);
	kk_submit(&r);
}

KK_FILLER(renameat2)
{
	KK_BEGIN(r, RENAMEAT2);
	KK_PUT(r, RENAMEAT2, res, ret);
	KK_PUT(r, RENAMEAT2, olddirfd, (s32)a[0]);
	KK_PUT_USER_STR(r, RENAMEAT2, oldpath, a[1], KK_FILE_STR_MAX);
	KK_PUT(r, RENAMEAT2, newdirfd, (s32)a[2]);
	KK_PUT_USER_STR(r, RENAMEAT2, newpath, a[3], KK_FILE_STR_MAX);
	KK_PUT(r, RENAMEAT2, flags, a[4]);
	kk_submit(&r);
}

KK_FILLER(linkat)
{
	KK_BEGIN(r, LINKAT);
	KK_PUT(r, LINKAT, res, ret);
	KK_PUT(r, LINKAT, olddir, (s32)a[0]);
	KK_PUT_USER_STR(r, LINKAT, oldpath, a[1], KK_FILE_STR_MAX);
	KK_PUT(r, LINKAT, newdir, (s32)a[2]);
	KK_PUT_USER_STR(r, LINKAT, newpath, a[3], KK_FILE_STR_MAX);
	KK_PUT(r, LINKAT, flags, a[4]);
	kk_submit(&r);
}

KK_FILLER(symlinkat)
{
	KK_BEGIN(r, SYMLINKAT);
	KK_PUT(r, SYMLINKAT, res, ret);
	KK_PUT_USER_STR(r, SYMLINKAT, target, a[0], KK_FILE_STR_MAX);
	KK_PUT(r, SYMLINKAT, linkdirfd, (s32)a[1]);
	KK_PUT_USER_STR(r, SYMLINKAT, linkpath, a[2], KK_FILE_STR_MAX);
	kk_submit(&r);
}

/* res + path + mode: mkdir, chmod (the path param's name differs). */
#define KK_RES_PATH_MODE(name, ID, path_param)                              \
	KK_FILLER(name)                                                     \
	{                                                                   \
		KK_BEGIN(r, ID);                                            \
		KK_PUT(r, ID, res, ret);                                    \
		KK_PUT_USER_STR(r, ID, path_param, a[0], KK_FILE_STR_MAX);  \
		KK_PUT(r, ID, mode, a[1]);                                  \
		kk_submit(&r);                                              \
	}

KK_RES_PATH_MODE(mkdir, MKDIR, path)
KK_RES_PATH_MODE(chmod, CHMOD, filename)

/* res + dirfd + path + mode: mkdirat, fchmodat. */
#define KK_RES_DIRFD_PATH_MODE(name, ID, path_param)                        \
	KK_FILLER(name)                                                     \
	{                                                                   \
		KK_BEGIN(r, ID);                                            \
		KK_PUT(r, ID, res, ret);                                    \
		KK_PUT(r, ID, dirfd, (s32)a[0]);                            \
		KK_PUT_USER_STR(r, ID, path_param, a[1], KK_FILE_STR_MAX);  \
		KK_PUT(r, ID, mode, a[2]);                                  \
		kk_submit(&r);                                              \
	}

KK_RES_DIRFD_PATH_MODE(mkdirat, MKDIRAT, path)
KK_RES_DIRFD_PATH_MODE(fchmodat, FCHMODAT, filename)

KK_FILLER(fchdir)
{
	KK_BEGIN(r, FCHDIR);
	KK_PUT(r, FCHDIR, res, ret);
	KK_PUT(r, FCHDIR, fd, (s32)a[0]);
	kk_submit(&r);
}

KK_FILLER(fchmod)
{
	KK_BEGIN(r, FCHMOD);
	KK_PUT(r, FCHMOD, res, ret);
	KK_PUT(r, FCHMOD, fd, (s32)a[0]);
	KK_PUT(r, FCHMOD, mode, a[1]);
	kk_submit(&r);
}

KK_FILLER(dup)
{
	KK_BEGIN(r, DUP);
	KK_PUT(r, DUP, res, ret);
	KK_PUT(r, DUP, oldfd, (s32)a[0]);
	kk_submit(&r);
}

KK_FILLER(dup2)
{
	KK_BEGIN(r, DUP2);
	KK_PUT(r, DUP2, res, ret);
	KK_PUT(r, DUP2, oldfd, (s32)a[0]);
	KK_PUT(r, DUP2, newfd, (s32)a[1]);
	kk_submit(&r);
}

KK_FILLER(dup3)
{
	KK_BEGIN(r, DUP3);
	KK_PUT(r, DUP3, res, ret);
	KK_PUT(r, DUP3, oldfd, (s32)a[0]);
	KK_PUT(r, DUP3, newfd, (s32)a[1]);
	KK_PUT(r, DUP3, flags, a[2]);
	kk_submit(&r);
}

KK_FILLER(fcntl)
{
	KK_BEGIN(r, FCNTL);
	KK_PUT(r, FCNTL, res, ret);
	KK_PUT(r, FCNTL, fd, (s32)a[0]);
	KK_PUT(r, FCNTL, cmd, a[1]);
	kk_submit(&r);
}

KK_FILLER(memfd_create)
{
	KK_BEGIN(r, MEMFD_CREATE);
	KK_PUT(r, MEMFD_CREATE, fd, ret);
	KK_PUT_USER_STR(r, MEMFD_CREATE, name, a[0], KK_FILE_STR_MAX);
	KK_PUT(r, MEMFD_CREATE, flags, a[1]);
	kk_submit(&r);
}

/* fd1, fd2 and ino of pipe/pipe2: the two fds pipe() wrote to the
 * caller's int[2] (-1 when it failed) and the inode behind the first (0
 * when there is none); all three empty when a successful call's array
 * cannot be read back. */
#define KK_PUT_PIPE_FDS(r, ID, ret, ufds)                                        \
	do {                                                                     \
		s32 fds_[2] = { -1, -1 };                                        \
		if ((ret) == 0 &&                                                \
		    copy_from_user_nofault(fds_, (const void __user *)(ufds), sizeof(fds_))) { \
			KK_PUT_EMPTY(r, ID, fd1);                                \
			KK_PUT_EMPTY(r, ID, fd2);                                \
			KK_PUT_EMPTY(r, ID, ino);                                \
		} else {                                                         \
			KK_PUT(r, ID, fd1, fds_[0]);                             \
			KK_PUT(r, ID, fd2, fds_[1]);                             \
			KK_PUT(r, ID, ino, (ret) == 0 ? kk_fd_ino(fds_[0]) : 0);  \
		}                                                                \
	} while (0)

KK_FILLER(pipe)
{
	KK_BEGIN(r, PIPE);
	KK_PUT(r, PIPE, res, ret);
	KK_PUT_PIPE_FDS(r, PIPE, ret, a[0]);
	kk_submit(&r);
}

KK_FILLER(pipe2)
{
	KK_BEGIN(r, PIPE2);
	KK_PUT(r, PIPE2, res, ret);
	KK_PUT_PIPE_FDS(r, PIPE2, ret, a[0]);
	KK_PUT(r, PIPE2, flags, a[1]);
	kk_submit(&r);
}

KK_FILLER(mount)
{
	KK_BEGIN(r, MOUNT);
	KK_PUT(r, MOUNT, res, ret);
	KK_PUT_USER_STR(r, MOUNT, dev, a[0], KK_FILE_STR_MAX);
	KK_PUT_USER_STR(r, MOUNT, dir, a[1], KK_FILE_STR_MAX);
	KK_PUT_USER_STR(r, MOUNT, type, a[2], KK_FILE_STR_MAX);
	KK_PUT(r, MOUNT, flags, a[3]);
	kk_submit(&r);
}

/* The probe attaches this one to sys_exit_umount (the tracepoint's name);
 * here it is whatever number libseccomp gives "umount2". */
KK_FILLER(umount2)
{
	KK_BEGIN(r, UMOUNT2);
	KK_PUT(r, UMOUNT2, res, ret);
	KK_PUT_USER_STR(r, UMOUNT2, name, a[0], KK_FILE_STR_MAX);
	KK_PUT(r, UMOUNT2, flags, a[1]);
	kk_submit(&r);
}
