#include "kmod/kmod_source.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "kmod/filter_blob.h"
#include "kmod/kmod_ring.h"
#include "sources/event/event_table.h"
#include "sources/event/syscall_table.h"

namespace kestrel {
namespace {

uint64_t round_up_pow2(uint64_t n) {
  uint64_t p = 4096;
  while (p < n) p <<= 1;
  return p;
}

void to_words(const EventTypeSet& set, uint64_t (&words)[KESTREL_KMOD_TYPE_WORDS]) {
  std::memset(words, 0, sizeof(words));
  for (size_t t = 0; t < set.size() && t < KESTREL_KMOD_TYPE_WORDS * 64; ++t)
    if (set.test(t)) words[t / 64] |= uint64_t{1} << (t % 64);
}

// Syscall number -> event type for `arch`, from libseccomp (the module has
// no syscall numbers of its own).
void fill_syscall_map(Arch arch, uint16_t (&map)[KESTREL_KMOD_MAX_SYSCALLS]) {
  std::memset(map, 0, sizeof(map));
  for (const SyscallEventMapping& m : syscall_event_map(arch))
    if (m.nr >= 0 && m.nr < KESTREL_KMOD_MAX_SYSCALLS) map[m.nr] = m.event_type;
}

}  // namespace

const char* kmod_drop_reason_name(uint32_t reason) {
  switch (reason) {
    case KESTREL_KMOD_DROP_BUFFER_FULL:
      return "buffer_full";
    case KESTREL_KMOD_DROP_TOO_LARGE:
      return "too_large";
    case KESTREL_KMOD_DROP_PARAM_MISMATCH:
      return "param_mismatch";
    case KESTREL_KMOD_DROP_COMPAT_IGNORED:
      return "compat_ignored";
    default:
      return "unknown";
  }
}

bool kmod_device_present(const std::string& device) {
  struct stat st;
  return ::stat(device.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

Status kmod_not_loaded_error(const std::string& device) {
  return Status(StatusCode::kUnavailable,
                "the kestrel kernel module is not loaded (" + device +
                    " is missing): build it for this kernel with `kestrel-driverkit build --target debian "
                    "--kernelrelease $(uname -r)` "
                    "and insmod the .ko, or set engine.kmod.index to a kestrel-driverkit index holding it");
}

KmodSource::KmodSource(KmodOptions options) : options_(std::move(options)) {
  caps_.name = "kmod";
  caps_.live = true;
  caps_.sees_containers = true;
  caps_.sees_sandboxes = false;
  // Until set_event_filter() says otherwise: everything but high-volume I/O.
  for (const EventInfo& e : all_events())
    if (!(e.flags & KEF_IO)) filter_.set(e.type);
}

KmodSource::~KmodSource() { close(); }

Status KmodSource::open() {
  if (fd_ >= 0) return ok_status();
  int fd = ::open(options_.device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENXIO || err == ENODEV) return kmod_not_loaded_error(options_.device);
    if (err == EACCES || err == EPERM)
      return Status(StatusCode::kPermissionDenied, "opening " + options_.device + ": run the collector as root");
    if (err == EBUSY)
      return Status(StatusCode::kUnavailable, options_.device + " is busy: another collector has it open");
    return Status(StatusCode::kUnavailable, "opening " + options_.device + ": " + std::strerror(err));
  }
  kestrel_kmod_info info{};
  if (::ioctl(fd, KESTREL_IOC_INFO, &info) != 0 || info.abi_version != KESTREL_KMOD_ABI_VERSION) {
    ::close(fd);
    return Status(StatusCode::kInternal, options_.device + " speaks another ABI version (" +
                                             std::to_string(info.abi_version) + ", want " +
                                             std::to_string(KESTREL_KMOD_ABI_VERSION) + "): rebuild the module");
  }
  caps_.event_types.reset();
  for (size_t t = 1; t < KE_COUNT; ++t)
    if (info.supported[t / 64] & (uint64_t{1} << (t % 64))) caps_.event_types.set(t);

  kestrel_kmod_start start{};
  start.buf_size = round_up_pow2(options_.buffer_bytes);
  start.ignore_tgid = options_.drop_own_events ? static_cast<uint32_t>(::getpid()) : 0;
  start.process_fields = process_fields();
  to_words(filter_, start.types);
  fill_syscall_map(native_arch(), start.syscall_types);
  if (auto compat = compat_arch(native_arch())) fill_syscall_map(*compat, start.compat_syscall_types);
  // The filter before capture starts: no record escapes it.
  Status filtered = push_kernel_filters(fd);
  if (!filtered.ok()) {
    ::close(fd);
    return filtered;
  }
  if (::ioctl(fd, KESTREL_IOC_START, &start) != 0) {
    int err = errno;
    ::close(fd);
    return Status(StatusCode::kUnavailable, "starting capture on " + options_.device + ": " + std::strerror(err));
  }
  std::vector<kmod::KmodRing> rings;
  for (uint32_t cpu = 0; cpu < info.nr_cpu_ids; ++cpu) {
    auto ring = kmod::KmodRing::map(fd, cpu, start.buf_size);
    if (ring.ok()) {
      rings.push_back(std::move(ring).value());
    } else if (ring.status().code() != StatusCode::kNotFound) {
      rings.clear();
      ::close(fd);
      return ring.status();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  fd_ = fd;
  buffer_bytes_ = start.buf_size;
  rings_ = std::move(rings);
  return ok_status();
}

std::vector<ThreadInfo> KmodSource::initial_state() {
  ProcScanner scanner(options_.proc_scan);
  auto threads = scanner.scan();
  if (!threads.ok()) return {};
  return std::move(threads).value();
}

Status KmodSource::push_filter() {
  kestrel_kmod_types req{};
  to_words(filter_, req.types);
  if (::ioctl(fd_, KESTREL_IOC_SET_TYPES, &req) != 0)
    return Status(StatusCode::kInternal, std::string("setting the kestrel capture set: ") + std::strerror(errno));
  return ok_status();
}

Status KmodSource::push_kernel_filters(int fd) const {
  auto blob = kmod::encode_filter_blob(kernel_filters_);
  if (!blob.ok()) return blob.status();
  kestrel_kmod_filter_req req{};
  req.addr = reinterpret_cast<uintptr_t>(blob->data());
  req.len = blob->size();
  if (::ioctl(fd, KESTREL_IOC_SET_FILTER, &req) != 0)
    return Status(StatusCode::kInternal, "setting the kestrel module's in-kernel filter (" +
                                             std::to_string(kernel_filters_.size()) + " types, " +
                                             std::to_string(blob->size()) + " bytes): " + std::strerror(errno));
  return ok_status();
}

Status KmodSource::update_kernel_filters(const KernelFilterSet& filters) {
  kernel_filters_ = filters;
  return fd_ >= 0 ? push_kernel_filters(fd_) : ok_status();
}

uint32_t KmodSource::process_fields() const {
  return (requested_params_.env ? KESTREL_KMOD_PF_ENV : 0) | (requested_params_.cwd ? KESTREL_KMOD_PF_CWD : 0) |
         (requested_params_.cgroups ? KESTREL_KMOD_PF_CGROUPS : 0);
}

Status KmodSource::set_capture_request(const CaptureRequest& request) {
  requested_params_ = request.process_params;  // applies from the next open()
  if (Status s = update_kernel_filters(request.kernel_filters); !s.ok()) return s;
  return set_event_filter(request.event_types);
}

Status KmodSource::set_event_filter(const EventTypeSet& types) {
  filter_ = types;
  return fd_ >= 0 ? push_filter() : ok_status();
}

bool KmodSource::collect(EventBatch& out) {
  return read_ring_batch(rings_, options_.max_batch, rings_.size() > 1, out, counters_);
}

Result<NextOutcome> KmodSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  if (fd_ < 0) return Status(StatusCode::kInternal, "KmodSource::next() called before open()");
  // The previous batch's views end here: give their space back.
  for (auto& ring : rings_) ring.release();
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    if (collect(out)) return NextOutcome::kBatch;
    for (auto& ring : rings_)
      if (ring.corrupt()) return Status(StatusCode::kInternal, "a kestrel kernel ring holds a corrupt record length");
    if (std::chrono::steady_clock::now() >= deadline) return NextOutcome::kIdle;
    // The module never wakes the reader: poll.
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

RingDropsPerCpu KmodSource::drops_per_cpu() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rings_.empty() ? final_drops_ : read_drops_locked();
}

RingDropsPerCpu KmodSource::read_drops_locked() const {
  RingDropsPerCpu out;
  for (uint32_t r = 0; r < KESTREL_KMOD_DROP_COUNT; ++r) {
    std::vector<uint64_t> per_cpu;
    for (const auto& ring : rings_) per_cpu.push_back(ring.drops(r));
    out.emplace_back(kmod_drop_reason_name(r), std::move(per_cpu));
  }
  return out;
}

std::vector<uint64_t> KmodSource::read_buffer_full_locked() const {
  std::vector<uint64_t> out(KE_COUNT, 0);
  for (const auto& ring : rings_)
    for (uint32_t t = 0; t < KE_COUNT; ++t) out[t] += ring.buffer_full_of_type(t);
  return out;
}

std::vector<uint64_t> KmodSource::read_filtered_locked() const {
  std::vector<uint64_t> out(KE_COUNT, 0);
  for (const auto& ring : rings_)
    for (uint32_t t = 0; t < KE_COUNT; ++t) out[t] += ring.filtered_of_type(t);
  return out;
}

SourceStats KmodSource::stats() const {
  // The by-type split before the total, as the eBPF source does: the module
  // counts the total first, so each category stays within it.
  std::vector<uint64_t> buffer_full_by_type, filtered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    buffer_full_by_type = rings_.empty() ? final_buffer_full_ : read_buffer_full_locked();
    filtered = rings_.empty() ? final_filtered_ : read_filtered_locked();
  }
  SourceStats s = ring_source_stats(counters_, drops_per_cpu());
  s.buffer_full_by_type = std::move(buffer_full_by_type);
  for (uint16_t t = 0; t < filtered.size() && t < KE_COUNT; ++t)
    if (filtered[t]) s.counters[kernel_filtered_counter(std::string(event_info(t).name))] = filtered[t];
  std::lock_guard<std::mutex> lock(mu_);
  if (!rings_.empty()) s.events_per_cpu = ring_events(counters_, rings_.size());  // a ring per CPU
  return s;
}

void KmodSource::close() {
  std::lock_guard<std::mutex> lock(mu_);
  // The drop counters live in the rings: keep their last values, so the
  // end-of-run summary (read after close) still reports them.
  if (!rings_.empty()) {
    final_drops_ = read_drops_locked();
    final_buffer_full_ = read_buffer_full_locked();
    final_filtered_ = read_filtered_locked();
  }
  rings_.clear();  // unmap before the device is released
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::unique_ptr<Source> make_kmod_source(const KmodOptions& options) {
  return std::make_unique<KmodSource>(options);
}

}  // namespace kestrel
