// SPDX-License-Identifier: GPL-2.0
/*
 * kk_fd.c — what the fillers read through the current task's fd table:
 * the device and inode of an open file.
 */
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/rcupdate.h>

#include "kk.h"

void kk_put_fd_dev_ino(struct kk_rec *r, u32 dev_idx, u32 dev_type, u32 ino_idx, u32 ino_type, long fd)
{
	struct file *f = NULL;
	u32 dev = 0;
	u64 ino = 0;
	bool found = false;

	if (fd >= 0) {
		rcu_read_lock();
		f = files_lookup_fd_rcu(current->files, (unsigned int)fd);
		if (f && f->f_inode) {
			dev = kk_user_dev(f->f_inode->i_sb->s_dev);
			ino = f->f_inode->i_ino;
			found = true;
		}
		rcu_read_unlock();
	}
	if (found) {
		kk_put_int(r, dev_idx, dev_type, dev);
		kk_put_int(r, ino_idx, ino_type, ino);
	} else {
		kk_put_empty(r, dev_idx, dev_type);
		kk_put_empty(r, ino_idx, ino_type);
	}
}
