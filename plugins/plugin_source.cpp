#include "plugins/plugin_source.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "sources/event/event_builder.h"

namespace kestrel::plugin {
namespace {

constexpr size_t kHeader = sizeof(ss_plugin_event);

uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

std::optional<std::vector<uint8_t>> plugin_event_to_record(const ss_plugin_event* e, uint32_t plugin_id,
                                                           std::string* why) {
  *why = "malformed";
  if (!e) return std::nullopt;
  ss_plugin_event hdr;
  std::memcpy(&hdr, e, kHeader);
  if (hdr.type != KESTREL_PLUGIN_EVENT_CODE || hdr.nparams < 2 || hdr.nparams > 16) return std::nullopt;
  if (hdr.len > kMaxPluginEventLen) return std::nullopt;
  const size_t lens_end = kHeader + 4u * hdr.nparams;
  if (hdr.len < lens_end) return std::nullopt;
  const auto* base = reinterpret_cast<const uint8_t*>(e);
  uint64_t total = lens_end;
  for (uint32_t i = 0; i < hdr.nparams; ++i) total += read_u32(base + kHeader + 4u * i);
  if (total > hdr.len) return std::nullopt;
  const uint32_t id_len = read_u32(base + kHeader);
  const uint32_t data_len = read_u32(base + kHeader + 4);
  if (id_len != 4) return std::nullopt;
  uint32_t id = read_u32(base + lens_end);
  if (id != 0 && id != plugin_id) return std::nullopt;
  if (data_len > kMaxPluginEventData) {
    *why = "too_large";
    return std::nullopt;
  }
  const uint8_t* data = base + lens_end + 4;
  uint64_t ts = hdr.ts == UINT64_MAX ? now_ns() : hdr.ts;
  EventBuilder b(KE_PLUGINEVENT, ts, 0, 0);
  b.put_int(KPARAM(PLUGINEVENT, plugin_id), plugin_id);
  b.put_bytes(KPARAM(PLUGINEVENT, event_data), {data, data_len});
  b.put_str(KPARAM(PLUGINEVENT, async_name), "");  // an ordinary (not async) event
  // data_len is capped above, so the record always fits; a mismatch here is
  // a bug in this function, reported like a malformed event.
  Result<std::span<const uint8_t>> rec = b.finish();
  if (!rec.ok()) {
    *why = "param_mismatch";
    return std::nullopt;
  }
  return std::vector<uint8_t>(rec->begin(), rec->end());
}

std::vector<uint8_t> record_to_plugin_event(const EventView& view) {
  if (view.type() != KE_PLUGINEVENT) return {};
  auto id = view.param(KP_PLUGINEVENT_plugin_id);
  auto data = view.param(KP_PLUGINEVENT_event_data);
  if (id.size() != 4) return {};
  ss_plugin_event hdr{};
  hdr.ts = view.ts();
  hdr.tid = UINT64_MAX;
  hdr.type = KESTREL_PLUGIN_EVENT_CODE;
  hdr.nparams = 2;
  hdr.len = static_cast<uint32_t>(kHeader + 8 + 4 + data.size());
  std::vector<uint8_t> out(hdr.len);
  std::memcpy(out.data(), &hdr, kHeader);
  uint32_t lens[2] = {4, static_cast<uint32_t>(data.size())};
  std::memcpy(out.data() + kHeader, lens, sizeof lens);
  std::memcpy(out.data() + kHeader + 8, id.data(), 4);
  if (!data.empty()) std::memcpy(out.data() + kHeader + 12, data.data(), data.size());
  return out;
}

PluginSource::PluginSource(std::shared_ptr<PluginLibrary> library, std::string open_params)
    : library_(std::move(library)), open_params_(std::move(open_params)) {
  caps_.name = library_->info().name;
  caps_.live = false;
  caps_.event_types.set(KE_PLUGINEVENT);
}

Status PluginSource::open() {
  if (open_) return ok_status();
  if (Status s = library_->open(open_params_); !s.ok()) return s;
  open_ = true;
  eof_ = false;
  return ok_status();
}

void PluginSource::convert(const ss_plugin_event* e) {
  std::string why;
  auto record = plugin_event_to_record(e, library_->info().id, &why);
  std::lock_guard lock(stats_mu_);
  if (!record) {
    ++stats_.drops[why];
    return;
  }
  offsets_.push_back(arena_.size());
  arena_.insert(arena_.end(), record->begin(), record->end());
  ++stats_.events;
  stats_.bytes += record->size();
}

void PluginSource::refresh_metrics(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - metrics_read_ < kMetricsInterval) return;
  metrics_read_ = now;
  auto counters = library_->metrics();
  std::lock_guard lock(stats_mu_);
  stats_.plugin_metrics = counters;
  stats_.counters = std::move(counters);
}

Result<NextOutcome> PluginSource::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  if (!open_) return Status(StatusCode::kInternal, "plugin source '" + caps_.name + "' is not open");
  refresh_metrics(eof_);
  if (eof_) return NextOutcome::kEof;
  arena_.clear();
  offsets_.clear();
  PluginBatch batch = library_->next_batch();
  for (const ss_plugin_event* e : batch.events) convert(e);
  switch (batch.rc) {
    case SS_PLUGIN_SUCCESS:
      break;
    case SS_PLUGIN_TIMEOUT:
      // Nothing ready: do not spin on a plugin that answers at once.
      if (offsets_.empty()) std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(10)));
      break;
    case SS_PLUGIN_EOF:
      eof_ = true;
      break;
    default: {
      std::string text = library_->last_error();
      return Status(StatusCode::kCorrupt, "plugin '" + caps_.name + "': next_batch failed (rc " +
                                              std::to_string(static_cast<int>(batch.rc)) + ")" +
                                              (text.empty() ? "" : ": " + text));
    }
  }
  for (size_t i = 0; i < offsets_.size(); ++i) {
    size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : arena_.size();
    auto view = EventView::parse({arena_.data() + offsets_[i], end - offsets_[i]});
    if (!view.ok()) {
      std::lock_guard lock(stats_mu_);
      ++stats_.drops["malformed"];
      continue;
    }
    out.events.push_back(Event{*view, kHostDomain, 0});
  }
  if (!out.events.empty()) return NextOutcome::kBatch;
  return eof_ ? NextOutcome::kEof : NextOutcome::kIdle;
}

SourceStats PluginSource::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void PluginSource::close() {
  if (!open_) return;
  refresh_metrics(true);
  library_->close();
  open_ = false;
}

}  // namespace kestrel::plugin
