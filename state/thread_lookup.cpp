#include "state/thread_lookup.h"

namespace kestrel {

const ThreadInfo* ThreadLookup::process_of(const ThreadInfo& t) const {
  if (t.tid == t.pid) return &t;
  return find(t.domain, t.pid);
}

const ThreadInfo* ThreadLookup::parent(const ThreadInfo& t) const {
  // A thread without a known leader still knows its ptid (threads carry
  // the process's parent, as the kernel reports it).
  const ThreadInfo* proc = process_of(t);
  const ThreadInfo& self = proc ? *proc : t;
  if (self.ptid <= 0 || self.ptid == self.pid) return nullptr;
  const ThreadInfo* p = find(self.domain, self.ptid);
  if (p == nullptr) return nullptr;
  const ThreadInfo* pp = process_of(*p);
  if (pp == nullptr) pp = p;
  return pp->pid == self.pid ? nullptr : pp;
}

const ThreadInfo* ThreadLookup::ancestor(const ThreadInfo& t, int n) const {
  if (n < 0 || n > kMaxAncestorDepth) return nullptr;
  const ThreadInfo* cur = process_of(t);
  if (cur == nullptr) cur = &t;
  for (int i = 0; i < n && cur != nullptr; ++i) cur = parent(*cur);
  return cur;
}

}  // namespace kestrel
