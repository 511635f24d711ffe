#include "sources/multiplexer.h"

#include <cstring>

namespace kestrel {
namespace {
// Consumed chunks kept for reuse: enough for every reader to find one.
constexpr size_t kSpareChunks = 8;
}  // namespace

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
  if (direct_) return ok_status();
  for (size_t i = 0; i < slots_.size(); ++i) readers_.emplace_back(&Multiplexer::read_loop, this, static_cast<uint16_t>(i));
  return ok_status();
}

bool Multiplexer::read_directly(EventPrejudge* judge) {
  if (started_ || slots_.size() != 1 || !slots_[0].source->prejudge_with(judge)) return false;
  direct_ = true;
  return true;
}

Result<NextOutcome> Multiplexer::next_direct(EventBatch& out, std::chrono::milliseconds wait) {
  Slot& slot = slots_[0];
  {
    std::lock_guard lock(mu_);
    if (slot.ended || stopping_) return NextOutcome::kEof;
  }
  // The views of the previous batch are dead (next()'s contract): its
  // buffers are refilled in place.
  release_handed_out();
  auto outcome = slot.source->next(direct_batch_, wait);
  if (!outcome.ok() || *outcome == NextOutcome::kEof) {
    std::lock_guard lock(mu_);
    slot.ended = true;
    if (!outcome.ok()) slot.error = outcome.status();
    return NextOutcome::kEof;
  }
  if (*outcome == NextOutcome::kIdle) return NextOutcome::kIdle;
  out.events.swap(direct_batch_.events);
  for (Event& ev : out.events) ev.source_id = 0;
  handed_out_ = {0, out.events.size()};
  return NextOutcome::kBatch;
}

void Multiplexer::fill_chunk(uint16_t id, EventBatch& batch, Chunk& chunk) {
  chunk.source_id = id;
  chunk.bytes.clear();
  chunk.events.clear();
  chunk.records.clear();
  if (batch.records_in_storage) {
    // The views point into batch.storage's heap buffer, which a swap moves
    // into the chunk unchanged; the batch gets the chunk's spent buffers.
    // Records not yet viewed are viewed by next(), on the consumer's side.
    chunk.bytes.swap(batch.storage);
    chunk.records.swap(batch.records);
    chunk.events.swap(batch.events);
    for (Event& ev : chunk.events) ev.source_id = id;
    return;
  }
  // Copy out of the source's memory: its views die at its next next().
  size_t total = 0;
  for (const auto& ev : batch.events) total += ev.view.len();
  chunk.bytes.resize(total);
  chunk.events.reserve(batch.events.size());
  size_t pos = 0;
  for (const auto& ev : batch.events) {
    std::memcpy(chunk.bytes.data() + pos, ev.view.bytes().data(), ev.view.len());
    pos += ev.view.len();
  }
  pos = 0;
  for (const auto& ev : batch.events) {
    // Already validated by the source; parsed again only to view the copy.
    auto view = EventView::parse(std::span(chunk.bytes).subspan(pos, ev.view.len()));
    pos += ev.view.len();
    if (view.ok()) chunk.events.push_back(Event{*view, ev.domain, id, ev.enter});
  }
}

void Multiplexer::read_loop(uint16_t id) {
  Source& source = *slots_[id].source;
  const bool live = source.capabilities().live;
  EventBatch batch;
  batch.consumer_views = true;
  Chunk chunk;
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
    if (*outcome == NextOutcome::kIdle || batch.empty()) continue;

    fill_chunk(id, batch, chunk);
    const size_t total = chunk.bytes.size();

    std::unique_lock lock(mu_);
    Slot& slot = slots_[id];
    if (live) {
      if (slot.queued_bytes + total > options_.queue_bytes_per_source) {
        slot.queue_drops += chunk.size();
        continue;
      }
    } else {
      space_.wait(lock, [&] {
        return stopping_ || slot.queued_bytes == 0 || slot.queued_bytes + total <= options_.queue_bytes_per_source;
      });
      if (stopping_) {
        slot.dropped_at_exit += chunk.size();
        break;
      }
    }
    slot.queued_bytes += total;
    queue_.push_back(std::move(chunk));
    chunk = Chunk{};
    if (!spare_.empty()) {
      chunk = std::move(spare_.back());
      spare_.pop_back();
    }
    ready_.notify_one();
  }
  std::lock_guard lock(mu_);
  slots_[id].ended = true;
  ready_.notify_all();
}

Result<NextOutcome> Multiplexer::next(EventBatch& out, std::chrono::milliseconds wait) {
  out.clear();
  if (direct_) return next_direct(out, wait);
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
  // The previous chunk's views are no longer used (see next()'s contract):
  // its buffers go back to the readers.
  if (current_.bytes.capacity() != 0 && spare_.size() < kSpareChunks) {
    current_.bytes.clear();
    current_.events.clear();
    current_.records.clear();
    spare_.push_back(std::move(current_));
  }
  current_ = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  release_handed_out();
  handed_out_ = {current_.source_id, current_.size()};
  lock.lock();
  slots_[current_.source_id].queued_bytes -= current_.bytes.size();
  space_.notify_all();
  lock.unlock();
  // The chunk's events become the batch; the batch's old (empty) vector
  // goes with the chunk when it is recycled.
  out.events.swap(current_.events);
  if (!current_.records.empty()) {
    out.events.reserve(current_.records.size());
    uint32_t begin = 0;
    for (const EventBatch::Record& rec : current_.records) {
      // Built by the source's own builder: they parse; one that did not
      // would be skipped, as a malformed record always is.
      auto view = EventView::parse(std::span(current_.bytes).subspan(begin, rec.end - begin));
      begin = rec.end;
      if (view.ok()) out.events.push_back(Event{*view, rec.domain, current_.source_id, rec.enter});
    }
  }
  return NextOutcome::kBatch;
}

void Multiplexer::release_handed_out() {
  // Consumer thread only; slots_ are fixed once started.
  if (handed_out_.second != 0) slots_[handed_out_.first].source->consumed(handed_out_.second);
  handed_out_ = {0, 0};
}

void Multiplexer::stop_reading() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  space_.notify_all();
  if (started_)
    for (auto& s : slots_) s.source->interrupt();
  for (auto& t : readers_)
    if (t.joinable()) t.join();
  readers_.clear();
}

void Multiplexer::stop() {
  // The batch last handed out was processed: the pipeline stops between
  // batches.
  if (started_) release_handed_out();
  stop_reading();
  {
    std::lock_guard lock(mu_);
    for (const Chunk& chunk : queue_) slots_[chunk.source_id].dropped_at_exit += chunk.size();
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

Status Multiplexer::update_kernel_filters(const KernelFilterSet& filters) {
  Status first;
  for (Slot& s : slots_)
    if (Status st = s.source->update_kernel_filters(filters); !st.ok() && first.ok())
      first = Status(st.code(), s.source->capabilities().name + ": " + st.message());
  return first;
}

bool Multiplexer::all_live() const {
  if (slots_.empty()) return false;
  for (const Slot& s : slots_)
    if (!s.source->capabilities().live) return false;
  return true;
}

std::optional<CaptureUsers> Multiplexer::domain_users(DomainId domain) const {
  for (const Slot& s : slots_)
    if (auto users = s.source->domain_users(domain)) return users;
  return std::nullopt;
}

}  // namespace kestrel
