// memory_size.h — approximate heap bytes of the state tables' entries.
//
// What MemoryBudget (memory_budget.h) accounts per entry: the object, the
// heap blocks of its strings and vectors (capacity, not size: that is what
// malloc holds), and the hash/list nodes a table keeps for it. Approximate
// on purpose: malloc's own per-block overhead is folded into kMallocOverhead,
// and the measure must stay cheap because it runs on every insert.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "state/thread_info.h"

namespace kestrel {

// malloc's header and rounding per block (glibc: 8-16 bytes).
inline constexpr size_t kMallocOverhead = 16;
// An LruMap entry beyond its key and value: an unordered_map node (next
// pointer, cached hash, bucket slot) and a std::list node (two pointers).
inline constexpr size_t kLruNodeOverhead = 2 * kMallocOverhead + 6 * sizeof(void*);

// Heap bytes of a string: none while it fits in the object (small-string
// buffer), else its capacity, the terminator and malloc's overhead.
inline size_t heap_bytes(const std::string& s) {
  const char* data = s.data();
  const char* self = reinterpret_cast<const char*>(&s);
  if (data >= self && data < self + sizeof(std::string)) return 0;
  return s.capacity() + 1 + kMallocOverhead;
}

template <typename T>
size_t vector_block_bytes(const std::vector<T>& v) {
  return v.capacity() == 0 ? 0 : v.capacity() * sizeof(T) + kMallocOverhead;
}

inline size_t heap_bytes(const std::vector<std::string>& v) {
  size_t n = vector_block_bytes(v);
  for (const std::string& s : v) n += heap_bytes(s);
  return n;
}

// An fd entry: FdInfo and its strings, as kept in a process's fd table.
inline size_t approx_bytes(const FdInfo& f) {
  size_t n = sizeof(FdInfo) + kLruNodeOverhead + heap_bytes(f.name) + heap_bytes(f.name_raw) +
             heap_bytes(f.old_name) + vector_block_bytes(f.tuple) + vector_block_bytes(f.plugin_values);
  for (const PluginFieldValue& v : f.plugin_values) n += heap_bytes(v.str);
  return n;
}

// A thread entry without its fds (the table accounts those per fd):
// ThreadInfo, its strings, args, env and cgroups.
inline size_t approx_bytes(const ThreadInfo& t) {
  size_t n = sizeof(ThreadInfo) + kLruNodeOverhead + heap_bytes(t.comm) + heap_bytes(t.exe) +
             heap_bytes(t.exepath) + heap_bytes(t.args) + heap_bytes(t.env) + heap_bytes(t.cwd) +
             heap_bytes(t.root) + heap_bytes(t.container_id) + heap_bytes(t.container_full_id) +
             heap_bytes(t.container_type) + heap_bytes(t.exe_sha256) + vector_block_bytes(t.cgroups);
  for (const auto& [controller, path] : t.cgroups) n += heap_bytes(controller) + heap_bytes(path);
  return n;
}

}  // namespace kestrel
