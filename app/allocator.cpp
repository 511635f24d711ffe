#include "app/allocator.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <malloc.h>

#include <cstdlib>

#if __has_include(<mimalloc.h>)
#include <mimalloc.h>  // mi_option_t's values only: the functions are looked up
#define KESTREL_HAS_MIMALLOC_H 1
#endif

namespace kestrel {
namespace {

// mimalloc's own entry points (mimalloc.h), when the executable links it.
using MiVersion = int (*)();
using MiCollect = void (*)(bool force);
using MiIsInHeapRegion = bool (*)(const void* p);
using MiOptionSet = void (*)(int option, long value);
using MiOptionGet = long (*)(int option);

template <typename Fn>
Fn mimalloc_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

#ifdef KESTREL_HAS_MIMALLOC_H
long g_decommit_delay = -1;  // mimalloc's own, while start-up runs with 0
#endif

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

void begin_start_up() {
#ifdef KESTREL_HAS_MIMALLOC_H
  const auto get = mimalloc_symbol<MiOptionGet>("mi_option_get");
  const auto set = mimalloc_symbol<MiOptionSet>("mi_option_set");
  if (get == nullptr || set == nullptr || g_decommit_delay >= 0) return;
  g_decommit_delay = get(mi_option_decommit_delay);
  set(mi_option_decommit_delay, 0);
#endif
}

void release_free_memory() {
  if (const auto collect = mimalloc_symbol<MiCollect>("mi_collect")) {
    collect(true);
#ifdef KESTREL_HAS_MIMALLOC_H
    if (g_decommit_delay >= 0) {
      mimalloc_symbol<MiOptionSet>("mi_option_set")(mi_option_decommit_delay, g_decommit_delay);
      g_decommit_delay = -1;
    }
#endif
    return;
  }
  // glibc keeps freed pages below a live allocation in the heap.
  malloc_trim(0);
}

}  // namespace kestrel
