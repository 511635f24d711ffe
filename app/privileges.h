// privileges.h — which capabilities the running collector keeps.
//
// Loading probes, binding sockets and attaching to sandboxes need root's
// full set; running afterwards needs little. Once capture has started
// (sources open, servers bound) the collector keeps only:
//   cap_bpf, cap_perfmon   the eBPF source: every bpf() call (ring and map
//                          reads, drop counters) checks them
//   cap_dac_read_search    SIGHUP reads the config and rules files again,
//                          wherever they are
//   cap_sys_ptrace         the state tables read /proc/PID of processes of
//                          any user (exe, cwd, fds) when an event names a
//                          process they do not know
//   cap_dac_override       only with file_output: SIGHUP reopens the file
//                          (logrotate), possibly in a directory root does
//                          not own
// Everything else (cap_sys_admin, cap_sys_module, cap_net_admin, cap_setuid,
// ...) is dropped from every thread, and from the bounding set, so program
// outputs cannot regain it either. The kernel module and gVisor sources
// need nothing once open (their fds are held).
#pragma once

#include <string>
#include <vector>

#include "app/config/config.h"
#include "base/capabilities.h"

namespace kestrel {

// What to keep for these running sources (capabilities().name) and config.
CapabilityMask capabilities_to_keep(const std::vector<std::string>& source_names, const KestrelConfig& config);

// Only the kestrel executable changes its process's privileges; tests that
// run the collector in-process leave theirs alone. main() sets it.
void set_owns_process(bool owns);
bool owns_process();

}  // namespace kestrel
