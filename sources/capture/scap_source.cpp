#include "sources/capture/scap_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "sources/capture/byte_stream.h"
#include "sources/capture/replay_capabilities.h"
#include "sources/capture/scap_event_table.h"
#include "sources/capture/scap_format.h"

namespace kestrel {
namespace {
constexpr size_t kBatchEvents = 2048;
}

bool is_scap_file(const std::string& path) {
  // Only regular files are looked into: reading the head of a FIFO (a
  // capture streamed by another process) would take bytes the replay needs.
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  auto src = kcap::open_byte_source(path);
  if (!src.ok()) return false;
  uint8_t head[4];
  auto got = (*src)->read(head);
  if (!got.ok()) return false;
  return is_scap_head(std::span<const uint8_t>(head, *got));
}

bool is_scap_head(std::span<const uint8_t> head) {
  if (head.size() < 4) return false;
  uint32_t type;
  std::memcpy(&type, head.data(), 4);
  return type == scap::kSectionHeaderBlock;
}

ScapSource::ScapSource(std::string path, std::unique_ptr<kcap::ByteSource> stream) : ScapSource(std::move(path)) {
  stream_ = std::move(stream);
}

ScapSource::ScapSource(std::string path) : path_(std::move(path)), caps_(replay_capabilities(false)) {}

Status ScapSource::open() {
  snapshot_taken_ = false;
  Status opened = stream_ ? reader_.open(path_, std::move(stream_)) : reader_.open(path_);
  if (!opened.ok()) return opened;
  threads_ = reader_.take_threads();
  converter_.seed_threads(threads_);
  return ok_status();
}

std::vector<ThreadInfo> ScapSource::initial_state() {
  if (snapshot_taken_) return {};
  snapshot_taken_ = true;
  return std::move(threads_);
}

std::optional<CaptureUsers> ScapSource::capture_users() const {
  // A capture without a user list (a plugin's) leaves the host's names.
  if (reader_.users().empty() && reader_.groups().empty()) return std::nullopt;
  CaptureUsers u;
  for (const auto& e : reader_.users()) u.users.push_back({e.uid, e.gid, e.name, e.home, e.shell});
  for (const auto& g : reader_.groups()) u.groups.push_back({g.gid, g.name});
  return u;
}

void ScapSource::adopt_late_threads() {
  std::vector<ThreadInfo> threads = reader_.take_threads();
  converter_.seed_threads(threads);
  std::lock_guard lock(late_mu_);
  for (ThreadInfo& t : threads) {
    std::vector<ThreadInfo>& group = late_[t.pid];
    std::erase_if(group, [&](const ThreadInfo& o) { return o.tid == t.tid; });  // a re-emitted entry replaces it
    group.push_back(std::move(t));
  }
}

std::optional<std::vector<ThreadInfo>> ScapSource::describe_process(DomainId domain, int64_t pid) const {
  if (domain != kHostDomain || pid <= 0) return std::nullopt;
  {
    std::lock_guard lock(late_mu_);
    if (auto it = late_.find(pid); it != late_.end()) return it->second;
  }
  ThreadInfo t;
  t.tid = t.pid = pid;
  t.ptid = -1;
  t.uid = t.euid = t.gid = t.egid = UINT32_MAX;
  t.loginuid = UINT32_MAX;
  t.root = "/";
  return std::vector<ThreadInfo>{t};
}

Status ScapSource::set_event_filter(const EventTypeSet& types) {
  std::vector<bool> skip(UINT16_MAX + 1, false);
  for (const scap::EventRow& row : scap::all_events())
    if (row.kestrel_type != KE_NONE && !types.test(row.kestrel_type)) skip[row.id] = true;
  reader_.skip_event_types(std::move(skip));
  return ok_status();
}

Status ScapSource::set_capture_request(const CaptureRequest& request) {
  {
    std::lock_guard lock(mu_);
    converter_.set_enter_types(request.enter_event_types);
  }
  return set_event_filter(request.event_types);
}

bool ScapSource::prejudge_with(EventPrejudge* judge) {
  judge_ = judge;
  judged_.assign(scap::id_limit(), Judged{});  // ids beyond the table's: never judged
  if (judge == nullptr) return true;
  const EventTypeSet& types = judge->judged_types();
  for (const scap::EventRow& row : scap::all_events()) {
    if (row.kestrel_type == KE_NONE || row.dir != scap::Direction::kExit || !types.test(row.kestrel_type)) continue;
    const int fd = judge->fd_param(row.kestrel_type);
    if (fd >= 0) judged_[row.id] = Judged{static_cast<int16_t>(fd), row.kestrel_type};
  }
  return true;
}

Result<NextOutcome> ScapSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  (void)wait;
  out.clear();
  if (!deferred_.ok()) return deferred_;
  if (ended_) return NextOutcome::kEof;
  // The records are built back to back in the batch's own storage (record
  // i ends at record_ends_[i]), viewed once they are all there (the buffer
  // may move while it grows): the multiplexer takes them without a copy.
  std::vector<uint8_t>& records = out.storage;
  record_ends_.clear();
  enter_.clear();
  scap::RawEvent& raw = held_;
  std::unique_lock lock(mu_);
  // Events passed over in this call: bounded, so that a long run of them
  // still returns to the consumer (its stop flag, its ticks) now and then.
  size_t passed = 0;
  // The judged exits built in this batch, whose verdicts the judge takes
  // when it handles them: a later exit of the same key ends the batch, to
  // be asked once that verdict is in, rather than be built too (after each
  // change of state the rest of a batch of reads was built: ~250 K records
  // of the bench capture's 2.3 M reads). A key whose verdict does not come
  // (its record matched, or a later one changed the state) costs one
  // short batch per such record, which costs more than the batch.
  awaited_.clear();
  while (record_ends_.size() < kBatchEvents && passed < kBatchEvents * 16) {
    if (holding_) {
      holding_ = false;
    } else {
      auto r = reader_.next(raw);
      if (!r.ok()) {
        deferred_ = r.status();
        break;
      }
      if (*r == scap::NextResult::kEnd) {
        ended_ = true;
        break;
      }
      // A process list after the first event block (a concatenated capture,
      // a writer re-emitting its tables): its threads, before the events
      // that follow it are converted.
      if (reader_.thread_count() != 0) adopt_late_threads();
    }
    if (judge_ != nullptr && raw.type < judged_.size() && judged_[raw.type].fd >= 0) {
      int64_t fd_value = 0;
      const bool fd = converter_.exit_param_int(raw, judged_[raw.type].fd, fd_value);
      const uint16_t type = judged_[raw.type].type;
      const auto tid = static_cast<int64_t>(raw.tid);
      const Awaited key{type, tid, fd_value};
      if (fd && record_ends_.empty()) {
        if (judge_->pass_over(type, tid, fd_value, raw.ts)) {
          converter_.pass_over_exit(raw);
          ++passed;
          continue;
        }
      } else if (fd && (judge_->may_pass_over(type, tid, fd_value) ||
                        std::find(awaited_.begin(), awaited_.end(), key) != awaited_.end())) {
        holding_ = true;  // asked first thing at the next call, the batch then empty
        break;
      }
      if (fd && awaited_.size() < kAwaitedMax) awaited_.push_back(key);
    }
    auto enter = converter_.convert_into(raw, records);
    if (!enter) continue;
    record_ends_.push_back(records.size());
    enter_.push_back(*enter);
  }
  lock.unlock();
  out.records_in_storage = true;
  if (out.consumer_views) {
    out.records.reserve(record_ends_.size());
    for (size_t i = 0; i < record_ends_.size(); ++i)
      out.records.push_back({static_cast<uint32_t>(record_ends_[i]), kHostDomain, static_cast<bool>(enter_[i])});
    events_.fetch_add(out.records.size(), std::memory_order_relaxed);
    bytes_.fetch_add(records.size(), std::memory_order_relaxed);
    if (!out.records.empty()) return NextOutcome::kBatch;
    if (!deferred_.ok()) return deferred_;
    return ended_ ? NextOutcome::kEof : NextOutcome::kIdle;
  }
  out.events.reserve(record_ends_.size());
  for (size_t i = 0; i < record_ends_.size(); ++i) {
    const size_t begin = i == 0 ? 0 : record_ends_[i - 1];
    const std::span<const uint8_t> record(records.data() + begin, record_ends_[i] - begin);
    auto view = EventView::parse(record);
    if (!view.ok()) continue;  // the builder's own records always parse
    Event ev{*view, kHostDomain, 0};
    ev.enter = enter_[i];
    out.events.push_back(ev);
  }
  events_.fetch_add(out.events.size(), std::memory_order_relaxed);
  bytes_.fetch_add(records.size(), std::memory_order_relaxed);
  if (!out.events.empty()) return NextOutcome::kBatch;
  if (!deferred_.ok()) return deferred_;
  return ended_ ? NextOutcome::kEof : NextOutcome::kIdle;
}

SourceStats ScapSource::stats() const {
  SourceStats s;
  s.events = events_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  s.counters["scap_events_read"] = converter_.events_read();
  s.counters["scap_events_modelled"] = converter_.modelled();
  if (uint64_t f = reader_.skipped_events()) s.counters["scap_events_filtered"] = f;
  if (uint64_t e = converter_.enters_left_out()) s.counters["scap_enters_left_out"] = e;
  if (uint64_t p = converter_.passed_over()) s.counters["scap_events_passed_over"] = p;
  for (const auto& [id, n] : converter_.unmodelled_by_id())
    s.counters["scap_unmodelled." + scap::scap_event_label(id) + "(" + std::to_string(id) + ")"] += n;
  // Generic events by the syscall they stand for: delivered ones, and the
  // ones that could not be named with the reason.
  for (const auto& [name, n] : converter_.generic_by_name()) s.counters["scap_generic.syscall(" + name + ")"] = n;
  for (const auto& [why, n] : converter_.generic_unnamed()) s.counters["scap_unmodelled.syscall(" + why + ")"] = n;
  if (uint64_t m = converter_.malformed() + reader_.malformed_events()) s.drops["malformed"] = m;
  if (uint64_t u = reader_.unknown_blocks()) s.counters["scap_unknown_blocks"] = u;
  return s;
}

void ScapSource::close() {}

}  // namespace kestrel
