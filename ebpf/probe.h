// probe.h — the loaded Kestrel BPF probe (RAII over the libbpf skeleton).
//
// Loader order (libbpf-bootstrap's): open the embedded object -> set the
// rodata knobs, size the ring buffers, disable autoload for programs whose
// tracepoint this kernel lacks -> load (verify) -> create the per-CPU-group
// ring buffers -> attach only the programs of the requested event types.
// Destruction detaches and unloads everything.
//
// Programs are tied to event types by name: `ke_<event name>[__<role>]`
// (see bpf/filler.bpf.h). load() fails if a program's name does not name an
// event in events.def, so a typo cannot silently leave an event unhooked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/source.h"

extern "C" {
#include "ebpf/bpf/probe_abi.h"
#include "ebpf/bpf/defer_abi.h"
}

struct kestrel_probe;  // the generated skeleton (kestrel_probe.skel.h)
struct bpf_link;
struct bpf_program;

namespace kestrel::ebpf {

struct ProbeConfig {
  size_t buffer_bytes = 8u << 20;  // per ring buffer, rounded up to a power of two
  uint32_t cpus_per_buffer = 1;    // CPUs sharing one ring buffer
  uint32_t ignore_tgid = 0;        // a process whose events are not emitted (0: none)
  uint32_t process_fields = KB_PF_ALL;  // enum kb_process_field: optional process params
  // Compile the in-kernel event filter in (bpf/filter.bpf.h); off, the
  // verifier removes it and set_filters() refuses filters.
  bool kernel_filter = false;
};

// Name of a drop reason as reported in SourceStats::drops.
const char* drop_reason_name(kb_drop_reason reason);
// Name of a deferred-open counter, reported as "kernel_deferred.<name>"
// in SourceStats::counters.
const char* defer_counter_name(kb_defer_counter counter);

// The event types the embedded probe object has programs for, on any
// kernel: opens the object, loads and attaches nothing (no privileges, no
// BTF needed). What a probe can emit at most; supported() is that minus
// what the running kernel lacks.
Result<EventTypeSet> probe_event_types();

class Probe {
 public:
  // Checks the host, opens, configures and loads the probe and creates its
  // ring buffers. Nothing is attached yet.
  static Result<std::unique_ptr<Probe>> load(const ProbeConfig& config);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Event types this probe can emit on this kernel.
  const EventTypeSet& supported() const { return supported_; }

  // Makes the attached set equal to `types` ∩ supported(): attaches what is
  // missing, detaches what is no longer wanted. On error the previous
  // attachments that succeeded stay in place.
  Status attach(const EventTypeSet& types);
  // The event types whose programs are attached now.
  EventTypeSet attached() const;

  // Ring buffer map fds (one per CPU group) and their data size in bytes.
  const std::vector<int>& ring_fds() const { return ring_fds_; }
  size_t ring_bytes() const { return ring_bytes_; }
  uint32_t cpus_per_buffer() const { return cpus_per_buffer_; }

  // Records dropped in the kernel: [reason][cpu]. Thread-safe.
  std::array<std::vector<uint64_t>, KB_DROP_COUNT> drops_per_cpu() const;

  // Run count and total run time of each attached program, as the kernel
  // counts them while BPF run-time stats are enabled (see
  // enable_run_time_stats()); zeros otherwise.
  struct ProgramStats {
    std::string name;
    std::string kernel_name;  // bpf_prog_info.name: the name truncated to 15 chars, as bpftool shows it
    uint16_t type = 0;
    uint64_t run_count = 0;
    uint64_t run_time_ns = 0;
  };
  std::vector<ProgramStats> program_stats() const;

  // Turns on the kernel's per-program run-time accounting (it costs two
  // clock reads per program run, so it is off by default) until the
  // returned fd is closed. Returns the fd or a Status.
  static Result<int> enable_run_time_stats();

  // Sets the boot-time -> epoch offset the probe adds to its timestamps.
  void set_epoch_offset_ns(uint64_t offset);

  // Replaces the in-kernel filters (sources/kernel_filter.h) with
  // `filters`: every type first goes unfiltered, then the new entries are
  // written (a record meanwhile meets no filter or only a complete one of
  // its type). Needs ProbeConfig::kernel_filter for a non-empty set.
  Status set_filters(const KernelFilterSet& filters);
  // Events the filter dropped, by event type, summed over CPUs.
  std::vector<uint64_t> filtered_per_type() const;
  // Records the ring had no room for, by event type (KE_COUNT entries,
  // summed over CPUs): the buffer_full drops split by what was lost.
  std::vector<uint64_t> buffer_full_per_type() const;
  // Deferred opens (bpf/defer.bpf.h), by enum kb_defer_counter, summed
  // over CPUs.
  std::vector<uint64_t> defer_counts() const;

 private:
  // Opens may be kept in the kernel (bpf/defer.bpf.h) only while the
  // filters allow it and the fork and exit programs that keep it exact
  // are attached.
  void update_defer();
  // A per-CPU array map keyed by event type, summed over CPUs.
  std::vector<uint64_t> per_type_sum(int map_fd) const;
  struct ProgramSlot {
    bpf_program* prog = nullptr;
    uint16_t type = 0;
    bpf_link* link = nullptr;
  };
  Probe() = default;
  Status open_and_load(const ProbeConfig& config);
  Status create_ring_buffers();

  kestrel_probe* skel_ = nullptr;
  std::vector<ProgramSlot> programs_;
  EventTypeSet supported_;
  std::vector<int> ring_fds_;
  size_t ring_bytes_ = 0;
  uint32_t cpus_per_buffer_ = 1;
  int ncpus_ = 0;
  bool kernel_filter_ = false;
  bool defer_wanted_ = false;  // some filter has defer_state
};

}  // namespace kestrel::ebpf
