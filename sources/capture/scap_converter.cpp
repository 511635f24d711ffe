#include "sources/capture/scap_converter.h"

#include <sched.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "sources/capture/scap_event_table.h"
#include "sources/event/event_table.h"
#include "sources/event/sockaddr.h"
#include "sources/event/syscall_table.h"

namespace kestrel::scap {
namespace {

// PPME_GENERIC_E / PPME_GENERIC_X (ppm_events_public.h).
constexpr uint16_t kGenericEnterId = 0;
constexpr uint16_t kGenericExitId = 1;

// One Kestrel param's source: a scap param's bytes and how to read them.
// Trivial, so an array of them is not zeroed whole per event: convert()
// clears only the row's params.
struct Slot {
  const uint8_t* data;
  size_t size;
  const ParamRow* row;
  std::span<const uint8_t> bytes() const { return {data, size}; }
};
Slot slot(std::span<const uint8_t> bytes, const ParamRow* row) { return Slot{bytes.data(), bytes.size(), row}; }

bool is_signed(ParamType t) {
  switch (t) {
    case ParamType::kInt8: case ParamType::kInt16: case ParamType::kInt32: case ParamType::kInt64:
    case ParamType::kErrno: case ParamType::kFd: case ParamType::kPid: return true;
    default: return false;
  }
}

// Inlined: called per integer param of every converted event, where a call
// returning the optional through the stack was a visible part of the cost.
[[gnu::always_inline]] inline std::optional<int64_t> read_int(std::span<const uint8_t> b, ParamType t) {
  const bool s = is_signed(t);
  switch (b.size()) {
    case 1: return s ? int64_t(int8_t(b[0])) : int64_t(b[0]);
    case 2: {
      uint16_t v;
      std::memcpy(&v, b.data(), 2);
      return s ? int64_t(int16_t(v)) : int64_t(v);
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, b.data(), 4);
      return s ? int64_t(int32_t(v)) : int64_t(v);
    }
    case 8: {
      uint64_t v;
      std::memcpy(&v, b.data(), 8);
      return int64_t(v);
    }
    default: return std::nullopt;
  }
}

int64_t apply(Convert c, int64_t v) {
  const uint32_t u = static_cast<uint32_t>(v);
  switch (c) {
    case Convert::kOpenFlags: return ppm_open_flags_to_linux(u);
    case Convert::kMmapFlags: return ppm_mmap_flags_to_linux(u);
    case Convert::kProtFlags: return ppm_prot_flags_to_linux(u);
    case Convert::kCloneFlags: return ppm_clone_flags_to_linux(u);
    case Convert::kNone: return v;
  }
  return v;
}

std::string_view as_text(std::span<const uint8_t> b) {
  std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  return s.substr(0, s.find('\0'));
}

// Per scap id, resolved once from the table: its row, and for each of its
// scap params the Kestrel param index it fills (-1: not kept). The hot path
// then places params by index, never by name.
struct Plan {
  const EventRow* row = nullptr;
  std::array<int8_t, 64> kestrel_index{};
};

const Plan& plan_of(uint16_t id) {
  static const std::vector<Plan> plans = [] {
    std::vector<Plan> out;
    for (const EventRow& row : all_events()) {
      if (row.id >= out.size()) out.resize(row.id + 1);
      Plan& p = out[row.id];
      p.row = &row;
      p.kestrel_index.fill(-1);
      if (row.kestrel_type == KE_NONE) continue;
      const EventInfo& info = event_info(row.kestrel_type);
      for (size_t i = 0; i < row.params.size() && i < p.kestrel_index.size(); ++i) {
        if (row.params[i].kestrel.empty()) continue;
        auto idx = info.param_index(row.params[i].kestrel);
        if (idx && *idx < KESTREL_MAX_PARAMS) p.kestrel_index[i] = static_cast<int8_t>(*idx);
      }
    }
    return out;
  }();
  static const Plan kNone = [] {
    Plan p;
    p.kestrel_index.fill(-1);
    return p;
  }();
  return id < plans.size() ? plans[id] : kNone;
}

// Places `params` of the event planned by `plan` into `slots` by the Kestrel
// param they fill.
template <typename ParamAt>
void place(const Plan& plan, size_t count, ParamAt param_at, std::array<Slot, KESTREL_MAX_PARAMS>& slots) {
  const size_t n = std::min<size_t>({plan.row->params.size(), count, plan.kestrel_index.size()});
  for (size_t i = 0; i < n; ++i) {
    const int idx = plan.kestrel_index[i];
    if (idx >= 0) slots[static_cast<size_t>(idx)] = slot(param_at(i), &plan.row->params[i]);
  }
}

// Writes one record straight into the end of `out` (a batch's storage),
// param by param in table order: the converter's plan already placed each
// scap param by the table, and its switch picks the encoding by the param's
// type, so EventBuilder's per-param name and kind checks would only repeat
// per event what the plan settled once. The sizes a record must respect
// (a param up to 64 KiB, the whole up to KESTREL_MAX_EVENT_SIZE) are
// checked here; a record that breaks them is taken back out.
class RecordWriter {
 public:
  // `max_data`: a bound on the params' bytes, so nothing reallocates
  // while they are written.
  RecordWriter(std::vector<uint8_t>& out, uint16_t type, size_t nparams, size_t max_data)
      : out_(out), start_(out.size()), type_(type), nparams_(static_cast<uint16_t>(nparams)) {
    out.resize(start_ + KESTREL_EVENT_HDR_SIZE + 2 * nparams + max_data);
    at_ = KESTREL_EVENT_HDR_SIZE + 2 * nparams;
  }
  void put(uint16_t index, const void* data, size_t len) {
    if (len > UINT16_MAX) {
      if (failed_ < 0) failed_ = index;
      len = 0;
    }
    const uint16_t len16 = static_cast<uint16_t>(len);
    uint8_t* rec = out_.data() + start_;
    std::memcpy(rec + KESTREL_EVENT_HDR_SIZE + 2 * size_t{index}, &len16, 2);
    if (len > 0) std::memcpy(rec + at_, data, len);
    at_ += len;
  }
  void put_str(uint16_t index, std::string_view s) {
    if (s.size() + 1 > UINT16_MAX) return put(index, nullptr, UINT16_MAX + size_t{1});  // fails
    uint8_t* rec = out_.data() + start_;
    std::memcpy(rec + at_, s.data(), s.size());
    rec[at_ + s.size()] = 0;
    put_written(index, s.size() + 1);
  }
  // NUL-terminated items back to back: scap's bytes, with a NUL added when
  // the last item lacks one (the builder's put_strings of the same items).
  void put_str_array(uint16_t index, std::span<const uint8_t> bytes) {
    const bool terminated = bytes.back() == 0;
    const size_t len = bytes.size() + (terminated ? 0 : 1);
    if (len > UINT16_MAX) return put(index, nullptr, UINT16_MAX + size_t{1});  // fails
    uint8_t* rec = out_.data() + start_;
    std::memcpy(rec + at_, bytes.data(), bytes.size());
    if (!terminated) rec[at_ + bytes.size()] = 0;
    put_written(index, len);
  }
  // Seals the record (true), or takes it back out (false: failed_param()).
  bool finish(uint64_t ts, uint32_t tid, uint32_t tgid) {
    if (failed_ < 0 && at_ > KESTREL_MAX_EVENT_SIZE) failed_ = nparams_ > 0 ? nparams_ - 1 : 0;
    if (failed_ >= 0) {
      out_.resize(start_);
      return false;
    }
    kestrel_event_hdr hdr{};
    hdr.ts_ns = ts;
    hdr.tid = tid;
    hdr.tgid = tgid;
    hdr.len = static_cast<uint32_t>(at_);
    hdr.type = type_;
    hdr.nparams = nparams_;
    std::memcpy(out_.data() + start_, &hdr, sizeof hdr);
    out_.resize(start_ + at_);
    return true;
  }
  size_t failed_param() const { return failed_ < 0 ? 0 : static_cast<size_t>(failed_); }

 private:
  void put_written(uint16_t index, size_t len) {
    const uint16_t len16 = static_cast<uint16_t>(len);
    std::memcpy(out_.data() + start_ + KESTREL_EVENT_HDR_SIZE + 2 * size_t{index}, &len16, 2);
    at_ += len;
  }

  std::vector<uint8_t>& out_;
  const size_t start_;
  const uint16_t type_;
  const uint16_t nparams_;
  size_t at_;  // where the next param's data goes, from start_
  int failed_ = -1;
};

}  // namespace

std::string scap_event_label(uint16_t id) {
  if (auto n = event_name(id)) return std::string(*n);
  return "id " + std::to_string(id);
}

void ScapConverter::seed_threads(const std::vector<ThreadInfo>& threads) {
  forget_cached();
  for (const ThreadInfo& t : threads) pid_of_tid_[t.tid] = t.pid;
}

int64_t ScapConverter::pid_of(int64_t tid) const {
  if (tid == cached_pid_tid_) return cached_pid_;
  auto it = pid_of_tid_.find(tid);
  cached_pid_tid_ = tid;
  cached_pid_ = it == pid_of_tid_.end() ? tid : it->second;
  return cached_pid_;
}

ScapConverter::Pending* ScapConverter::pending_of(int64_t tid, bool create) {
  CachedPending& c = cached_pending_[static_cast<uint64_t>(tid) % cached_pending_.size()];
  if (c.pending != nullptr && c.tid == tid) return c.pending;
  Pending* p = nullptr;
  if (create) {
    p = &pending_[tid];
  } else if (auto it = pending_.find(tid); it != pending_.end()) {
    p = &it->second;
  }
  if (p != nullptr) c = CachedPending{tid, p};
  return p;
}

void ScapConverter::track_process(const RawEvent& ev, const EventRow& event_row, uint16_t type) {
  const EventRow* row = &event_row;
  auto param = [&](std::string_view name) -> std::optional<int64_t> {
    for (size_t i = 0; i < row->params.size() && i < ev.params.size(); ++i)
      if (row->params[i].name == name) return read_int(ev.params[i], row->params[i].type);
    return std::nullopt;
  };
  const int64_t tid = static_cast<int64_t>(ev.tid);
  forget_cached();  // the maps below change
  if (type == KE_EXECVE) {
    if (auto pid = param("pid"); pid && param("res").value_or(-1) == 0) pid_of_tid_[tid] = *pid;
  } else if (type == KE_CLONE || type == KE_CLONE3 || type == KE_FORK || type == KE_VFORK) {
    const int64_t res = param("res").value_or(-1);
    if (res == 0) {
      if (auto pid = param("pid")) pid_of_tid_[tid] = *pid;
    } else if (res > 0) {
      const int64_t flags = param("flags").value_or(0);
      const bool can_be_thread = type == KE_CLONE || type == KE_CLONE3;
      pid_of_tid_[res] = (can_be_thread && (ppm_clone_flags_to_linux(uint32_t(flags)) & CLONE_THREAD))
                             ? pid_of(tid)
                             : res;
    }
  } else if (type == KE_PROCEXIT) {
    pid_of_tid_.erase(tid);
    pending_.erase(tid);
    generic_pending_.erase(tid);
  }
}

std::optional<Converted> ScapConverter::convert_generic(const RawEvent& ev) {
  const int64_t tid = static_cast<int64_t>(ev.tid);
  const bool enter = ev.type == kGenericEnterId;
  std::optional<uint16_t> native;
  if (enter) {
    // params: ID (PPM_SC code), nativeID (u16).
    if (ev.params.size() >= 2 && ev.params[1].size() == 2) {
      uint16_t v;
      std::memcpy(&v, ev.params[1].data(), 2);
      native = v;
      generic_pending_[tid] = v;
    } else {
      generic_pending_.erase(tid);
    }
  } else if (auto it = generic_pending_.find(tid); it != generic_pending_.end()) {
    native = it->second;
    generic_pending_.erase(it);
  }
  auto unnamed = [&](const std::string& why) -> std::optional<Converted> {
    ++unmodelled_[ev.type];
    ++generic_unnamed_[why];
    return std::nullopt;
  };
  if (!native) return unnamed(enter ? "no nativeID param" : "exit without its enter");
  // scap captures do not say which architecture recorded them; libscap's
  // nativeID is the x86_64 number on every capture of Falco's corpus and of
  // sysdig's x86_64 builds. It is renumbered for the architecture Kestrel
  // runs on, whose numbers Kestrel's records carry.
  auto name = syscall_name(Arch::kX86_64, *native);
  if (!name) return unnamed("x86_64 syscall " + std::to_string(*native) + " unknown to libseccomp");
  uint16_t type = KE_SYSCALL;
  if (auto t = event_type_by_name(*name); t && event_info(*t).is_syscall()) type = *t;
  auto nr = syscall_number(native_arch(), *name);
  if (type == KE_SYSCALL && !nr) return unnamed(*name + " (not a syscall of " + std::string(arch_name(native_arch())) + ")");

  if (enter && !enter_types_.test(type)) {
    ++enters_left_out_;
    return std::nullopt;
  }
  const EventInfo& info = event_info(type);
  builder_.begin(type, ev.ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  for (const ParamInfo& pi : info.params) {
    if (type == KE_SYSCALL && pi.name == "id") builder_.put_int(pi.name, *nr);
    else builder_.put_empty(pi.name);  // a generic event carries no arguments, nor (exit) a result
  }
  auto rec = finish(ev);
  if (!rec) return std::nullopt;
  ++modelled_;
  ++generic_[*name];
  return Converted{*rec, enter};
}

std::map<uint16_t, uint64_t> ScapConverter::read_by_id() const {
  std::map<uint16_t, uint64_t> out;
  for (size_t id = 0; id < read_.size(); ++id)
    if (read_[id] != 0) out[static_cast<uint16_t>(id)] = read_[id];
  for (const auto& [id, n] : read_beyond_) out[id] = n;
  return out;
}

std::optional<std::span<const uint8_t>> ScapConverter::finish(const RawEvent& ev) {
  auto rec = builder_.finish();
  if (rec.ok()) return *rec;
  ++malformed_;
  last_error_ = "scap " + (ev.type == kGenericEnterId || ev.type == kGenericExitId ? std::string("generic event")
                                                                                  : scap_event_label(ev.type)) +
                " at offset " + std::to_string(ev.offset) + ": " + rec.status().message();
  return std::nullopt;
}

void ScapConverter::remember_enter(int64_t tid, uint16_t id, const RawParams& params) {
  // Kept for the exit's record; a second enter without an exit between (a
  // dropped exit) replaces it. The buffers are reused: no allocation per
  // event once a thread's entry has grown; sized once per enter. The
  // reader's params lie back to back in the block: copied in one piece.
  Pending& p = *pending_of(tid, true);
  p.id = id;
  const size_t n = params.size();
  p.ends.resize(n);
  if (n == 0) {
    p.data.clear();
    return;
  }
  const uint8_t* begin = params[0].data();
  bool contiguous = true;
  const uint8_t* end = begin;
  for (size_t i = 0; i < n; ++i) {
    contiguous = contiguous && params[i].data() == end;
    end = params[i].data() + params[i].size();
    p.ends[i] = static_cast<uint32_t>(end - begin);
  }
  if (contiguous) {
    p.data.resize(static_cast<size_t>(end - begin));
    if (end != begin) std::memcpy(p.data.data(), begin, static_cast<size_t>(end - begin));
    return;
  }
  // Params laid out some other way (not the reader's): one by one.
  size_t total = 0;
  for (const auto& param : params) total += param.size();
  p.data.resize(total);
  size_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!params[i].empty()) std::memcpy(p.data.data() + at, params[i].data(), params[i].size());
    at += params[i].size();
    p.ends[i] = static_cast<uint32_t>(at);
  }
}

std::optional<int64_t> ScapConverter::unmodelled_syscall_number(const EventRow& row) const {
  if (row.id == kGenericEnterId || row.id == kGenericExitId || row.dir == Direction::kEnterOnly) return std::nullopt;
  // A syscall scap has a row for and Kestrel does not model (access, fstat):
  // the syscall of that name, numbered for this machine's arch.
  auto nr = syscall_number(native_arch(), row.name);
  if (!nr) return std::nullopt;
  return *nr;
}

std::optional<Converted> ScapConverter::convert_unmodelled_syscall(const RawEvent& ev, const EventRow& row, int64_t nr) {
  const int64_t tid = static_cast<int64_t>(ev.tid);
  if (row.dir == Direction::kEnter && !enter_types_.test(KE_SYSCALL)) {
    remember_enter(tid, row.id, ev.params);
    ++enters_left_out_;
    return std::nullopt;
  }
  builder_.begin(KE_SYSCALL, ev.ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  builder_.put_int(KPARAM(SYSCALL, id), nr);
  builder_.put_empty(KPARAM(SYSCALL, res));
  // The fd, from this event or (an exit) its enter, when the row names one.
  std::optional<int64_t> fd;
  auto fd_of = [&](const EventRow& r, size_t count, auto param) {
    for (size_t i = 0; i < r.params.size() && i < count; ++i)
      if (r.params[i].kestrel == "fd") fd = read_int(param(i), r.params[i].type);
  };
  fd_of(row, ev.params.size(), [&](size_t i) { return ev.params[i]; });
  Pending* answered = nullptr;
  if (row.dir == Direction::kExit) {
    answered = pending_of(tid, false);
    if (!fd && answered != nullptr && answered->id + 1 == row.id)
      if (const EventRow* enter = find_event(answered->id))
        fd_of(*enter, answered->ends.size(), [&](size_t i) { return answered->param(i); });
  }
  if (fd) builder_.put_int(KPARAM(SYSCALL, fd), *fd);
  else builder_.put_empty(KPARAM(SYSCALL, fd));
  auto rec = finish(ev);
  if (!rec) return std::nullopt;
  ++modelled_;
  ++generic_[std::string(row.name)];
  if (row.dir == Direction::kEnter) remember_enter(tid, row.id, ev.params);
  if (answered != nullptr) answered->id = kNoPending;
  return Converted{*rec, row.dir != Direction::kExit};
}

bool ScapConverter::exit_param_int(const RawEvent& ev, int kestrel_index, int64_t& out) {
  if (ev.type == kGenericEnterId || ev.type == kGenericExitId || kestrel_index < 0) return false;
  // Where the param comes from, worked out once per exit id: the last scap
  // param of the exit, else of its enter, that place() puts there (the
  // exit's own wins, as place() lays the exit's after the enter's).
  if (ev.type >= param_sources_.size()) return false;  // no row: not modelled
  ParamSource& src = param_sources_[ev.type];
  if (src.kestrel_index != kestrel_index) {
    src = ParamSource{};
    src.kestrel_index = static_cast<int16_t>(kestrel_index);
    const Plan& plan = plan_of(ev.type);
    if (plan.row == nullptr || plan.row->kestrel_type == KE_NONE || plan.row->dir != Direction::kExit) return false;
    src.modelled_exit = true;
    auto last = [&](const Plan& p, const ParamRow*& row) -> int8_t {
      const size_t n = std::min<size_t>(p.row->params.size(), p.kestrel_index.size());
      for (size_t i = n; i-- > 0;)
        if (p.kestrel_index[i] == kestrel_index) {
          row = &p.row->params[i];
          return static_cast<int8_t>(i);
        }
      return -1;
    };
    src.exit_i = last(plan, src.exit_row);
    if (const Plan& enter = plan_of(static_cast<uint16_t>(ev.type - 1)); enter.row != nullptr && ev.type > 0)
      src.enter_i = last(enter, src.enter_row);
  }
  if (!src.modelled_exit) return false;
  // The answer goes out through `out`, not an optional: returned through
  // the stack, the optional's flag byte written then read back whole
  // stalled the load (a twentieth of a replay's main thread, per event).
  auto value = [&out](std::span<const uint8_t> bytes, const ParamRow* row) -> bool {
    if (bytes.empty()) return false;
    auto v = read_int(bytes, row->type);
    if (!v) return false;
    out = apply(row->convert, *v);
    return true;
  };
  if (src.exit_i >= 0 && static_cast<size_t>(src.exit_i) < ev.params.size())
    return value(ev.params[static_cast<size_t>(src.exit_i)], src.exit_row);
  const Pending* p = pending_of(static_cast<int64_t>(ev.tid), false);
  if (p == nullptr || p->id + 1 != ev.type || src.enter_i < 0 || static_cast<size_t>(src.enter_i) >= p->ends.size())
    return false;
  return value(p->param(static_cast<size_t>(src.enter_i)), src.enter_row);
}

void ScapConverter::pass_over_exit(const RawEvent& ev) {
  count_read(ev.type);
  ++passed_over_;
  if (Pending* p = pending_of(static_cast<int64_t>(ev.tid), false)) p->id = kNoPending;
}

std::optional<Converted> ScapConverter::convert(const RawEvent& ev) {
  scratch_.clear();
  auto enter = convert_into(ev, scratch_);
  if (!enter) return std::nullopt;
  return Converted{scratch_, *enter};
}

std::optional<bool> ScapConverter::convert_into(const RawEvent& ev, std::vector<uint8_t>& out) {
  count_read(ev.type);
  // The rare kinds are built by the builder, then appended.
  auto appended = [&](std::optional<Converted> c) -> std::optional<bool> {
    if (!c) return std::nullopt;
    out.insert(out.end(), c->record.begin(), c->record.end());
    return c->enter;
  };
  if (ev.type == kGenericEnterId || ev.type == kGenericExitId) return appended(convert_generic(ev));
  const Plan& plan = plan_of(ev.type);
  const EventRow* row = plan.row;
  if (row != nullptr && row->kestrel_type == KE_NONE) {
    // Not modelled, but a syscall: a generic record (KE_SYSCALL) with its
    // number (and fd), as Falco sees syscalls it has no row for.
    if (auto nr = unmodelled_syscall_number(*row)) return appended(convert_unmodelled_syscall(ev, *row, *nr));
  }
  if (row == nullptr || row->kestrel_type == KE_NONE) {
    ++unmodelled_[ev.type];
    return std::nullopt;
  }
  const int64_t tid = static_cast<int64_t>(ev.tid);
  if (row->dir == Direction::kEnter) {
    remember_enter(tid, row->id, ev.params);
    if (!enter_types_.test(row->kestrel_type)) {
      ++enters_left_out_;
      return std::nullopt;
    }
  }

  const EventInfo& info = event_info(row->kestrel_type);
  std::array<Slot, KESTREL_MAX_PARAMS> slots;
  std::fill_n(slots.begin(), std::min<size_t>(info.params.size(), slots.size()), Slot{nullptr, 0, nullptr});
  Pending* answered = nullptr;  // an exit's thread entry: its enter is answered (or stale) once converted
  if (row->dir == Direction::kExit) {
    answered = pending_of(tid, false);
    if (answered != nullptr && answered->id + 1 == row->id) {
      const Pending& p = *answered;
      const Plan& enter = plan_of(p.id);
      if (enter.row != nullptr)
        place(enter, p.ends.size(), [&](size_t i) { return p.param(i); }, slots);
    }
  }
  place(plan, ev.params.size(), [&](size_t i) { return ev.params[i]; }, slots);
  if (row->kestrel_type == KE_EXECVE && row->dir == Direction::kExit && !pid_of_tid_.contains(tid)) {
    // scap's execve carries no credentials. For a thread the capture never
    // introduced (not in its process list, no clone seen) they are unknown:
    // -1, as libscap has them, rather than the table's default of root.
    static constexpr uint8_t kUnknownId[4] = {0xff, 0xff, 0xff, 0xff};
    static constexpr ParamRow kUnknownRow{"", ParamType::kUint32, ""};
    for (std::string_view p : {"uid", "euid", "gid", "egid"})
      if (auto idx = info.param_index(p); idx && slots[*idx].row == nullptr) slots[*idx] = slot(kUnknownId, &kUnknownRow);
  }

  const size_t nparams = info.params.size();
  // The most the data can take: fixed params their width, the others their
  // scap bytes and a NUL (a string's, or a CHARBUF_ARRAY's last item's).
  size_t max_data = 0;
  for (size_t k = 0; k < nparams; ++k) max_data += 8 + slots[k].size + 1;
  RecordWriter rec(out, row->kestrel_type, nparams, max_data);
  for (uint16_t k = 0; k < nparams; ++k) {
    const ParamInfo& pi = info.params[k];
    const Slot& s = slots[k];
    const std::span<const uint8_t> bytes = s.bytes();
    if (s.row == nullptr || bytes.empty()) {
      rec.put(k, nullptr, 0);
      continue;
    }
    switch (pi.type) {
      case KPT_CHARBUF: case KPT_PATH: rec.put_str(k, as_text(bytes)); break;
      case KPT_CHARBUF_ARRAY: rec.put_str_array(k, bytes); break;
      case KPT_BYTES:
        // A syscall's data is a snapshot, cut as the live sources cut it; a
        // plugin event's payload is the whole event, kept whole (one too
        // large for a record is counted malformed).
        rec.put(k, bytes.data(),
                row->kestrel_type == KE_PLUGINEVENT ? bytes.size() : std::min<size_t>(bytes.size(), KESTREL_MAX_DATA_BYTES));
        break;
      case KPT_SOCKADDR:
        if (decode_sockaddr(bytes)) rec.put(k, bytes.data(), bytes.size());
        else rec.put(k, nullptr, 0);
        break;
      case KPT_SOCKTUPLE:
        if (decode_socktuple(bytes)) rec.put(k, bytes.data(), bytes.size());
        else rec.put(k, nullptr, 0);
        break;
      default: {
        // Fixed-width: the low bytes of the value (a little-endian host), at the table's width.
        auto v = read_int(bytes, s.row->type);
        if (v) {
          const int64_t value = apply(s.row->convert, *v);
          rec.put(k, &value, param_fixed_size(pi.type));
        } else {
          rec.put(k, nullptr, 0);
        }
      }
    }
  }
  if (!rec.finish(ev.ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)))) {
    ++malformed_;
    last_error_ = "scap " + scap_event_label(ev.type) + " at offset " + std::to_string(ev.offset) + ": " +
                  std::string(info.name) + ": param " + std::string(info.params[rec.failed_param()].name) +
                  " does not fit a record";
    return std::nullopt;
  }
  // Any exit ends its thread's pending enter: marked so rather than erased,
  // so the thread's buffers are kept for its next enter.
  if (answered != nullptr) answered->id = kNoPending;
  ++modelled_;
  if (tracks_process(row->kestrel_type)) track_process(ev, *row, row->kestrel_type);
  return row->dir != Direction::kExit;
}

}  // namespace kestrel::scap
