// cgroup_memory.h — the memory charged to Kestrel's own cgroup, for Falco's
// container_memory_used metric (what Kubernetes' working-set figure and
// the OOM killer look at when Kestrel runs as a container).
//
// Where it is read, first that exists:
//   $FALCO_CGROUP_MEM_PATH        the file Falco's users point it at
//   cgroup v2: /sys/fs/cgroup/<path of "0::" in /proc/self/cgroup>/memory.current
//   cgroup v1: /sys/fs/cgroup/memory/<path of the memory line>/memory.usage_in_bytes
// libs reads only /sys/fs/cgroup/memory/memory.usage_in_bytes, which on a
// host (no cgroup namespace) is the root cgroup's, i.e. the whole
// machine's; following /proc/self/cgroup gives Kestrel's own cgroup there
// and the same file as libs inside a container with its own cgroup namespace.
#pragma once

#include <cstdint>
#include <string>

namespace kestrel {

// The file read_cgroup_memory() reads for this process ("" when none is found).
// `sys_fs_cgroup` and `proc_self_cgroup` are for tests.
std::string cgroup_memory_file(const std::string& sys_fs_cgroup = "/sys/fs/cgroup",
                               const std::string& proc_self_cgroup = "/proc/self/cgroup");

// Bytes in that file; 0 when there is none or it does not parse.
uint64_t read_cgroup_memory();

}  // namespace kestrel
