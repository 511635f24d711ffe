/*
 * kestrel.bpf.c — the Kestrel eBPF probe (kernel side).
 *
 * One compilation unit so every program shares one set of maps; the parts
 * live in headers by concern:
 *   maps.bpf.h          ring buffers, scratch, drop counters, knobs
 *   record.bpf.h        building and submitting one event record
 *   syscall_args.bpf.h  syscall arguments from the saved user registers
 *   core_fixes.bpf.h    kernel struct differences (CO-RE)
 *   path.bpf.h          dentry and kernfs paths
 *   task.bpf.h          the process params block
 *   sock.bpf.h          fd -> socket, tuples and sockaddrs
 *   filler.bpf.h        hook choice and program naming (read this first)
 *   fillers_*.bpf.h     one program per event type, params written by name (KB_PUT)
 *                       in events.def order, checked against the table
 *                       (process, file, net, security, io)
 *
 * Built with clang -target bpf -O2 -g against a vmlinux.h generated from the
 * build host's BTF, then relocated to the running kernel by libbpf (CO-RE).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "sources/abi/kestrel_event.h"
#include "ebpf/bpf/probe_abi.h"
#include "ebpf/bpf/maps.bpf.h"
#include "ebpf/bpf/record.bpf.h"
#include "ebpf/bpf/syscall_args.bpf.h"
#include "ebpf/bpf/core_fixes.bpf.h"
#include "ebpf/bpf/path.bpf.h"
#include "ebpf/bpf/task.bpf.h"
#include "ebpf/bpf/sock.bpf.h"
#include "ebpf/bpf/filler.bpf.h"
#include "ebpf/bpf/fillers_process.bpf.h"
#include "ebpf/bpf/fillers_file.bpf.h"
#include "ebpf/bpf/fillers_net.bpf.h"
#include "ebpf/bpf/fillers_security.bpf.h"
#include "ebpf/bpf/fillers_io.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
