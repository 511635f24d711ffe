// allocator.h — which malloc the process runs on, and giving its free
// memory back to the system.
//
// The kestrel executable (and bench/engine_workers_bench, which measures
// its engine) link mimalloc (CMake KESTREL_MIMALLOC, on unless sanitizing).
// The state updates allocate and free many small strings (a process's args,
// env and cgroups at every clone and exec, freed at exit), and two engine
// workers apply each of those events: with mimalloc the 2-worker replay of
// a live capture took 2-5 points more of the CPUs' summed rates than on
// glibc's malloc, and one worker ran ~7 % faster (bench/engine_workers.sh,
// interleaved runs, 2026-12-08). Idle RSS (bench/memory_ceiling.py, default
// rules): 57.2 MiB on glibc, 59.5-61.0 MiB on mimalloc (64.8 before
// begin_start_up() below).
// The libraries and most tests run on glibc's malloc, so this asks at run
// time (mimalloc's symbols are looked up, not linked) and serves both.
#pragma once

#include <string>

namespace kestrel {

struct AllocatorInfo {
  std::string name;     // "mimalloc" or "glibc"
  std::string version;  // "2.0.9", "2.36"
};
AllocatorInfo allocator_info();

// From here until release_free_memory(), memory freed on any thread goes
// back to the system at once (mimalloc: decommit_delay 0), so start-up's
// garbage (rules compiled, libbpf's parse of the kernel's BTF) does not stay
// in the heap of a thread that then idles: idle RSS with the default rules
// and one /metrics scrape 66.4 MB without it, ~60 MB with.
void begin_start_up();
// Hands the allocator's free pages back to the system (start-up's garbage);
// from here freed pages are kept a while for reuse (mimalloc's default:
// the engine allocates at every process, and a delay of 0 all along made
// one worker 14 % slower).
void release_free_memory();

}  // namespace kestrel
