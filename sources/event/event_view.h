// event_view.h — zero-copy read access to one event record.
//
// An EventView points into bytes it does not own (a ring buffer slot, a
// capture batch, a builder's buffer); it is valid as long as those bytes
// are. `EventView::parse` validates the framing once (lengths add up, the
// param table fits) so later accessors only bounds-check cheaply and never
// read outside the record. parse() locates every param once.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "base/status.h"
#include "sources/event/event_table.h"

namespace kestrel {

class EventView {
 public:
  EventView() = default;

  // Validates `bytes` as one record: header present, `len` equal to
  // bytes.size(), nparams <= KESTREL_MAX_PARAMS, params within the record.
  // Unknown event types are accepted (the caller decides; info() is "unknown").
  static Result<EventView> parse(std::span<const uint8_t> bytes);

  uint64_t ts() const { return hdr_.ts_ns; }
  uint32_t tid() const { return hdr_.tid; }
  uint32_t tgid() const { return hdr_.tgid; }
  // The thread's process: tgid, or the thread's own id from a source that
  // leaves tgid 0.
  uint32_t process_id() const { return hdr_.tgid != 0 ? hdr_.tgid : hdr_.tid; }
  uint16_t type() const { return hdr_.type; }
  uint32_t len() const { return hdr_.len; }
  uint16_t nparams() const { return hdr_.nparams; }
  const EventInfo& info() const { return event_info(hdr_.type); }
  std::span<const uint8_t> bytes() const { return {data_, hdr_.len}; }

  // Raw bytes of param i; empty if absent (i >= nparams) or unreadable.
  std::span<const uint8_t> param(uint16_t i) const {
    if (i >= hdr_.nparams) return {};
    return {data_ + offsets_[i], static_cast<size_t>(offsets_[i + 1] - offsets_[i])};
  }
  bool has_param(uint16_t i) const { return !param(i).empty(); }

  // Fixed-width integer params, sign- or zero-extended to 64 bits per the
  // table's type. nullopt if absent or of the wrong size.
  std::optional<int64_t> param_int(uint16_t i) const;
  std::optional<uint64_t> param_uint(uint16_t i) const;
  // String params (CHARBUF, PATH): the bytes before the first NUL.
  std::optional<std::string_view> param_str(uint16_t i) const;

 private:
  const uint8_t* data_ = nullptr;
  kestrel_event_hdr hdr_{};
  // offsets_[i] = start of param i from data_; offsets_[nparams] = end.
  // Only those parse() sets are read (param() checks i < nparams), so the
  // rest stay unset: zeroing all 33 per parse was 40 % of its time.
  std::array<uint32_t, KESTREL_MAX_PARAMS + 1> offsets_;
};

}  // namespace kestrel
