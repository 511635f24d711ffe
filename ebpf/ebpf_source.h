// ebpf_source.h — live syscall capture on this host through the eBPF probe.
//
// EbpfSource is the Source (sources/source.h) backed by the modern eBPF
// probe in ebpf/bpf/. It needs a kernel with BTF, tracefs, and root (or
// CAP_BPF + CAP_PERFMON); open() says which is missing, and suggests the
// kernel module as the fallback.
//
// Hooks (why, in bpf/filler.bpf.h): one syscall exit tracepoint per event
// type, attached only for the types in the capture set, plus
// sched_process_exit for procexit. An uncaptured syscall runs no BPF code.
//
// Buffers: one BPF ring buffer per group of `cpus_per_buffer` CPUs. The
// probe never wakes the reader; next() polls the buffers every
// `poll_interval` and merges what it finds by timestamp. Records lost in the
// kernel are counted per CPU and reason (stats().drops: "buffer_full",
// "too_large", ...; drops_per_cpu() for the per-CPU split).
//
// Timestamps are ns since the epoch, stamped in the kernel from the boot
// clock plus an offset the source keeps current.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sources/ring_batch.h"
#include "sources/source.h"
#include "state/proc_scanner.h"

namespace kestrel::ebpf {
class Probe;
class RingBuffer;
}  // namespace kestrel::ebpf

namespace kestrel {

struct EbpfOptions {
  // Bytes per ring buffer, rounded up to a power of two (>= one page).
  size_t buffer_bytes = 8u << 20;
  // CPUs sharing one ring buffer: 1 = per-CPU buffers (no contention,
  // per-CPU order); larger saves memory on big machines.
  uint32_t cpus_per_buffer = 1;
  // Do not emit events caused by this process (the collector's own I/O).
  bool drop_own_events = true;
  // Optional process params of execve/clone events; each costs time on
  // every process creation (see ebpf/README.md for measurements). Off
  // means the param is sent empty. The capture request narrows them
  // further (set_capture_request): a param is copied only when both ask.
  bool process_env = true;
  bool process_cwd = true;
  bool process_cgroups = true;
  // How often next() looks at the buffers while waiting (only when they
  // were empty: under load it reads on without sleeping). 10 ms, not 1:
  // each wakeup costs a context switch, and with the workload on the same
  // CPU 1,000 a second were about a third of what capture cost it
  // (bench/scap_side_by_side, kmod/README.md); a burst of 10 ms fits the
  // 8 MiB buffers many times over. Falco's libscap sleeps 30 ms.
  std::chrono::microseconds poll_interval{10000};
  // Upper bound of records returned by one next() call.
  size_t max_batch = 8192;
  // What initial_state() reads from /proc (state/proc_scanner.h).
  ProcScanOptions proc_scan;
  // Hold the kernel's BPF run-time accounting on (bpf_enable_stats) from
  // open() to close(), so stats() reports each program's run count and time
  // (SourceStats::bpf_programs; Falco's metrics.libbpf_stats_enabled). It
  // costs two clock reads per run of every BPF program on the host. Where
  // the kernel refuses (< 5.8), the figures are the kernel's as
  // kernel.bpf_stats_enabled leaves them, and open() says so on stderr.
  bool bpf_run_time_stats = false;
};

class EbpfSource final : public Source {
 public:
  explicit EbpfSource(EbpfOptions options);
  ~EbpfSource() override;

  // event_types is filled by open(): what this kernel lets the probe emit
  // (a syscall without a tracepoint here, e.g. init_module without
  // CONFIG_MODULES, is left out).
  const SourceCapabilities& capabilities() const override { return caps_; }

  // Loads the probe, creates the buffers and attaches the programs of the
  // current filter (until set_event_filter() says otherwise: every event
  // the probe supports except the high-volume KEF_IO ones). Errors: kUnavailable (no BTF, no tracefs, kernel too
  // old), kPermissionDenied (not root), kInternal (probe/table mismatch).
  Status open() override;

  // The host's processes, threads and fds from a /proc scan
  // (ProcScanner). Call after open(), so that nothing started between the
  // scan and the probe going live is missed (it may be seen twice instead).
  std::vector<ThreadInfo> initial_state() override;

  // Attaches exactly the programs of `types` (if open) or remembers them for
  // open(). Types the probe cannot emit are ignored.
  Status set_event_filter(const EventTypeSet& types) override;

  // Event types as set_event_filter(); the request's process params narrow
  // the options' process_env/cwd/cgroups (the probe's kb_process_fields,
  // fixed at load): call before open(), or they apply from the next open().
  Status set_capture_request(const CaptureRequest& request) override;

  // Rewrites the probe's filter maps (or remembers the set for open()).
  // A probe opened without filters has no filter code: a non-empty set is
  // then refused (kUnavailable) and everything keeps going up.
  Status update_kernel_filters(const KernelFilterSet& filters) override;

  // The kb_process_fields mask (KB_PF_*) the next open() loads the probe with.
  uint32_t process_fields() const;

  // Returns up to max_batch records, merged across buffers in timestamp
  // order. Views stay valid until the next call to next() or close().
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;

  SourceStats stats() const override;
  void close() override;

  // Kernel-side drops split by CPU: [reason][cpu]; reasons as in stats().
  // Live from the probe while open; after close(), their last values.
  RingDropsPerCpu drops_per_cpu() const;
  // The event types whose programs are attached right now.
  EventTypeSet attached_event_types() const;

  // Per attached program: name, runs and total run time in the kernel
  // (counted only while BPF run-time stats are enabled; see
  // ebpf::Probe::enable_run_time_stats()). For benchmarks and diagnostics.
  struct ProgramCost {
    std::string program;
    uint64_t runs = 0;
    uint64_t run_time_ns = 0;
  };
  std::vector<ProgramCost> program_costs() const;

 private:
  bool collect(EventBatch& out);
  void refresh_epoch_offset();
  RingDropsPerCpu read_drops_locked() const;  // probe_mu_ held, probe_ set

  EbpfOptions options_;
  SourceCapabilities caps_;
  int run_time_stats_fd_ = -1;  // bpf_enable_stats' fd while options_.bpf_run_time_stats
  EventTypeSet filter_;
  ProcessParamSet requested_params_;  // all until a capture request says otherwise
  KernelFilterSet kernel_filters_;     // the request's; empty: nothing filtered
  // Guards probe_'s lifetime and its attachments against stats() and the
  // other introspection calls from other threads; next() (the reader
  // thread, which also opens and closes) reads it without the lock.
  mutable std::mutex probe_mu_;
  std::unique_ptr<ebpf::Probe> probe_;
  RingDropsPerCpu final_drops_;  // guarded by probe_mu_; set by close()
  std::vector<uint64_t> final_filtered_;  // likewise: events the kernel filter dropped, by type
  std::vector<uint64_t> final_deferred_;  // likewise: deferred-open counters (kb_defer_counter)
  std::vector<uint64_t> final_buffer_full_;  // likewise: buffer_full drops, by type
  std::vector<ebpf::RingBuffer> rings_;
  std::chrono::steady_clock::time_point last_offset_refresh_{};
  RingBatchCounters counters_;
};

// The factory the app uses: an unopened EbpfSource.
std::unique_ptr<Source> make_ebpf_source(const EbpfOptions& options);

}  // namespace kestrel
