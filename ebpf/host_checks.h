// host_checks.h — does this host have what the eBPF probe needs?
//
// Each check returns an error that says what is missing and what the user
// can do (mount tracefs, run as root, or fall back to the kernel module).
// They run before the probe is opened, so the common failures get a clear
// message instead of a libbpf errno.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kestrel::ebpf {

// The running kernel exposes BTF (/sys/kernel/btf/vmlinux), which CO-RE
// relocation needs. kUnavailable otherwise.
Status check_kernel_btf();

// The process may load and attach tracing BPF programs: root's
// CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON. kPermissionDenied otherwise.
Status check_privileges();

// Makes sure tracefs is reachable (syscall tracepoints are attached through
// it): returns the events directory in use, mounting tracefs at
// /sys/kernel/tracing if neither it nor debugfs' tracing dir is mounted.
Result<std::string> ensure_tracefs();

// Whether tracepoint `category/name` exists under `events_dir` (as returned
// by ensure_tracefs()). Syscalls a kernel lacks have no tracepoint.
bool tracepoint_exists(const std::string& events_dir, std::string_view category, std::string_view name);

// Whether the running kernel's BTF has the kfunc (or any kernel function)
// `name`, e.g. bpf_rdonly_cast (Linux >= 6.2). False when the BTF cannot
// be read.
bool kernel_has_function(const char* name);

// A Status for a failed libbpf call: `what` failed with `err` (a negative
// or positive errno). Permission errors name the capabilities needed; the
// tail of libbpf's log (verifier output) is appended when there is one.
Status bpf_error(std::string_view what, int err, std::string_view log_tail);

}  // namespace kestrel::ebpf
