#include "state/thread_table.h"

#include <fcntl.h>

#include <algorithm>
#include <unordered_set>

#include "state/memory_size.h"

namespace kestrel {
namespace {

// How many exited-parent hops parent() follows; reapers of reapers are
// rare (a subreaper that itself exited), and the bound stops record loops.
constexpr int kMaxReaperHops = 4;

// A remembered reaper: key, tid and the LRU node.
constexpr size_t kReaperBytes = sizeof(ThreadKey) + sizeof(int64_t) + kLruNodeOverhead;

}  // namespace

ThreadTable::ThreadTable(ThreadTableConfig config) : config_(config), own_budget_(config.memory_limit_bytes) {
  config_.max_threads = std::max<size_t>(config_.max_threads, 2);
  config_.max_fds_per_process = std::max<size_t>(config_.max_fds_per_process, 1);
}

const ThreadInfo* ThreadTable::find(DomainId domain, int64_t tid) const {
  ++lookups_;
  const ThreadEntry* e = threads_.find({domain, tid});
  if (e == nullptr) {
    ++lookup_misses_;
    return nullptr;
  }
  return &e->info;
}

const FdInfo* ThreadTable::find_fd(const ThreadInfo& t, int64_t fd) const {
  ++fd_lookups_;
  auto it = processes_.find({t.domain, t.pid});
  const FdEntry* f = it == processes_.end() ? nullptr : it->second.fds.find(fd);
  if (f == nullptr) ++fd_lookup_misses_;
  return f ? &f->info : nullptr;
}

const ThreadInfo* ThreadTable::parent(const ThreadInfo& t) const {
  const ThreadInfo* proc = process_of(t);
  const ThreadInfo& self = proc ? *proc : t;
  int64_t ptid = self.ptid;
  for (int hop = 0; hop <= kMaxReaperHops; ++hop) {
    if (ptid <= 0 || ptid == self.pid) return nullptr;
    if (const ThreadEntry* e = threads_.find({self.domain, ptid})) {
      const ThreadInfo* p = process_of(e->info);
      if (p == nullptr) p = &e->info;
      return p->pid == self.pid ? nullptr : p;
    }
    const int64_t* reaper = reapers_.find({self.domain, ptid});
    if (reaper == nullptr) return nullptr;
    ptid = *reaper;
  }
  return nullptr;
}

ThreadInfo* ThreadTable::get(DomainId domain, int64_t tid) {
  ThreadEntry* e = threads_.find_and_touch({domain, tid});
  return e == nullptr ? nullptr : &e->info;
}

void ThreadTable::attach(const ThreadKey& key, int64_t pid) {
  ProcessEntry& p = processes_[{key.domain, pid}];
  p.tids.push_back(key.id);
}

void ThreadTable::detach(const ThreadKey& key, int64_t pid) {
  auto it = processes_.find({key.domain, pid});
  if (it == processes_.end()) return;
  auto& tids = it->second.tids;
  tids.erase(std::remove(tids.begin(), tids.end(), key.id), tids.end());
  if (tids.empty()) {
    clear_process_fds(it->second);
    processes_.erase(it);
  }
}

ThreadInfo& ThreadTable::put(ThreadInfo info) {
  if (info.pid == 0) info.pid = info.tid;
  const ThreadKey key{info.domain, info.tid};
  std::vector<FdInfo> fds = std::move(info.fds);
  info.fds.clear();

  auto* existing = threads_.find(key);
  if (existing == nullptr && threads_.size() >= config_.max_threads) {
    ThreadKey victim = *threads_.oldest();
    erase_thread_entry(victim);
    ++thread_evictions_;
  }
  auto [entry, inserted] = threads_.try_emplace(key);
  if (!inserted && entry->info.pid != info.pid) detach(key, entry->info.pid);
  if (inserted || entry->info.pid != info.pid) attach(key, info.pid);
  unaccount_thread(*entry);
  entry->info = std::move(info);
  entry->exited = false;
  account_thread(*entry);
  threads_.touch(key);
  const int64_t pid = entry->info.pid;
  for (FdInfo& f : fds) put_fd(key.domain, pid, std::move(f));
  // Keeps process `pid`; erasing other entries does not move `entry`.
  reclaim(key.domain, pid);
  return entry->info;
}

void ThreadTable::erase_thread_entry(const ThreadKey& key) {
  ThreadEntry* e = threads_.find(key);
  if (e == nullptr) return;
  int64_t pid = e->info.pid;
  unaccount_thread(*e);
  threads_.erase(key);
  detach(key, pid);
  // A leader kept only for its threads goes with the last of them.
  auto it = processes_.find({key.domain, pid});
  if (it != processes_.end() && it->second.tids.size() == 1 && it->second.tids[0] == pid) {
    ThreadEntry* leader = threads_.find({key.domain, pid});
    if (leader != nullptr && leader->exited) {
      unaccount_thread(*leader);
      threads_.erase({key.domain, pid});
      detach({key.domain, pid}, pid);
    }
  }
}

bool ThreadTable::remove_thread(DomainId domain, int64_t tid) {
  ThreadEntry* e = threads_.find({domain, tid});
  if (e == nullptr) return false;
  if (e->info.pid == tid) {
    auto it = processes_.find({domain, tid});
    if (it != processes_.end() && it->second.tids.size() > 1) {
      e->exited = true;
      return true;
    }
  }
  erase_thread_entry({domain, tid});
  return true;
}

bool ThreadTable::has_exited(DomainId domain, int64_t tid) const {
  const ThreadEntry* e = threads_.find({domain, tid});
  return e != nullptr && e->exited;
}

void ThreadTable::remember_reaper(DomainId domain, int64_t pid, int64_t reaper_tid) {
  if (reaper_tid <= 0 || reaper_tid == pid) return;
  // Bounded like the thread table: a forgotten reaper only means an
  // orphan's parent shows as unknown.
  auto [slot, inserted] = reapers_.try_emplace_bounded({domain, pid}, std::max<size_t>(config_.max_threads, 1),
                                                       [&](const ThreadKey&, int64_t) {
                                                         budget_->sub(MemoryTable::kThreads, kReaperBytes);
                                                       });
  if (inserted) budget_->add(MemoryTable::kThreads, kReaperBytes);
  *slot = reaper_tid;
  reapers_.touch({domain, pid});
}

void ThreadTable::for_each_thread_of(DomainId domain, int64_t pid, const std::function<void(ThreadInfo&)>& fn) {
  auto it = processes_.find({domain, pid});
  if (it == processes_.end()) return;
  for (int64_t tid : it->second.tids) {
    if (ThreadEntry* e = threads_.find({domain, tid})) fn(e->info);
  }
}

bool ThreadTable::for_each_thread(DomainId domain, const std::function<bool(ThreadInfo&)>& fn) {
  bool go_on = true;
  threads_.for_each_mutable([&](const ThreadKey& key, ThreadEntry& e) {
    if (go_on && key.domain == domain) go_on = fn(e.info);
  });
  return go_on;
}

FdInfo* ThreadTable::fd(DomainId domain, int64_t pid, int64_t fd) {
  auto it = processes_.find({domain, pid});
  FdEntry* f = it == processes_.end() ? nullptr : it->second.fds.find(fd);
  return f ? &f->info : nullptr;
}

FdInfo* ThreadTable::put_fd(DomainId domain, int64_t pid, FdInfo f) {
  auto it = processes_.find({domain, pid});
  if (it == processes_.end()) return nullptr;
  ProcessEntry& p = it->second;
  const int64_t number = f.fd;
  // A reused fd number is a new open: it goes to the back of the queue.
  erase_fd_entry(p, number);
  if (p.fds.size() >= config_.max_fds_per_process) {
    erase_fd_entry(p, *p.fds.oldest());
    ++fd_evictions_;
  }
  FdEntry* slot = p.fds.try_emplace(number).first;
  slot->info = std::move(f);
  ++fd_total_;
  slot->bytes = static_cast<uint32_t>(approx_bytes(slot->info));
  p.fd_bytes += slot->bytes;
  budget_->add(MemoryTable::kFds, slot->bytes);
  // Keeps process `pid` and the fd just written; other entries' nodes do
  // not move when entries are erased, so `slot` stays valid.
  reclaim(domain, pid);
  return &slot->info;
}

bool ThreadTable::erase_fd(DomainId domain, int64_t pid, int64_t fd) {
  auto it = processes_.find({domain, pid});
  return it != processes_.end() && erase_fd_entry(it->second, fd);
}

bool ThreadTable::erase_fd_entry(ProcessEntry& p, int64_t fd) {
  FdEntry* f = p.fds.find(fd);
  if (f == nullptr) return false;
  budget_->sub(MemoryTable::kFds, f->bytes);
  p.fd_bytes -= f->bytes;
  p.fds.erase(fd);
  --fd_total_;
  return true;
}

void ThreadTable::clear_process_fds(ProcessEntry& p) {
  budget_->sub(MemoryTable::kFds, p.fd_bytes);
  fd_total_ -= p.fds.size();
  p.fd_bytes = 0;
  p.fds.clear();
}

void ThreadTable::account_thread(ThreadEntry& e) {
    e.bytes = static_cast<uint32_t>(approx_bytes(e.info));
  budget_->add(MemoryTable::kThreads, e.bytes);
}

void ThreadTable::unaccount_thread(const ThreadEntry& e) {
  budget_->sub(MemoryTable::kThreads, e.bytes);
}

void ThreadTable::set_budget(MemoryBudget* budget) {
  threads_.for_each([&](const ThreadKey&, const ThreadEntry& e) { budget_->sub(MemoryTable::kThreads, e.bytes); });
  for (auto& [key, p] : processes_) budget_->sub(MemoryTable::kFds, p.fd_bytes);
  budget_->sub(MemoryTable::kThreads, reapers_.size() * kReaperBytes);
  budget_ = budget != nullptr ? budget : &own_budget_;
  threads_.for_each_mutable([&](const ThreadKey&, ThreadEntry& e) {
    e.bytes = 0;
    account_thread(e);
  });
  for (auto& [key, p] : processes_) {
    p.fd_bytes = 0;
    p.fds.for_each_mutable([&](const int64_t&, FdEntry& f) {
      f.bytes = static_cast<uint32_t>(approx_bytes(f.info));
      p.fd_bytes += f.bytes;
    });
    budget_->add(MemoryTable::kFds, p.fd_bytes);
  }
  budget_->add(MemoryTable::kThreads, reapers_.size() * kReaperBytes);
}

void ThreadTable::refresh_bytes(DomainId domain, int64_t tid) {
    if (ThreadEntry* e = threads_.find({domain, tid})) {
    unaccount_thread(*e);
    account_thread(*e);
  }
}

void ThreadTable::refresh_fd_bytes(DomainId domain, int64_t pid, int64_t fd) {
    auto it = processes_.find({domain, pid});
  FdEntry* f = it == processes_.end() ? nullptr : it->second.fds.find(fd);
  if (f == nullptr) return;
  const uint32_t now = static_cast<uint32_t>(approx_bytes(f->info));
  budget_->resize(MemoryTable::kFds, f->bytes, now);
  it->second.fd_bytes += now;
  it->second.fd_bytes -= f->bytes;
  f->bytes = now;
}

void ThreadTable::reclaim(DomainId domain, int64_t pid) {
  if (budget_->limit() == 0) return;
  auto it = processes_.find({domain, pid});
  const uint64_t fd_share = budget_->limit() / MemoryBudget::kProcessFdShareDivisor;
  auto evict_oldest_fd = [&] {
    erase_fd_entry(it->second, *it->second.fds.oldest());
    ++fd_evictions_;
    ++memory_fd_evictions_;
    budget_->count_eviction(MemoryTable::kFds);
  };
  // This process's fds beyond their share, oldest first.
  while (it != processes_.end() && it->second.fd_bytes > fd_share && it->second.fds.size() > 1) evict_oldest_fd();
  if (!budget_->over()) return;
  // Least recently used threads of other processes first. A thread of the
  // process being written that comes up is made recent and skipped; the
  // bound stops once every thread has been seen.
  for (size_t seen = 0; budget_->over() && seen < threads_.size() + reapers_.size(); ++seen) {
    // Reapers that outnumber the threads belong to long-gone processes.
    if (reapers_.size() > threads_.size()) {
      const ThreadKey stale = *reapers_.oldest();  // a copy: erase() frees the node
      reapers_.erase(stale);
      budget_->sub(MemoryTable::kThreads, kReaperBytes);
      continue;
    }
    const ThreadKey victim = *threads_.oldest();
    const ThreadEntry* e = threads_.find(victim);
    if (victim.domain == domain && e->info.pid == pid) {
      threads_.touch(victim);
      continue;
    }
    erase_thread_entry(victim);
    ++thread_evictions_;
    ++memory_thread_evictions_;
    budget_->count_eviction(MemoryTable::kThreads);
  }
  // Then the oldest fds of this process, never the newest (being written).
  while (it != processes_.end() && budget_->over() && it->second.fds.size() > 1) evict_oldest_fd();
}

size_t ThreadTable::copy_fds(DomainId domain, int64_t from_pid, int64_t to_pid) {
  if (from_pid == to_pid) return 0;
  auto from = processes_.find({domain, from_pid});
  if (from == processes_.end() || processes_.find({domain, to_pid}) == processes_.end()) return 0;
  std::vector<FdInfo> copy;
  copy.reserve(from->second.fds.size());
  // Oldest first, so the child's eviction order matches the parent's.
  from->second.fds.for_each_oldest_first([&](int64_t, const FdEntry& f) { copy.push_back(f.info); });
  for (FdInfo& f : copy) put_fd(domain, to_pid, std::move(f));
  return copy.size();
}

size_t ThreadTable::close_cloexec_fds(DomainId domain, int64_t pid) {
  auto it = processes_.find({domain, pid});
  if (it == processes_.end()) return 0;
  std::vector<int64_t> doomed;
  it->second.fds.for_each([&](int64_t fd, const FdEntry& f) {
    if (f.info.open_flags & O_CLOEXEC) doomed.push_back(fd);
  });
  for (int64_t fd : doomed) erase_fd(domain, pid, fd);
  return doomed.size();
}

size_t ThreadTable::clear_fds(DomainId domain, int64_t pid) {
  auto it = processes_.find({domain, pid});
  if (it == processes_.end()) return 0;
  size_t n = it->second.fds.size();
  clear_process_fds(it->second);
  return n;
}

size_t ThreadTable::fd_count(DomainId domain, int64_t pid) const {
  auto it = processes_.find({domain, pid});
  return it == processes_.end() ? 0 : it->second.fds.size();
}

bool ThreadTable::for_each_fd(DomainId domain, int64_t pid, const std::function<bool(FdInfo&)>& fn) {
  auto it = processes_.find({domain, pid});
  if (it == processes_.end()) return true;
  // (LruMap's walk cannot stop early: take the entries, then call fn.)
  std::vector<FdInfo*> fds;
  fds.reserve(it->second.fds.size());
  it->second.fds.for_each_mutable([&](const int64_t&, FdEntry& f) { fds.push_back(&f.info); });
  for (FdInfo* f : fds)
    if (!fn(*f)) return false;
  return true;
}

void ThreadTable::load(std::vector<ThreadInfo> threads) {
  for (ThreadInfo& t : threads) put(std::move(t));
}

std::vector<ThreadInfo> ThreadTable::snapshot() const {
  std::vector<ThreadInfo> out;
  out.reserve(threads_.size());
  // Least recently used first, so load() of the snapshot keeps the order.
  threads_.for_each_oldest_first([&](const ThreadKey&, const ThreadEntry& e) { out.push_back(e.info); });
  // Fds go on the leader, else on the first listed thread of the process.
  std::unordered_set<ThreadKey, ThreadKeyHash> done;
  auto give_fds = [&](ThreadInfo& t) {
    ThreadKey pk{t.domain, t.pid};
    if (done.count(pk)) return;
    auto it = processes_.find(pk);
    if (it == processes_.end()) return;
    done.insert(pk);
    it->second.fds.for_each_oldest_first([&](int64_t, const FdEntry& f) { t.fds.push_back(f.info); });
  };
  for (ThreadInfo& t : out)
    if (t.tid == t.pid) give_fds(t);
  for (ThreadInfo& t : out) give_fds(t);
  return out;
}

std::optional<ThreadTable::ProcessLocalState> ThreadTable::process_local_state(DomainId domain, int64_t pid) const {
  auto it = processes_.find({domain, pid});
  if (it == processes_.end()) return std::nullopt;
  ProcessLocalState out;
  for (int64_t tid : it->second.tids) {
    const ThreadEntry* e = threads_.find({domain, tid});
    if (e != nullptr && !e->exited) out.dirs.push_back({tid, e->info.cwd, e->info.root});
  }
  it->second.fds.for_each_oldest_first([&](int64_t, const FdEntry& f) { out.fds.push_back(f.info); });
  return out;
}

void ThreadTable::set_process_local_state(DomainId domain, int64_t pid, ProcessLocalState state) {
  for (auto& d : state.dirs) {
    if (ThreadInfo* t = get(domain, d.tid)) {
      t->cwd = std::move(d.cwd);
      t->root = std::move(d.root);
      refresh_bytes(domain, d.tid);
      continue;
    }
    ThreadInfo t;
    t.domain = domain;
    t.tid = d.tid;
    t.pid = pid;
    t.cwd = std::move(d.cwd);
    t.root = std::move(d.root);
    put(std::move(t));
  }
  clear_fds(domain, pid);
  for (FdInfo& f : state.fds) put_fd(domain, pid, std::move(f));
}

ThreadTableStats ThreadTable::stats() const {
  ThreadTableStats s;
  s.threads = threads_.size();
  s.processes = processes_.size();
  s.fds = fd_total_;
  s.thread_evictions = thread_evictions_;
  s.fd_evictions = fd_evictions_;
  s.memory_thread_evictions = memory_thread_evictions_;
  s.memory_fd_evictions = memory_fd_evictions_;
  s.memory = budget_->stats();
  s.lookups = lookups_;
  s.lookup_misses = lookup_misses_;
  s.fd_lookups = fd_lookups_;
  s.fd_lookup_misses = fd_lookup_misses_;
  return s;
}

}  // namespace kestrel
