// capabilities.h — giving up Linux capabilities the collector no longer needs.
//
// Capabilities belong to threads, not processes: capset(2) changes only the
// calling thread, and a new thread copies its creator's. So
// drop_process_capabilities() applies the change to the calling thread and
// then to every other thread of the process, each doing it itself from a
// real-time signal handler (capset and prctl are plain system calls, safe
// there) — the way glibc applies setuid() to all threads. A thread that
// cannot (a seccomp-confined one) should call drop_thread_capabilities()
// with what it needs before it confines itself.
//
// What is dropped goes from the effective, permitted, inheritable, ambient
// and bounding sets alike, so neither the collector nor a program it starts
// (program output) can regain it.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace kestrel {

// A set of capabilities as bits (1 << CAP_X), as /proc/PID/status prints them.
using CapabilityMask = uint64_t;

constexpr CapabilityMask capability_bit(int cap) { return CapabilityMask{1} << cap; }

// The calling thread's effective set.
CapabilityMask effective_capabilities();

// This thread keeps only `keep` (of what it has).
Status drop_thread_capabilities(CapabilityMask keep);

// Every thread of the process keeps only `keep`. Fails (naming the thread)
// if a thread did not confirm within a second; the threads that did have
// dropped all the same.
Status drop_process_capabilities(CapabilityMask keep);

// "cap_bpf,cap_perfmon" (lower-case names as capabilities(7)).
std::string capability_names(CapabilityMask mask);

}  // namespace kestrel
