#include "sources/multiplexer.h"

#include <cstring>

namespace kestrel {

Multiplexer::Multiplexer(MultiplexerOptions options) : options_(options) {}

Multiplexer::~Multiplexer() { stop(); }

uint16_t Multiplexer::add(std::unique_ptr<Source> source) {
  slots_.push_back(Slot{std::move(source)});
  return static_cast<uint16_t>(slots_.size() - 1);
}

Status Multiplexer::start() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Status s = slots_[i].source->open();
    if (!s.ok()) {
      for (size_t j = 0; j < i; ++j) slots_[j].source->close();
      return Status(s.code(), "source '" + slots_[i].source->capabilities().name + "': " + s.message(), s.where());
    }
    initial_.emplace_back(static_cast<uint16_t>(i), slots_[i].source->initial_state());
    if (auto users = slots_[i].source->capture_users()) capture_users_.push_back(std::move(*users));
  }
  started_ = true;
  for (size_t i = 0; i < slots_.size(); ++i) readers_.emplace_back(&Multiplexer::read_loop, this, static_cast<uint16_t>(i));
  return ok_status();
}

void Multiplexer::read_loop(uint16_t id) {
  Source& source = *slots_[id].source;
  const bool live = source.capabilities().live;
  EventBatch batch;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    auto outcome = source.next(batch, options_.poll_wait);
    if (!outcome.ok() || *outcome == NextOutcome::kEof) {
      std::lock_guard lock(mu_);
      slots_[id].ended = true;
      // An error after stop() interrupted the source is the interruption.
      if (!outcome.ok() && !stopping_) slots_[id].error = outcome.status();
      ready_.notify_all();
      return;
    }
    if (*outcome == NextOutcome::kIdle || batch.events.empty()) continue;

    // Copy out of the source's memory: its views die at its next next().
    Chunk chunk;
    chunk.source_id = id;
    size_t total = 0;
    for (const auto& ev : batch.events) total += ev.view.len();
    chunk.bytes.resize(total);
    chunk.records.reserve(batch.events.size());
    size_t pos = 0;
    for (const auto& ev : batch.events) {
      std::memcpy(chunk.bytes.data() + pos, ev.view.bytes().data(), ev.view.len());
      chunk.records.push_back({static_cast<uint32_t>(pos), ev.domain, ev.enter});
      pos += ev.view.len();
    }

    std::unique_lock lock(mu_);
    Slot& slot = slots_[id];
    if (live) {
      if (slot.queued_bytes + total > options_.queue_bytes_per_source) {
        slot.queue_drops += chunk.records.size();
        continue;
      }
    } else {
      space_.wait(lock, [&] {
        return stopping_ || slot.queued_bytes == 0 || slot.queued_bytes + total <= options_.queue_bytes_per_source;
      });
      if (stopping_) {
        slot.dropped_at_exit += chunk.records.size();
        break;
      }
    }
    slot.queued_bytes += total;
    queue_.push_back(std::move(chunk));
    ready_.notify_one();
  }
  std::lock_guard lock(mu_);
  slots_[id].ended = true;
  ready_.notify_all();
}

Result<NextOutcome> Multiplexer::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  std::unique_lock lock(mu_);
  auto all_ended = [&] {
    for (const auto& s : slots_)
      if (!s.ended) return false;
    return true;
  };
  if (queue_.empty()) {
    if (all_ended()) return NextOutcome::kEof;
    ready_.wait_for(lock, wait, [&] { return !queue_.empty() || all_ended(); });
    if (queue_.empty()) return all_ended() ? NextOutcome::kEof : NextOutcome::kIdle;
  }
  current_ = std::move(queue_.front());
  queue_.pop_front();
  slots_[current_.source_id].queued_bytes -= current_.bytes.size();
  space_.notify_all();
  lock.unlock();

  out.events.reserve(current_.records.size());
  for (size_t i = 0; i < current_.records.size(); ++i) {
    const auto& rec = current_.records[i];
    size_t end = i + 1 < current_.records.size() ? current_.records[i + 1].offset : current_.bytes.size();
    // Already validated by the source; parse again only to build the view.
    auto view = EventView::parse(std::span(current_.bytes).subspan(rec.offset, end - rec.offset));
    if (view.ok()) out.events.push_back(Event{*view, rec.domain, current_.source_id, rec.enter});
  }
  return NextOutcome::kBatch;
}

void Multiplexer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  space_.notify_all();
  if (started_)
    for (auto& s : slots_) s.source->interrupt();
  for (auto& t : readers_)
    if (t.joinable()) t.join();
  readers_.clear();
  {
    std::lock_guard lock(mu_);
    for (const Chunk& chunk : queue_) slots_[chunk.source_id].dropped_at_exit += chunk.records.size();
    queue_.clear();
    for (auto& slot : slots_) slot.queued_bytes = 0;
  }
  if (started_) {
    for (auto& s : slots_) s.source->close();
    started_ = false;
  }
}

std::vector<SourceReport> Multiplexer::reports() const {
  std::vector<SourceReport> out;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    out.push_back(SourceReport{static_cast<uint16_t>(i), s.source->capabilities().name, s.source->stats(),
                               s.queue_drops, s.dropped_at_exit, s.ended, s.error});
  }
  return out;
}

std::optional<std::vector<ThreadInfo>> Multiplexer::describe_process(DomainId domain, int64_t pid) const {
  // Slots are fixed once start() ran; each source guards its own answer.
  for (const Slot& s : slots_)
    if (auto threads = s.source->describe_process(domain, pid)) return threads;
  return std::nullopt;
}

}  // namespace kestrel
