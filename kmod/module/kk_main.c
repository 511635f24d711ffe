// SPDX-License-Identifier: GPL-2.0
/*
 * kk_main.c — the kestrel kernel module: the /dev/kestrel misc device
 * (one opener at a time), its ioctls (info, start, capture set, filter), the mmap
 * of the per-CPU rings, and the tracepoint probes' registration.
 *
 * Capture runs from KESTREL_IOC_START until the device is released:
 * release unregisters the probes, waits until no probe can still run
 * (tracepoint_synchronize_unregister), then frees the rings.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "kk.h"

struct kk_state *kk_live;
static DEFINE_MUTEX(kk_lock);      /* open/ioctl/release against each other */
static bool kk_open_busy;          /* under kk_lock */
static struct kk_state *kk_owned;  /* the opener's state (== kk_live once started) */
static struct tracepoint *kk_tp_sys_exit;
static struct tracepoint *kk_tp_process_exit;
static struct tracepoint *kk_tp_process_fork;

static void kk_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (strcmp(tp->name, "sys_exit") == 0)
		kk_tp_sys_exit = tp;
	else if (strcmp(tp->name, "sched_process_exit") == 0)
		kk_tp_process_exit = tp;
	else if (strcmp(tp->name, "sched_process_fork") == 0)
		kk_tp_process_fork = tp;
}

static void kk_stop(void)
{
	if (!kk_live)
		return;
	tracepoint_probe_unregister(kk_tp_sys_exit, kk_probe_sys_exit, NULL);
	tracepoint_probe_unregister(kk_tp_process_exit, kk_probe_process_exit, NULL);
	tracepoint_probe_unregister(kk_tp_process_fork, kk_probe_process_fork, NULL);
	WRITE_ONCE(kk_live, NULL);
	tracepoint_synchronize_unregister();
}

static int kk_start(struct kk_state *st, const struct kestrel_kmod_start *req)
{
	u64 supported[KESTREL_KMOD_TYPE_WORDS];
	int err, i;

	if (kk_live)
		return -EBUSY;
	if (req->buf_size < PAGE_SIZE || req->buf_size > (1ull << 30) ||
	    (req->buf_size & (req->buf_size - 1)))
		return -EINVAL;
	err = kk_rings_alloc(st, req->buf_size);
	if (err)
		return err;
	kk_supported_types(supported);
	for (i = 0; i < KESTREL_KMOD_TYPE_WORDS * 64; i++)
		if ((req->types[i / 64] & supported[i / 64]) & (1ull << (i % 64)))
			set_bit(i, st->types);
	st->ignore_tgid = req->ignore_tgid;
	st->process_fields = req->process_fields & KESTREL_KMOD_PF_ALL;
	for (i = 0; i < KESTREL_KMOD_MAX_SYSCALLS; i++) {
		u16 t = req->syscall_types[i], c = req->compat_syscall_types[i];

		st->syscall_types[i] = kk_has_syscall_filler(t) ? t : 0;
		st->compat_syscall_types[i] = kk_has_syscall_filler(c) ? c : 0;
	}
	WRITE_ONCE(kk_live, st);
	err = tracepoint_probe_register(kk_tp_sys_exit, kk_probe_sys_exit, NULL);
	if (!err) {
		err = tracepoint_probe_register(kk_tp_process_exit, kk_probe_process_exit, NULL);
		if (err)
			tracepoint_probe_unregister(kk_tp_sys_exit, kk_probe_sys_exit, NULL);
	}
	if (!err) {
		err = tracepoint_probe_register(kk_tp_process_fork, kk_probe_process_fork, NULL);
		if (err) {
			tracepoint_probe_unregister(kk_tp_process_exit, kk_probe_process_exit, NULL);
			tracepoint_probe_unregister(kk_tp_sys_exit, kk_probe_sys_exit, NULL);
		}
	}
	if (err) {
		WRITE_ONCE(kk_live, NULL);
		tracepoint_synchronize_unregister();
		kk_rings_free(st);
	}
	return err;
}

static int kk_open(struct inode *inode, struct file *file)
{
	struct kk_state *st;

	mutex_lock(&kk_lock);
	if (kk_open_busy) {
		mutex_unlock(&kk_lock);
		return -EBUSY;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st) {
		mutex_unlock(&kk_lock);
		return -ENOMEM;
	}
	kk_open_busy = true;
	kk_owned = st;
	file->private_data = st;
	mutex_unlock(&kk_lock);
	return 0;
}

static int kk_release(struct inode *inode, struct file *file)
{
	struct kk_state *st = file->private_data;

	mutex_lock(&kk_lock);
	kk_stop();
	kk_filter_release(st);
	kk_rings_free(st);
	kfree(st);
	kk_owned = NULL;
	kk_open_busy = false;
	mutex_unlock(&kk_lock);
	return 0;
}

static long kk_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kk_state *st = file->private_data;
	void __user *uarg = (void __user *)arg;
	long err = 0;
	int i;

	mutex_lock(&kk_lock);
	switch (cmd) {
	case KESTREL_IOC_INFO: {
		struct kestrel_kmod_info info = {
			.abi_version = KESTREL_KMOD_ABI_VERSION,
			.nr_cpu_ids = nr_cpu_ids,
		};

		kk_supported_types(info.supported);
		if (copy_to_user(uarg, &info, sizeof(info)))
			err = -EFAULT;
		break;
	}
	case KESTREL_IOC_START: {
		/* ~2 KiB with the syscall map: not on the kernel stack. */
		struct kestrel_kmod_start *req = memdup_user(uarg, sizeof(*req));

		if (IS_ERR(req)) {
			err = PTR_ERR(req);
			break;
		}
		err = kk_start(st, req);
		kfree(req);
		break;
	}
	case KESTREL_IOC_SET_TYPES: {
		struct kestrel_kmod_types req;
		u64 supported[KESTREL_KMOD_TYPE_WORDS];

		if (copy_from_user(&req, uarg, sizeof(req))) {
			err = -EFAULT;
			break;
		}
		kk_supported_types(supported);
		/* Bit by bit (atomic): the probes read the set meanwhile. */
		for (i = 0; i < KESTREL_KMOD_TYPE_WORDS * 64; i++) {
			if ((req.types[i / 64] & supported[i / 64]) & (1ull << (i % 64)))
				set_bit(i, st->types);
			else
				clear_bit(i, st->types);
		}
		break;
	}
	case KESTREL_IOC_SET_FILTER: {
		struct kestrel_kmod_filter_req req;

		if (copy_from_user(&req, uarg, sizeof(req))) {
			err = -EFAULT;
			break;
		}
		err = kk_filter_set_from_user(st, &req);
		break;
	}
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&kk_lock);
	return err;
}

/* Ring of CPU c at offset c * (header page + buf_size). */
static int kk_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kk_state *st = file->private_data;
	unsigned long stride_pages, cpu;
	int err = -EINVAL;

	mutex_lock(&kk_lock);
	if (!st->rings)
		goto out;
	stride_pages = (KESTREL_KMOD_RING_HDR_BYTES + st->buf_size) >> PAGE_SHIFT;
	cpu = vma->vm_pgoff / stride_pages;
	if (vma->vm_pgoff % stride_pages ||
	    vma->vm_end - vma->vm_start != stride_pages << PAGE_SHIFT)
		goto out;
	err = -ENXIO;
	if (cpu >= nr_cpu_ids || !st->rings[cpu])
		goto out;
	err = remap_vmalloc_range(vma, st->rings[cpu]->mem, 0);
out:
	mutex_unlock(&kk_lock);
	return err;
}

static const struct file_operations kk_fops = {
	.owner = THIS_MODULE,
	.open = kk_open,
	.release = kk_release,
	.unlocked_ioctl = kk_ioctl,
	.mmap = kk_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice kk_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kestrel",
	.fops = &kk_fops,
	.mode = 0600,
};

static int __init kk_init(void)
{
	BUILD_BUG_ON(KE_COUNT > KESTREL_KMOD_TYPE_WORDS * 64);
	BUILD_BUG_ON(KESTREL_KMOD_RING_HDR_BYTES % PAGE_SIZE != 0);
	/* The layout userspace checks too (kmod/kmod_ring.cpp). */
	BUILD_BUG_ON(offsetof(struct kestrel_kmod_ring_hdr, tail) != 64);
	BUILD_BUG_ON(offsetof(struct kestrel_kmod_ring_hdr, size) != 128);
	BUILD_BUG_ON(offsetof(struct kestrel_kmod_ring_hdr, drops) != 136);
	BUILD_BUG_ON(offsetof(struct kestrel_kmod_ring_hdr, buffer_full_by_type) !=
		     136 + 8 * KESTREL_KMOD_DROP_COUNT);
	BUILD_BUG_ON(offsetof(struct kestrel_kmod_ring_hdr, filtered_by_type) !=
		     136 + 8 * KESTREL_KMOD_DROP_COUNT + 8 * 64 * KESTREL_KMOD_TYPE_WORDS);
	BUILD_BUG_ON(sizeof(struct kestrel_kmod_ring_hdr) > KESTREL_KMOD_RING_HDR_BYTES);
	BUILD_BUG_ON(sizeof(struct kestrel_kmod_filter_req) != 16);
	BUILD_BUG_ON(sizeof(struct kestrel_kmod_filter_hdr) != 16);
	BUILD_BUG_ON(sizeof(struct kestrel_kmod_filter_type) != 96);
	BUILD_BUG_ON(sizeof(struct kestrel_kmod_filter_path) != 264);
	BUILD_BUG_ON(sizeof(struct kestrel_kmod_info) != 40);
	BUILD_BUG_ON(sizeof(struct kestrel_kmod_start) != 48 + 4 * KESTREL_KMOD_MAX_SYSCALLS);
	BUILD_BUG_ON(sizeof(struct kestrel_event_hdr) != KESTREL_EVENT_HDR_SIZE);
	for_each_kernel_tracepoint(kk_find_tracepoint, NULL);
	if (!kk_tp_sys_exit || !kk_tp_process_exit || !kk_tp_process_fork) {
		pr_err("kestrel: tracepoint sys_exit, sched_process_exit or sched_process_fork not found\n");
		return -ENOENT;
	}
	return misc_register(&kk_dev);
}

static void __exit kk_exit(void)
{
	misc_deregister(&kk_dev);
}

module_init(kk_init);
module_exit(kk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kestrel runtime-security event source (syscall and process events)");
