#include "gvisor/process_memory.h"

namespace kestrel::gvisor {

void ProcessMemory::remember(DomainId domain, const GvisorContext& ctx) {
  if (ctx.tgid <= 0 || ctx.process_name.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = known_.try_emplace(key(domain, ctx.tgid));
  if (inserted) {
    order_.push_back(it->first);
    if (known_.size() > capacity_) {
      // Forget the oldest half at once, so a flood costs O(1) amortised.
      for (size_t n = known_.size() / 2; n > 0 && !order_.empty(); --n) {
        known_.erase(order_.front());
        order_.pop_front();
      }
      it = known_.find(key(domain, ctx.tgid));
      if (it == known_.end()) return;
    }
  }
  Known& known = it->second;
  // The common case is an unchanged context: compare before copying.
  if (known.name != ctx.process_name) known.name.assign(ctx.process_name);
  if (!ctx.cwd.empty() && known.cwd != ctx.cwd) known.cwd.assign(ctx.cwd);
  if (ctx.has_credentials) {
    known.has_credentials = true;
    known.uid = ctx.ruid;
    known.euid = ctx.euid;
    known.gid = ctx.rgid;
    known.egid = ctx.egid;
  }
  if (ctx.group_start_ns > 0) known.start_ns = ctx.group_start_ns;
  if (ctx.parent_tgid > 0) known.parent_tgid = ctx.parent_tgid;
  known.exec_session = known.exec_session || ctx.is_exec_session;
}

std::optional<std::vector<ThreadInfo>> ProcessMemory::describe(DomainId domain, int64_t pid) const {
  if (pid <= 0 || pid > INT32_MAX) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = known_.find(key(domain, static_cast<int32_t>(pid)));
  if (it == known_.end()) return std::nullopt;
  const Known& k = it->second;
  ThreadInfo t;
  t.domain = domain;
  t.tid = t.pid = t.vtid = t.vpid = pid;  // the sandbox is the pid namespace
  t.comm = k.name.substr(0, 15);          // TASK_COMM_LEN - 1, as exec would
  t.exe = k.name;                         // argv[0] is not in the context
  t.cwd = k.cwd;
  // container.id: the state tables label the thread with its sandbox's.
  if (k.has_credentials) {
    t.uid = k.uid;
    t.euid = k.euid;
    t.gid = k.gid;
    t.egid = k.egid;
  }
  if (k.start_ns > 0) t.start_ts = static_cast<uint64_t>(k.start_ns);
  t.ptid = k.parent_tgid;
  t.exec_session = k.exec_session;
  return std::vector<ThreadInfo>{std::move(t)};
}

size_t ProcessMemory::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return known_.size();
}

}  // namespace kestrel::gvisor
