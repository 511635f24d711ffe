#include "ebpf/ebpf_source.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>

#include "ebpf/epoch_clock.h"
#include "ebpf/probe.h"
#include "ebpf/ring_buffer.h"

namespace kestrel {

EbpfSource::EbpfSource(EbpfOptions options) : options_(std::move(options)) {
  caps_.name = "ebpf";
  caps_.live = true;
  caps_.sees_containers = true;
  caps_.sees_sandboxes = false;  // gVisor sandboxes run their syscalls in the Sentry
  // Until set_event_filter() says otherwise: everything but the
  // high-volume I/O events (read, write, send, recv ...), as Falco
  // without -A.
  for (const EventInfo& e : all_events())
    if (!(e.flags & KEF_IO)) filter_.set(e.type);
}

EbpfSource::~EbpfSource() { close(); }

Status EbpfSource::open() {
  if (probe_) return ok_status();
  ebpf::ProbeConfig config;
  config.buffer_bytes = options_.buffer_bytes;
  config.cpus_per_buffer = options_.cpus_per_buffer;
  config.ignore_tgid = options_.drop_own_events ? static_cast<uint32_t>(::getpid()) : 0;
  config.process_fields = process_fields();
  config.kernel_filter = !kernel_filters_.empty();
  auto probe = ebpf::Probe::load(config);
  if (!probe.ok()) return probe.status();
  std::lock_guard<std::mutex> lock(probe_mu_);
  probe_ = std::move(probe).value();
  caps_.event_types = probe_->supported();

  rings_.clear();
  Status status;
  for (int fd : probe_->ring_fds()) {
    auto ring = ebpf::RingBuffer::map(fd, probe_->ring_bytes());
    if (!ring.ok()) {
      status = ring.status();
      break;
    }
    rings_.push_back(std::move(ring).value());
  }
  if (status.ok()) status = probe_->set_filters(kernel_filters_);
  if (status.ok()) {
    refresh_epoch_offset();
    status = probe_->attach(filter_);
  }
  if (!status.ok()) {
    rings_.clear();
    probe_.reset();
    return status;
  }
  if (options_.bpf_run_time_stats && run_time_stats_fd_ < 0) {
    auto fd = ebpf::Probe::enable_run_time_stats();
    if (fd.ok()) run_time_stats_fd_ = *fd;
    else
      std::fprintf(stderr,
                   "kestrel: metrics.libbpf_stats_enabled: %s; BPF program run counts stay 0 unless "
                   "kernel.bpf_stats_enabled is set\n",
                   fd.status().to_string().c_str());
  }
  return status;
}

std::vector<ThreadInfo> EbpfSource::initial_state() {
  ProcScanner scanner(options_.proc_scan);
  auto threads = scanner.scan();
  if (!threads.ok()) return {};
  return std::move(threads).value();
}

Status EbpfSource::set_event_filter(const EventTypeSet& types) {
  std::lock_guard<std::mutex> lock(probe_mu_);
  filter_ = types;
  return probe_ ? probe_->attach(filter_) : ok_status();
}

uint32_t EbpfSource::process_fields() const {
  // An optional param is copied when the options allow it and the capture
  // request reads it.
  const ProcessParamSet& wanted = requested_params_;
  return (options_.process_env && wanted.env ? KB_PF_ENV : 0) | (options_.process_cwd && wanted.cwd ? KB_PF_CWD : 0) |
         (options_.process_cgroups && wanted.cgroups ? KB_PF_CGROUPS : 0);
}

Status EbpfSource::set_capture_request(const CaptureRequest& request) {
  {
    std::lock_guard<std::mutex> lock(probe_mu_);
    requested_params_ = request.process_params;  // a load-time knob: applies from the next open()
    kernel_filters_ = request.kernel_filters;
    if (probe_)
      if (Status s = probe_->set_filters(kernel_filters_); !s.ok()) return s;
  }
  return set_event_filter(request.event_types);
}

void EbpfSource::refresh_epoch_offset() {
  probe_->set_epoch_offset_ns(ebpf::boot_to_epoch_offset_ns());
  last_offset_refresh_ = std::chrono::steady_clock::now();
}

// Gathers what every buffer holds (up to max_batch) and orders it by time.
// Each buffer is in order already (per-CPU), so this is a merge of a few
// sorted runs; a stable sort keeps equal timestamps in buffer order.
bool EbpfSource::collect(EventBatch& out) {
  const bool merge = rings_.size() > 1 || options_.cpus_per_buffer > 1;
  return read_ring_batch(rings_, options_.max_batch, merge, out, counters_);
}

Result<NextOutcome> EbpfSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  if (!probe_) return Status(StatusCode::kInternal, "EbpfSource::next() called before open()");
  // The previous batch's views end here: give their space back.
  for (auto& ring : rings_) ring.release();

  auto now = std::chrono::steady_clock::now();
  if (now - last_offset_refresh_ > std::chrono::seconds(1)) refresh_epoch_offset();
  auto deadline = now + wait;
  while (true) {
    if (collect(out)) return NextOutcome::kBatch;
    if (std::chrono::steady_clock::now() >= deadline) return NextOutcome::kIdle;
    // No wakeups from the kernel (BPF_RB_NO_WAKEUP): poll.
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

Status EbpfSource::update_kernel_filters(const KernelFilterSet& filters) {
  std::lock_guard<std::mutex> lock(probe_mu_);
  kernel_filters_ = filters;
  return probe_ ? probe_->set_filters(filters) : ok_status();
}

SourceStats EbpfSource::stats() const {
  // The by-type split of buffer_full before its total: the probe counts a
  // drop in the total first, so read in this order every category stays
  // within the total while drops go on (Falco's categories are a split).
  std::vector<uint64_t> buffer_full_by_type;
  {
    std::lock_guard<std::mutex> lock(probe_mu_);
    buffer_full_by_type = probe_ ? probe_->buffer_full_per_type() : final_buffer_full_;
  }
  SourceStats s = ring_source_stats(counters_, drops_per_cpu());
  s.buffer_full_by_type = std::move(buffer_full_by_type);
  std::lock_guard<std::mutex> lock(probe_mu_);
  const std::vector<uint64_t>& filtered = probe_ ? probe_->filtered_per_type() : final_filtered_;
  for (uint16_t t = 0; t < filtered.size() && t < KE_COUNT; ++t)
    if (filtered[t]) s.counters[kernel_filtered_counter(std::string(event_info(t).name))] = filtered[t];
  const std::vector<uint64_t>& deferred = probe_ ? probe_->defer_counts() : final_deferred_;
  for (uint32_t c = 0; c < deferred.size(); ++c)
    if (deferred[c])
      s.counters[std::string("kernel_deferred.") + ebpf::defer_counter_name(static_cast<kb_defer_counter>(c))] =
          deferred[c];
  if (probe_ && options_.cpus_per_buffer == 1) s.events_per_cpu = ring_events(counters_, probe_->ring_fds().size());
  if (options_.bpf_run_time_stats && probe_)
    for (auto& p : probe_->program_stats()) s.bpf_programs.push_back({std::move(p.kernel_name), p.run_count, p.run_time_ns});
  return s;
}

RingDropsPerCpu EbpfSource::drops_per_cpu() const {
  std::lock_guard<std::mutex> lock(probe_mu_);
  return probe_ ? read_drops_locked() : final_drops_;
}

RingDropsPerCpu EbpfSource::read_drops_locked() const {
  RingDropsPerCpu out;
  auto drops = probe_->drops_per_cpu();
  for (uint32_t r = 0; r < KB_DROP_COUNT; ++r)
    out.emplace_back(ebpf::drop_reason_name(static_cast<kb_drop_reason>(r)), std::move(drops[r]));
  return out;
}

EventTypeSet EbpfSource::attached_event_types() const {
  std::lock_guard<std::mutex> lock(probe_mu_);
  return probe_ ? probe_->attached() : EventTypeSet();
}

std::vector<EbpfSource::ProgramCost> EbpfSource::program_costs() const {
  std::vector<ProgramCost> out;
  std::lock_guard<std::mutex> lock(probe_mu_);
  if (!probe_) return out;
  for (auto& p : probe_->program_stats()) out.push_back({std::move(p.name), p.run_count, p.run_time_ns});
  return out;
}

void EbpfSource::close() {
  rings_.clear();
  std::lock_guard<std::mutex> lock(probe_mu_);
  // The drop counters are the probe's maps: keep their last values, so the
  // end-of-run summary (read after close) still reports them.
  if (probe_) {
    final_drops_ = read_drops_locked();
    final_filtered_ = probe_->filtered_per_type();
    final_deferred_ = probe_->defer_counts();
    final_buffer_full_ = probe_->buffer_full_per_type();
  }
  probe_.reset();
  if (run_time_stats_fd_ >= 0) ::close(run_time_stats_fd_);
  run_time_stats_fd_ = -1;
}

std::unique_ptr<Source> make_ebpf_source(const EbpfOptions& options) {
  return std::make_unique<EbpfSource>(options);
}

}  // namespace kestrel
