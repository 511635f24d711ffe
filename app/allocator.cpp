#include "app/allocator.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <malloc.h>

#include <cstdlib>

namespace kestrel {
namespace {

// mimalloc's own entry points (mimalloc.h), when the executable links it.
using MiVersion = int (*)();
using MiCollect = void (*)(bool force);
using MiIsInHeapRegion = bool (*)(const void* p);

template <typename Fn>
Fn mimalloc_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

AllocatorInfo allocator_info() {
  const auto version = mimalloc_symbol<MiVersion>("mi_version");
  const auto in_heap = mimalloc_symbol<MiIsInHeapRegion>("mi_is_in_heap_region");
  if (version != nullptr && in_heap != nullptr) {
    // Loaded is not enough: malloc itself must be mimalloc's (the
    // executable's link order puts it before libc).
    void* probe = malloc(64);
    const bool serves_malloc = in_heap(probe);
    free(probe);
    const int v = version();  // 209: 2.0.9
    if (serves_malloc)
      return {"mimalloc", std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." + std::to_string(v % 10)};
  }
  return {"glibc", gnu_get_libc_version()};
}

void release_free_memory() {
  if (const auto collect = mimalloc_symbol<MiCollect>("mi_collect")) {
    collect(true);
    return;
  }
  // glibc keeps freed pages below a live allocation in the heap.
  malloc_trim(0);
}

}  // namespace kestrel
