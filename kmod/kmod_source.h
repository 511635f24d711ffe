// kmod_source.h — live syscall capture through the kestrel kernel module
// (kmod/module/), for kernels the eBPF probe cannot run on (no BTF, too
// old, eBPF locked down).
//
// KmodSource is the Source (sources/source.h) that opens /dev/kestrel,
// starts capture with the collector's own process ignored, maps one ring
// per CPU and polls them, merging records by timestamp. Records are the
// same binary format the eBPF probe writes (sources/abi/kestrel_event.h).
// Records lost in the kernel are counted per CPU and reason
// (stats().drops: "buffer_full", "too_large", "param_mismatch", and
// "compat_ignored" for 32-bit syscalls the module counts but does not
// decode; drops_per_cpu()).
//
// With a capture request carrying kernel filters (engine.kernel_filter), the
// module drops records no rule and no state table needs, with the eBPF
// probe's semantics (sources/kernel_filter.h), and counts them per type
// (stats().counters "kernel_filtered.<type>", as the probe's).
//
// What the module emits is a subset of the event table (see
// kmod/README.md); capabilities().event_types says which, after open().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sources/ring_batch.h"
#include "sources/source.h"
#include "state/proc_scanner.h"

namespace kestrel::kmod {
class KmodRing;
}

namespace kestrel {

struct KmodOptions {
  // The module's device.
  std::string device = "/dev/kestrel";
  // Data bytes per CPU ring; rounded up to a power of two (>= one page).
  uint64_t buffer_bytes = 8u << 20;
  // Do not emit events caused by this process (the collector's own I/O).
  bool drop_own_events = true;
  // How often next() looks at the rings while waiting (only when they
  // were empty: under load it reads on without sleeping). 10 ms, not 1:
  // each wakeup costs a context switch, and with the workload on the same
  // CPU 1,000 a second were about a third of what capture cost it
  // (bench/scap_side_by_side, kmod/README.md); a burst of 10 ms fits the
  // 8 MiB rings many times over. Falco's libscap sleeps 30 ms.
  std::chrono::microseconds poll_interval{10000};
  // Upper bound of records returned by one next() call.
  size_t max_batch = 8192;
  // What initial_state() reads from /proc.
  ProcScanOptions proc_scan;
};

class KmodSource final : public Source {
 public:
  explicit KmodSource(KmodOptions options);
  ~KmodSource() override;

  const SourceCapabilities& capabilities() const override { return caps_; }

  // Opens the device, starts capture with the current filter and maps the
  // rings. Errors: kUnavailable when the module is not loaded (the message
  // says how to build and load it; also when another collector has the
  // device open), kPermissionDenied (not root), kInternal (ABI mismatch,
  // mmap failure).
  Status open() override;

  // The host's processes from a /proc scan; call after open().
  std::vector<ThreadInfo> initial_state() override;

  // Sets the capture set (if open) or remembers it for open(). Types the
  // module cannot emit are ignored.
  Status set_event_filter(const EventTypeSet& types) override;
  // The event types as set_event_filter(), and which optional process
  // params (env, cwd, cgroups) the module copies: those the request reads
  // (fixed at open(), as the eBPF probe's knob is at load).
  // The request's kernel filters go to the module at open() (before capture
  // starts) or at once when open.
  Status set_capture_request(const CaptureRequest& request) override;
  // Replaces the module's filter while running (a rules reload); the
  // module swaps it whole (RCU), so a record meets the old or the new one.
  Status update_kernel_filters(const KernelFilterSet& filters) override;
  // The KESTREL_KMOD_PF_* mask the next open() starts capture with.
  uint32_t process_fields() const;

  // Up to max_batch records, merged across CPUs in timestamp order. Views
  // stay valid until the next call to next() or close().
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) override;

  SourceStats stats() const override;
  void close() override;

  // Kernel-side drops split by CPU: [reason][cpu].
  // Live from the rings while open; after close(), their last values.
  RingDropsPerCpu drops_per_cpu() const;

 private:
  bool collect(EventBatch& out);
  Status push_filter();
  Status push_kernel_filters(int fd) const;  // the request's filters to the open device
  RingDropsPerCpu read_drops_locked() const;  // mu_ held

  KmodOptions options_;
  SourceCapabilities caps_;
  EventTypeSet filter_;
  ProcessParamSet requested_params_;
  KernelFilterSet kernel_filters_;  // the request's; empty: nothing filtered
  int fd_ = -1;
  uint64_t buffer_bytes_ = 0;
  // Guards rings_ against stats() from other threads.
  mutable std::mutex mu_;
  std::vector<kmod::KmodRing> rings_;
  RingDropsPerCpu final_drops_;  // guarded by mu_; set by close()
  std::vector<uint64_t> final_buffer_full_;  // likewise: buffer_full drops by event type
  std::vector<uint64_t> final_filtered_;     // likewise: kernel-filtered records by event type
  std::vector<uint64_t> read_buffer_full_locked() const;
  std::vector<uint64_t> read_filtered_locked() const;
  RingBatchCounters counters_;
};

// The factory the app uses: an unopened KmodSource.
std::unique_ptr<Source> make_kmod_source(const KmodOptions& options);

// Whether the kestrel module's device exists (the module is loaded).
bool kmod_device_present(const std::string& device = "/dev/kestrel");

// The error for a missing module, naming how to build and load it.
Status kmod_not_loaded_error(const std::string& device);

// Name of a kestrel_kmod_drop_reason ("buffer_full", "too_large").
const char* kmod_drop_reason_name(uint32_t reason);

}  // namespace kestrel
