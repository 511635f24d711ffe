#include "ebpf/probe.h"

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string_view>

#include "sources/kernel_filter_maps.h"
#include "ebpf/host_checks.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kestrel_probe.skel.h"
#pragma GCC diagnostic pop

namespace kestrel::ebpf {
namespace {

// The probe masks offsets with these, so they must be powers of two, and
// the scratch must hold a full string written at the largest masked offset.
static_assert((KB_RECORD_LIMIT & (KB_RECORD_LIMIT - 1)) == 0, "KB_RECORD_LIMIT must be a power of two");
static_assert((KB_MAX_PATH_COMPONENTS & (KB_MAX_PATH_COMPONENTS - 1)) == 0,
              "KB_MAX_PATH_COMPONENTS must be a power of two");
static_assert(KB_SCRATCH_SIZE >= KB_RECORD_LIMIT + KB_MAX_STR, "scratch too small for a masked string write");
static_assert(KB_RECORD_LIMIT <= KESTREL_MAX_EVENT_SIZE, "probe records must fit the ABI's record bound");
static_assert(KB_MAX_ENV_BYTES <= KB_MAX_STR && KESTREL_MAX_ARGS_BYTES <= KB_MAX_STR,
              "variable params are masked with KB_MAX_STR - 1");

// libbpf reports details (verifier output) only through its print callback;
// keep the tail of it so an error can quote it.
std::mutex g_log_mu;
std::string g_log;
constexpr size_t kLogKeep = 8192;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return n;
  std::string line(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(line.data(), line.size(), fmt, args);
  line.resize(static_cast<size_t>(n));
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log += line;
  if (g_log.size() > 4 * kLogKeep) g_log.erase(0, g_log.size() - kLogKeep);
  return n;
}

std::string log_tail() {
  std::lock_guard<std::mutex> lock(g_log_mu);
  return g_log.size() > kLogKeep ? g_log.substr(g_log.size() - kLogKeep) : g_log;
}

void clear_log() {
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log.clear();
}

size_t round_up_pow2(size_t v, size_t min) {
  size_t p = min;
  while (p < v) p <<= 1;
  return p;
}

// "ke_openat__enter" -> "openat"; nullopt for names outside the convention.
std::optional<std::string_view> event_name_of_program(std::string_view prog) {
  if (!prog.starts_with("ke_")) return std::nullopt;
  prog.remove_prefix(3);
  if (size_t role = prog.find("__"); role != std::string_view::npos) prog = prog.substr(0, role);
  return prog;
}

// "tracepoint/syscalls/sys_exit_openat" -> {"syscalls", "sys_exit_openat"}.
std::optional<std::pair<std::string_view, std::string_view>> tracepoint_of_section(std::string_view sec) {
  if (!sec.starts_with("tracepoint/")) return std::nullopt;
  sec.remove_prefix(11);
  size_t slash = sec.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return std::make_pair(sec.substr(0, slash), sec.substr(slash + 1));
}

}  // namespace

const char* defer_counter_name(kb_defer_counter counter) {
  switch (counter) {
    case KB_DEFER_KEPT: return "kept";
    case KB_DEFER_FLUSHED: return "sent_later";
    case KB_DEFER_CLOSED: return "closed_in_kernel";
    case KB_DEFER_EXITED: return "dropped_at_exit";
    case KB_DEFER_FULL: return "sent_map_full";
    case KB_DEFER_FORKED: return "sent_fd_table_shared";
    case KB_DEFER_TOO_LONG: return "sent_too_long";
    case KB_DEFER_DIRFD: return "sent_through_dirfd";
    case KB_DEFER_COUNTER_COUNT: break;
  }
  return "unknown";
}

const char* drop_reason_name(kb_drop_reason reason) {
  switch (reason) {
    case KB_DROP_BUFFER_FULL: return "buffer_full";
    case KB_DROP_TOO_LARGE: return "too_large";
    case KB_DROP_NO_BUFFER: return "no_buffer";
    case KB_DROP_SCRATCH: return "scratch_unavailable";
    case KB_DROP_PARAM_MISMATCH: return "param_mismatch";
    case KB_DROP_COUNT: break;
  }
  return "unknown";
}

Result<EventTypeSet> probe_event_types() {
  kestrel_probe* skel = kestrel_probe__open();
  if (!skel) return bpf_error("opening the embedded BPF object", errno, "");
  EventTypeSet types;
  bpf_program* prog = nullptr;
  Status status;
  bpf_object__for_each_program(prog, skel->obj) {
    auto event = event_name_of_program(bpf_program__name(prog));
    auto type = event ? event_type_by_name(*event) : std::nullopt;
    if (!type) {
      status = Status(StatusCode::kInternal, "BPF program " + std::string(bpf_program__name(prog)) +
                                                 " does not name an event of events.def");
      break;
    }
    types.set(*type);
  }
  kestrel_probe__destroy(skel);
  if (!status.ok()) return status;
  return types;
}

Result<std::unique_ptr<Probe>> Probe::load(const ProbeConfig& config) {
  if (Status s = check_kernel_btf(); !s.ok()) return s;
  if (Status s = check_privileges(); !s.ok()) return s;
  std::unique_ptr<Probe> probe(new Probe());
  if (Status s = probe->open_and_load(config); !s.ok()) return s;
  return probe;
}

Status Probe::open_and_load(const ProbeConfig& config) {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(libbpf_print); });
  clear_log();

  auto events_dir = ensure_tracefs();
  if (!events_dir.ok()) return events_dir.status();

  ncpus_ = libbpf_num_possible_cpus();
  if (ncpus_ <= 0) return bpf_error("counting possible CPUs", ncpus_, "");
  cpus_per_buffer_ = config.cpus_per_buffer == 0 ? 1 : config.cpus_per_buffer;
  uint32_t nbuffers = (static_cast<uint32_t>(ncpus_) + cpus_per_buffer_ - 1) / cpus_per_buffer_;
  ring_bytes_ = round_up_pow2(config.buffer_bytes, static_cast<size_t>(::sysconf(_SC_PAGESIZE)));

  skel_ = kestrel_probe__open();
  if (!skel_) return bpf_error("opening the embedded BPF object", errno, log_tail());

  skel_->rodata->kb_cpus_per_buffer = cpus_per_buffer_;
  skel_->rodata->kb_ignore_tgid = config.ignore_tgid;
  skel_->rodata->kb_process_fields = config.process_fields;
  skel_->rodata->kb_filter_enabled = config.kernel_filter ? 1 : 0;
  kernel_filter_ = config.kernel_filter;
  // Without the kfunc (Linux < 6.2) the probe reads through fd-table
  // pointers with bpf_probe_read_kernel() (bpf/sock.bpf.h).
  skel_->rodata->kb_have_rdonly_cast = kernel_has_function("bpf_rdonly_cast") ? 1 : 0;
  int err = bpf_map__set_max_entries(skel_->maps.kb_ringbufs, nbuffers);
  if (!err) err = bpf_map__set_max_entries(skel_->maps.kb_scratch, static_cast<uint32_t>(ncpus_));
  if (err) return bpf_error("sizing the ring buffer and scratch arrays", err, log_tail());
  // The inner map template: libbpf 1.1 crashes resizing the one it derives
  // from the BPF declaration (bpf_map__inner_map() has no owning object),
  // so give it a ring buffer of the real size instead.
  int inner = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "kb_ring_tmpl", 0, 0, static_cast<uint32_t>(ring_bytes_), nullptr);
  if (inner < 0) return bpf_error("creating a " + std::to_string(ring_bytes_) + "-byte ring buffer", errno, log_tail());
  err = bpf_map__set_inner_map_fd(skel_->maps.kb_ringbufs, inner);
  if (err) {
    ::close(inner);
    return bpf_error("setting the ring buffer template", err, log_tail());
  }

  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    std::string_view name = bpf_program__name(prog);
    auto event = event_name_of_program(name);
    auto type = event ? event_type_by_name(*event) : std::nullopt;
    if (!type)
      return Status(StatusCode::kInternal, "BPF program " + std::string(name) +
                                               " does not name an event of events.def (ke_<event>[__role])");
    // A syscall this kernel does not have has no tracepoint: skip it.
    if (auto tp = tracepoint_of_section(bpf_program__section_name(prog));
        tp && !tracepoint_exists(*events_dir, tp->first, tp->second)) {
      bpf_program__set_autoload(prog, false);
      continue;
    }
    programs_.push_back(ProgramSlot{prog, *type, nullptr});
  }
  // An event is supported only if all of its programs load.
  for (const auto& slot : programs_) supported_.set(slot.type);
  bpf_object__for_each_program(prog, skel_->obj) {
    auto event = event_name_of_program(bpf_program__name(prog));
    if (!bpf_program__autoload(prog)) supported_.reset(*event_type_by_name(*event));
  }
  std::erase_if(programs_, [&](const ProgramSlot& s) {
    if (supported_.test(s.type)) return false;
    bpf_program__set_autoload(s.prog, false);
    return true;
  });

  err = kestrel_probe__load(skel_);
  ::close(inner);  // the loaded outer map keeps what it needs of the template
  if (err) {
    std::string log = log_tail();
    // EACCES with a verifier log is the verifier refusing a program (a probe
    // bug or a kernel it does not fit), not missing privileges.
    if (log.find("BEGIN PROG LOAD LOG") != std::string::npos)
      return Status(StatusCode::kInternal, "the kernel's BPF verifier rejected the probe:\n" + log);
    return bpf_error("loading the BPF probe", err, log);
  }
  return create_ring_buffers();
}

Status Probe::create_ring_buffers() {
  int outer = bpf_map__fd(skel_->maps.kb_ringbufs);
  uint32_t nbuffers = bpf_map__max_entries(skel_->maps.kb_ringbufs);
  for (uint32_t i = 0; i < nbuffers; ++i) {
    int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "kb_ring", 0, 0, static_cast<uint32_t>(ring_bytes_), nullptr);
    if (fd < 0) return bpf_error("creating a " + std::to_string(ring_bytes_) + "-byte ring buffer", errno, log_tail());
    ring_fds_.push_back(fd);
    if (bpf_map_update_elem(outer, &i, &fd, BPF_ANY) != 0)
      return bpf_error("installing ring buffer " + std::to_string(i), errno, log_tail());
  }
  return ok_status();
}

Probe::~Probe() {
  for (auto& slot : programs_)
    if (slot.link) bpf_link__destroy(slot.link);
  if (skel_) kestrel_probe__destroy(skel_);
  for (int fd : ring_fds_) ::close(fd);
}

Status Probe::attach(const EventTypeSet& types) {
  for (auto& slot : programs_) {
    bool want = types.test(slot.type);
    if (want && !slot.link) {
      bpf_link* link = bpf_program__attach(slot.prog);
      if (!link)
        return bpf_error(std::string("attaching ") + bpf_program__name(slot.prog), errno, log_tail());
      slot.link = link;
    } else if (!want && slot.link) {
      bpf_link__destroy(slot.link);
      slot.link = nullptr;
    }
  }
  update_defer();
  return ok_status();
}

void Probe::update_defer() {
  if (!kernel_filter_) return;
  bool fork_hook = false, exit_hook = false;
  for (const auto& slot : programs_) {
    std::string_view name = bpf_program__name(slot.prog);
    if (name == "ke_clone__defer") fork_hook = slot.link != nullptr;
    if (name == "ke_procexit__defer") exit_hook = slot.link != nullptr;
  }
  const bool live = defer_wanted_ && fork_hook && exit_hook;
  // Once live, records going up check for kept opens for good: entries
  // kept then are sent (or dropped at exit) however the filters change.
  if (live) __atomic_store_n(&skel_->bss->kb_defer_used, 1u, __ATOMIC_RELAXED);
  __atomic_store_n(&skel_->bss->kb_defer_live, live ? 1u : 0u, __ATOMIC_RELAXED);
}

EventTypeSet Probe::attached() const {
  EventTypeSet out;
  for (const auto& slot : programs_)
    if (slot.link) out.set(slot.type);
  return out;
}

std::array<std::vector<uint64_t>, KB_DROP_COUNT> Probe::drops_per_cpu() const {
  std::array<std::vector<uint64_t>, KB_DROP_COUNT> out;
  int fd = bpf_map__fd(skel_->maps.kb_drops);
  std::vector<uint64_t> values(static_cast<size_t>(ncpus_));
  for (uint32_t reason = 0; reason < KB_DROP_COUNT; ++reason) {
    out[reason].assign(static_cast<size_t>(ncpus_), 0);
    if (bpf_map_lookup_elem(fd, &reason, values.data()) == 0) out[reason] = values;
  }
  return out;
}

std::vector<Probe::ProgramStats> Probe::program_stats() const {
  std::vector<ProgramStats> out;
  for (const auto& slot : programs_) {
    if (!slot.link) continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    ProgramStats st{bpf_program__name(slot.prog), "", slot.type, 0, 0};
    if (bpf_obj_get_info_by_fd(bpf_program__fd(slot.prog), &info, &len) == 0) {
      st.kernel_name = info.name;
      st.run_count = info.run_cnt;
      st.run_time_ns = info.run_time_ns;
    }
    out.push_back(std::move(st));
  }
  return out;
}

Result<int> Probe::enable_run_time_stats() {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) return bpf_error("enabling BPF run-time stats", errno, "");
  return fd;
}

void Probe::set_epoch_offset_ns(uint64_t offset) {
  __atomic_store_n(&skel_->bss->kb_epoch_offset_ns, offset, __ATOMIC_RELAXED);
}

Status Probe::set_filters(const KernelFilterSet& filters) {
  if (!kernel_filter_) {
    if (filters.empty()) return ok_status();
    return Status(StatusCode::kUnavailable, "the probe was loaded without its kernel filter");
  }
  auto maps = encode_filter_maps(filters);
  if (!maps.ok()) return maps.status();
  const int types_fd = bpf_map__fd(skel_->maps.kb_filters);
  const int paths_fd = bpf_map__fd(skel_->maps.kb_filter_paths);
  // Unfilter every type, then empty the trie, then write the new set.
  kb_filter off{};
  for (uint32_t t = 0; t < KE_COUNT; ++t)
    if (bpf_map_update_elem(types_fd, &t, &off, BPF_ANY) != 0)
      return bpf_error("clearing the kernel filter of event type " + std::to_string(t), errno, "");
  kb_filter_key key{}, next{};
  while (bpf_map_get_next_key(paths_fd, nullptr, &next) == 0) {
    key = next;
    if (bpf_map_delete_elem(paths_fd, &key) != 0) return bpf_error("emptying the filter path trie", errno, "");
  }
  for (const auto& [k, bits] : maps->paths)
    if (bpf_map_update_elem(paths_fd, &k, &bits, BPF_ANY) != 0)
      return bpf_error("writing a filter path (" + std::to_string(maps->paths.size()) + " entries)", errno, "");
  for (const auto& [t, f] : maps->filters)
    if (bpf_map_update_elem(types_fd, &t, &f, BPF_ANY) != 0)
      return bpf_error("writing the kernel filter of event type " + std::to_string(t), errno, "");
  defer_wanted_ = std::any_of(filters.begin(), filters.end(), [](const auto& f) { return f.defer_state; });
  update_defer();
  return ok_status();
}

std::vector<uint64_t> Probe::per_type_sum(int map_fd) const {
  std::vector<uint64_t> out(KE_COUNT, 0);
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpus_));
  for (uint32_t t = 0; t < KE_COUNT; ++t) {
    if (bpf_map_lookup_elem(map_fd, &t, per_cpu.data()) != 0) continue;
    for (uint64_t n : per_cpu) out[t] += n;
  }
  return out;
}

std::vector<uint64_t> Probe::filtered_per_type() const { return per_type_sum(bpf_map__fd(skel_->maps.kb_filtered)); }

std::vector<uint64_t> Probe::defer_counts() const {
  std::vector<uint64_t> out(KB_DEFER_COUNTER_COUNT, 0);
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpus_));
  const int fd = bpf_map__fd(skel_->maps.kb_defer_counts);
  for (uint32_t c = 0; c < KB_DEFER_COUNTER_COUNT; ++c) {
    if (bpf_map_lookup_elem(fd, &c, per_cpu.data()) != 0) continue;
    for (uint64_t n : per_cpu) out[c] += n;
  }
  return out;
}

std::vector<uint64_t> Probe::buffer_full_per_type() const {
  return per_type_sum(bpf_map__fd(skel_->maps.kb_buffer_full_by_type));
}

}  // namespace kestrel::ebpf
