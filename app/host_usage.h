// host_usage.h — the machine's figures Falco publishes as its "host_"
// resource-utilization metrics, measured the way libs measures them so a
// dashboard reads the same thing from either collector:
//   cpu_usage_perc  100 - idle share of /proc/stat's "cpu" line (user nice
//                   system idle iowait irq softirq), i.e. since boot, one
//                   decimal, of all CPUs
//   memory_used_kb  /proc/meminfo MemTotal - MemFree - Buffers - Cached
//   procs_running   /proc/stat procs_running (runnable now, not alive)
//   open_fds        /proc/sys/fs/file-nr's first field (allocated file handles)
// Kestrel reads this host's /proc (no HOST_ROOT prefix: a container
// deployment mounts the host's /proc there, as for the process scan).
#pragma once

#include <cstdint>
#include <string>

namespace kestrel {

struct HostUsage {
  double cpu_usage_perc = 0;
  uint64_t memory_used_kb = 0;
  uint64_t procs_running = 0;
  uint64_t open_fds = 0;
};

// Reads `proc_root` ("/proc" but for tests); an unreadable file leaves its
// figures at 0.
HostUsage read_host_usage(const std::string& proc_root = "/proc");

}  // namespace kestrel
