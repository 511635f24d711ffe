/*
 * defer.bpf.h — deferred opens (issue #19): a successful open that no rule
 * can match and that only the state tables need (the filter's verdict
 * KB_FILTER_DEFER) is not sent; its finished record is kept per (process,
 * fd) and sent only when an event that goes up would read that fd from
 * userspace's fd table. A compiler opens hundreds of headers, reads and
 * closes them: each open and its close then stay in the kernel.
 *
 * What keeps this exact (userspace sees every fd an event it receives
 * reads, as it would have without the filter):
 *   - a close of a kept fd drops the close and the entry (both counted as
 *     filtered: no rule reads close, or the engine would not allow
 *     deferral); once deferral is turned off, such a close sends the open
 *     first;
 *   - any record going up first sends the kept opens of the fds its params
 *     name (every FD and DIRFD param of the event table, kb_fd_params, and
 *     the result of an fd-creating event: a stale entry then just precedes
 *     the record that replaces it). Types with such a param past the first
 *     8, and the events that change what a relative path resolves against
 *     or copy the fd table (execve/execveat, chdir/fchdir/chroot, the
 *     clone family), send all of the process's kept opens;
 *   - only a process whose fd table has one user defers (files->count == 1:
 *     no other thread, no CLONE_FILES sibling), so no other task can use a
 *     kept fd under another tgid or race with the flushes; a fork that
 *     copies or shares the table sends all kept opens first, in the parent,
 *     before the child can run (sched_process_fork, ke_clone__defer);
 *   - when the process's last thread exits its entries are dropped
 *     (ke_procexit__defer), so a reused tgid never sees them;
 *   - the map is a bounded HASH, not an LRU: when full the open goes up at
 *     once (counted), nothing is evicted unseen.
 * A sent entry carries the timestamp and tid of the record that made it go
 * up (the reader merges rings by time with a stable sort: it stays just
 * before that record) — nothing but the state tables reads it, no rule
 * matched it.
 *
 * Cost for processes that never defer: one hash lookup per record going up.
 */
#ifndef KESTREL_EBPF_DEFER_BPF_H
#define KESTREL_EBPF_DEFER_BPF_H

#include "ebpf/bpf/defer_abi.h"

struct kb_defer_key {
	u32 tgid;
	s32 fd;
};

struct kb_defer_entry {
	u32 len;
	u32 pad;
	u8 rec[KB_DEFER_RECORD_BYTES];
};

/* Per process with kept opens: how many (an upper bound: raised before an
 * entry is added, lowered after one is removed). */
struct kb_defer_proc {
	s64 entries;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KB_DEFER_MAX_ENTRIES);
	__type(key, struct kb_defer_key);
	__type(value, struct kb_defer_entry);
} kb_deferred SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KB_DEFER_MAX_PROCESSES);
	__type(key, u32);
	__type(value, struct kb_defer_proc);
} kb_defer_procs SEC(".maps");

/* An entry on its way in or out (entries are too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct kb_defer_entry);
} kb_defer_copy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KB_DEFER_COUNTER_COUNT);
	__type(key, u32);
	__type(value, u64);
} kb_defer_counts SEC(".maps");

/* Set by the loader (.bss): new opens may be kept (the filters allow it
 * and the fork and exit programs are attached); and deferral has been live
 * once, so entries may exist and records going up must check them. */
__u32 kb_defer_live = 0;
__u32 kb_defer_used = 0;

/* Per event type, the params that name an fd of the process (bit i: param
 * i), from the event table: FD and DIRFD params, and param 0 (the result)
 * of the fd-creating events. */
#define KE_BEGIN(ID, name, category, flags) [KE_##ID] = (((flags) & KEF_CREATES_FD) ? 1u : 0u)
#define KE_PARAM(ID, name, type, symbols) \
	| ((KPT_##type == KPT_FD || KPT_##type == KPT_DIRFD) ? (1u << KP_##ID##_##name) : 0u)
#define KE_END(ID) ,
static const u32 kb_fd_params[KE_COUNT] = {
#include "sources/abi/events.def"
};
#undef KE_BEGIN
#undef KE_PARAM
#undef KE_END

static __always_inline void kb_defer_count(u32 counter)
{
	u64 *n = bpf_map_lookup_elem(&kb_defer_counts, &counter);
	if (n)
		*n += 1;
}

/* Events that send all of the process's kept opens before they go up. */
static __always_inline bool kb_defer_flushes_all(u32 type)
{
	return type == KE_EXECVE || type == KE_EXECVEAT || type == KE_CHDIR || type == KE_FCHDIR ||
	       type == KE_CHROOT || type == KE_CLONE || type == KE_CLONE3 || type == KE_FORK || type == KE_VFORK;
}

static __always_inline void kb_defer_proc_less(u32 tgid)
{
	struct kb_defer_proc *p = bpf_map_lookup_elem(&kb_defer_procs, &tgid);
	if (p)
		__sync_fetch_and_add(&p->entries, -1);
}

/* Who takes kept opens out, and what becomes of them. */
struct kb_defer_walk {
	u64 ts;    /* sent: the timestamp and tid they are sent with */
	u32 tgid;
	u32 tid;
	u32 send;  /* 0: dropped, counted as filtered and as `why` */
	u32 why;
};

/*
 * Takes the kept open of (w->tgid, fd) out of the map, if there is one, and
 * sends or drops it as `w` says. True when there was one.
 */
static __noinline bool kb_defer_take(const struct kb_defer_walk *w, s32 fd)
{
	if (!w)
		return false;
	struct kb_defer_key key = {.tgid = w->tgid, .fd = fd};
	struct kb_defer_entry *e = bpf_map_lookup_elem(&kb_deferred, &key);
	if (!e)
		return false;
	u32 zero = 0;
	struct kb_defer_entry *c = bpf_map_lookup_elem(&kb_defer_copy, &zero);
	if (!c)
		return false;
	/* Copy first: a deleted entry's memory may be reused at once. */
	bpf_probe_read_kernel(c, sizeof(*c), e);
	if (bpf_map_delete_elem(&kb_deferred, &key) != 0)
		return false; /* another CPU took it */
	kb_defer_proc_less(w->tgid);
	struct kestrel_event_hdr *h = (void *)c->rec;
	if (!w->send) {
		kb_count_filtered(h->type);
		kb_defer_count(w->why);
		return true;
	}
	u32 len = c->len;
	if (len < KESTREL_EVENT_HDR_SIZE || len > KB_DEFER_RECORD_BYTES)
		return true;
	h->ts_ns = w->ts;
	h->tid = w->tid;
	kb_defer_count(KB_DEFER_FLUSHED);
	void *rb = kb_ring();
	if (!rb) {
		kb_count_drop(KB_DROP_NO_BUFFER);
		return true;
	}
	if (bpf_ringbuf_output(rb, c->rec, len, BPF_RB_NO_WAKEUP) != 0)
		kb_count_buffer_full(h->type);
	return true;
}

static long kb_defer_take_one(struct bpf_map *map, struct kb_defer_key *key, struct kb_defer_entry *e,
			      struct kb_defer_walk *w)
{
	(void)map;
	(void)e;
	if (key->tgid == w->tgid)
		kb_defer_take(w, key->fd);
	return 0;
}

/* Sends (or drops) every kept open of `tgid`. */
static __always_inline void kb_defer_take_all(u32 tgid, u64 ts, u32 tid, bool send)
{
	struct kb_defer_proc *p = bpf_map_lookup_elem(&kb_defer_procs, &tgid);
	if (!p || p->entries <= 0)
		return;
	struct kb_defer_walk w = {.ts = ts, .tgid = tgid, .tid = tid, .send = send, .why = KB_DEFER_EXITED};
	bpf_for_each_map_elem(&kb_deferred, kb_defer_take_one, &w, 0);
}

/* True when this task's fd table has no other user (a thread, a
 * CLONE_FILES child). */
static __always_inline bool kb_fd_table_private(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	return BPF_CORE_READ(task, files, count.counter) == 1;
}

/* Keeps the finished open record in `buf` (its fd is param 0) instead of
 * sending it; false, counted, when it must go up. */
static __noinline bool kb_defer_store(const u8 *buf, u32 mask, u32 tgid)
{
	if (!buf)
		return false;
	const struct kestrel_event_hdr *h = (const void *)buf;
	u32 len = h->len;
	if (len > KB_DEFER_RECORD_BYTES) {
		kb_defer_count(KB_DEFER_TOO_LONG);
		return false;
	}
	u32 off, plen;
	if (!kb_param_at(buf, mask, 0, &off, &plen) || plen != 8)
		return false;
	s64 fd = *(const s64 *)(buf + off);
	if (fd < 0 || fd > 0x7fffffff)
		return false;
	/* An open through a dirfd: userspace resolves its path against the
	 * dirfd's name when the record arrives, by when that fd may be kept
	 * itself or closed. (Against the cwd is fine: a cwd change sends all
	 * kept opens first.) */
	_Static_assert(KP_OPENAT_dirfd == KP_OPENAT2_dirfd && KP_OPENAT_name == KP_OPENAT2_name, "openat layouts");
	if ((h->type == KE_OPENAT || h->type == KE_OPENAT2) &&
	    kb_param_at(buf, mask, KP_OPENAT_dirfd, &off, &plen) && plen == 8 &&
	    *(const s64 *)(buf + off) != -100 /* AT_FDCWD */) {
		u32 noff, nlen;
		if (!kb_param_at(buf, mask, KP_OPENAT_name, &noff, &nlen) || nlen == 0 || buf[noff] != '/') {
			kb_defer_count(KB_DEFER_DIRFD);
			return false;
		}
	}
	if (!kb_fd_table_private()) {
		kb_defer_count(KB_DEFER_FORKED);
		return false;
	}
	struct kb_defer_proc *p = bpf_map_lookup_elem(&kb_defer_procs, &tgid);
	if (!p) {
		struct kb_defer_proc fresh = {};
		bpf_map_update_elem(&kb_defer_procs, &tgid, &fresh, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&kb_defer_procs, &tgid);
		if (!p) {
			kb_defer_count(KB_DEFER_FULL);
			return false;
		}
	}
	u32 zero = 0;
	struct kb_defer_entry *c = bpf_map_lookup_elem(&kb_defer_copy, &zero);
	if (!c)
		return false;
	c->len = len;
	bpf_probe_read_kernel(c->rec, sizeof(c->rec), buf);
	struct kb_defer_key key = {.tgid = tgid, .fd = (s32)fd};
	__sync_fetch_and_add(&p->entries, 1);
	long err = bpf_map_update_elem(&kb_deferred, &key, c, BPF_NOEXIST);
	if (err == -17 /* EEXIST: a stale entry of an fd closed unseen */) {
		__sync_fetch_and_add(&p->entries, -1);
		err = bpf_map_update_elem(&kb_deferred, &key, c, BPF_EXIST);
		if (err != 0) /* taken meanwhile: add it anew */
			return false;
	} else if (err != 0) {
		__sync_fetch_and_add(&p->entries, -1);
		kb_defer_count(KB_DEFER_FULL);
		return false;
	}
	kb_defer_count(KB_DEFER_KEPT);
	return true;
}

/* Sends the kept opens the record in `buf` (in the scratch, going up)
 * would read. */
static __noinline void kb_defer_flush_for(const u8 *buf, u32 tgid, u32 tid)
{
	if (!buf)
		return;
	const struct kestrel_event_hdr *h = (const void *)buf;
	u32 type = h->type;
	u64 ts = h->ts_ns;
	if (type >= KE_COUNT)
		return;
	u32 fds = kb_fd_params[type];
	if (kb_defer_flushes_all(type) || (fds >> 8) != 0) {
		kb_defer_take_all(tgid, ts, tid, true);
		return;
	}
	u32 n = h->nparams;
	if (n > KESTREL_MAX_PARAMS)
		return;
	struct kb_defer_walk w = {.ts = ts, .tgid = tgid, .tid = tid, .send = 1};
	const u16 *lens = (const u16 *)(buf + KESTREL_EVENT_HDR_SIZE);
	u32 o = KESTREL_EVENT_HDR_SIZE + 2 * n;
	s64 named[8];
#pragma unroll
	for (int i = 0; i < 8; i++) {
		named[i] = -1;
		if ((u32)i < n) {
			u32 l = lens[i];
			if (((fds >> i) & 1) && l == 8)
				named[i] = *(const s64 *)(buf + (o & KB_OFF_MASK));
			o += l;
		}
	}
	for (int i = 0; i < 8; i++)
		if (named[i] >= 0 && named[i] <= 0x7fffffff)
			kb_defer_take(&w, (s32)named[i]);
}

enum kb_decision {
	KB_SEND = 0, /* send the record */
	KB_DONE = 1, /* dropped or kept: nothing to send */
	KB_REDO = 2, /* in place only: kept opens must go first, write it again in the scratch */
};

/*
 * The filter and the kept opens, for a finished record in `buf` (`mask` as
 * for kb_param_at()). A record written in place cannot be preceded by
 * anything (its ring slot is taken): when it may need kept opens sent
 * first it is written again in the scratch (KB_REDO).
 */
static __always_inline u32 kb_filter_decide(const u8 *buf, u32 mask, bool in_place)
{
	if (!kb_defer_used)
		return kb_filter_verdict(buf, mask) == KB_FILTER_DROP ? KB_DONE : KB_SEND;
	const struct kestrel_event_hdr *h = (const void *)buf;
	u32 type = h->type;
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u32 tgid = pid_tgid >> 32;
	struct kb_defer_proc *p = bpf_map_lookup_elem(&kb_defer_procs, &tgid);
	const bool kept = p && p->entries > 0;
	if (kept && type == KE_CLOSE && kb_defer_live) {
		u32 off, len;
		if (kb_param_at(buf, mask, KP_CLOSE_fd, &off, &len) && len == 8) {
			s64 fd = *(const s64 *)(buf + off);
			struct kb_defer_walk w = {.tgid = tgid, .why = KB_DEFER_CLOSED};
			if (fd >= 0 && fd <= 0x7fffffff && kb_defer_take(&w, (s32)fd)) {
				kb_count_filtered(KE_CLOSE);
				return KB_DONE;
			}
		}
	}
	u32 v = kb_filter_verdict(buf, mask);
	if (v == KB_FILTER_DROP)
		return KB_DONE;
	if (v == KB_FILTER_DEFER && kb_defer_live && kb_defer_store(buf, mask, tgid))
		return KB_DONE;
	if (!kept)
		return KB_SEND;
	if (in_place)
		return KB_REDO;
	kb_defer_flush_for(buf, tgid, (u32)pid_tgid);
	return KB_SEND;
}

/* The parent, inside fork/clone, before the child can run: a child that
 * copies or shares the fd table must find every kept open sent first. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ke_clone__defer, struct task_struct *parent, struct task_struct *child)
{
	if (!kb_defer_used)
		return 0;
	u32 tgid = BPF_CORE_READ(parent, tgid);
	if (BPF_CORE_READ(child, tgid) == tgid)
		return 0; /* a thread: same process, same key */
	kb_defer_take_all(tgid, kb_now_ns(), (u32)bpf_get_current_pid_tgid(), true);
	return 0;
}

/* The last thread of a process exits: its kept opens go with it. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ke_procexit__defer, struct task_struct *task)
{
	if (!kb_defer_used)
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) > 0)
		return 0;
	u32 tgid = BPF_CORE_READ(task, tgid);
	if (!bpf_map_lookup_elem(&kb_defer_procs, &tgid))
		return 0;
	kb_defer_take_all(tgid, 0, 0, false);
	bpf_map_delete_elem(&kb_defer_procs, &tgid);
	return 0;
}

#endif /* KESTREL_EBPF_DEFER_BPF_H */
