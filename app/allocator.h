// allocator.h — which malloc the process runs on, and giving its free
// memory back to the system.
//
// The kestrel executable (and bench/engine_workers_bench, which measures
// its engine) link mimalloc (CMake KESTREL_MIMALLOC, on unless sanitizing).
// glibc's malloc made the state updates' many small strings (a process's
// args and env, allocated at every clone and exec, freed at exit) cost
// more split over two engine workers than on one: with mimalloc the 2-worker
// replay of a live capture took 4-5 points more of the CPUs' summed rates,
// and one worker ran ~7 % faster (bench/engine_workers.sh, interleaved).
// Idle RSS with the default rules: 57 MB on glibc, 60 MB on mimalloc.
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

// Hands the allocator's free pages back to the system (after start-up's
// garbage: libbpf's parse of the kernel's BTF).
void release_free_memory();

}  // namespace kestrel
