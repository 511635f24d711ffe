#include "plugins/plugin_async_events.h"

#include <cstring>

#include "plugins/plugin_abi.h"

#include "sources/event/event_builder.h"

namespace kestrel::plugin {

bool AsyncEventQueue::push(AsyncEvent e) {
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      ++refused_closed_;
      return false;
    }
    if (events_.size() >= kMaxQueuedAsyncEvents) {
      ++refused_full_;
      return false;
    }
    events_.push_back(std::move(e));
  }
  cv_.notify_one();
  return true;
}

std::vector<AsyncEvent> AsyncEventQueue::pop_all(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait, [&] { return !events_.empty() || closed_; });
  std::vector<AsyncEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

uint64_t AsyncEventQueue::refused_full() const {
  std::lock_guard lock(mu_);
  return refused_full_;
}

void AsyncEventQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

uint64_t AsyncEventQueue::refused_closed() const {
  std::lock_guard lock(mu_);
  return refused_closed_;
}

bool AsyncEventQueue::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::vector<uint8_t> async_event_record(const AsyncEvent& e) {
  uint64_t tid = e.tid == UINT64_MAX ? 0 : e.tid;
  EventBuilder b(KE_ASYNCEVENT, e.ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(tid));
  b.put_int(KPARAM(ASYNCEVENT, plugin_id), e.plugin_id);
  b.put_str(KPARAM(ASYNCEVENT, name), e.name);
  b.put_bytes(KPARAM(ASYNCEVENT, data), {e.data.data(), e.data.size()});
  b.put_str(KPARAM(ASYNCEVENT, plugin_name), e.plugin);
  Result<std::span<const uint8_t>> rec = b.finish();
  if (!rec.ok()) return {};
  return std::vector<uint8_t>(rec->begin(), rec->end());
}

std::vector<uint8_t> async_record_to_plugin_event(const EventView& view) {
  if (view.type() != KE_ASYNCEVENT) return {};
  auto id = view.param(KP_ASYNCEVENT_plugin_id);
  auto name = view.param_str(KP_ASYNCEVENT_name);
  auto data = view.param(KP_ASYNCEVENT_data);
  if (id.size() != 4 || !name) return {};
  constexpr size_t kHeader = sizeof(ss_plugin_event);
  const uint32_t lens[3] = {4, static_cast<uint32_t>(name->size() + 1), static_cast<uint32_t>(data.size())};
  ss_plugin_event hdr{};
  hdr.ts = view.ts();
  hdr.tid = view.tid() == 0 ? UINT64_MAX : view.tid();  // async_event_record wrote "none" as 0
  hdr.type = KESTREL_ASYNC_EVENT_CODE;
  hdr.nparams = 3;
  hdr.len = static_cast<uint32_t>(kHeader + sizeof lens + lens[0] + lens[1] + lens[2]);
  std::vector<uint8_t> out(hdr.len);
  uint8_t* p = out.data();
  std::memcpy(p, &hdr, kHeader);
  std::memcpy(p += kHeader, lens, sizeof lens);
  std::memcpy(p += sizeof lens, id.data(), 4);
  std::memcpy(p += 4, name->data(), name->size());  // the NUL is out's zero byte
  if (!data.empty()) std::memcpy(p + lens[1], data.data(), data.size());
  return out;
}

const std::string* async_event_source(const EventView& view, const std::map<uint32_t, std::string>& plugin_sources) {
  static const std::string kSyscall = "syscall";
  const auto id = view.param_int(KP_ASYNCEVENT_plugin_id);
  if (!id) return nullptr;
  if (*id == 0) return &kSyscall;
  auto it = plugin_sources.find(static_cast<uint32_t>(*id));
  return it == plugin_sources.end() ? nullptr : &it->second;
}

AsyncEventSource::AsyncEventSource(std::shared_ptr<AsyncEventQueue> queue) : queue_(std::move(queue)) {
  caps_.name = kName;
  caps_.live = true;
  caps_.event_types.set(KE_ASYNCEVENT);
}

Status AsyncEventSource::open() {
  open_ = true;
  return ok_status();
}

Result<NextOutcome> AsyncEventSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  if (!open_) return Status(StatusCode::kInternal, "async event source is not open");
  records_.clear();
  std::vector<AsyncEvent> events = queue_->pop_all(wait);
  for (const AsyncEvent& e : events) {
    std::vector<uint8_t> rec = async_event_record(e);
    std::lock_guard lock(stats_mu_);
    if (rec.empty()) {
      ++stats_.drops["too_large"];
      continue;
    }
    ++stats_.events;
    stats_.bytes += rec.size();
    records_.push_back(std::move(rec));
  }
  for (const auto& rec : records_) {
    auto view = EventView::parse({rec.data(), rec.size()});
    if (view.ok()) out.events.push_back(Event{*view, kHostDomain, 0});
  }
  if (!out.events.empty()) return NextOutcome::kBatch;
  return queue_->closed() ? NextOutcome::kEof : NextOutcome::kIdle;
}

SourceStats AsyncEventSource::stats() const {
  std::lock_guard lock(stats_mu_);
  SourceStats s = stats_;
  if (uint64_t full = queue_->refused_full()) s.drops["async_queue_full"] = full;
  if (uint64_t late = queue_->refused_closed()) s.drops["async_after_capture_end"] = late;
  return s;
}

void AsyncEventSource::close() { open_ = false; }

}  // namespace kestrel::plugin
