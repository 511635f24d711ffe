#include "sources/event/event_view.h"

#include <string>

namespace kestrel {

Result<EventView> EventView::parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < KESTREL_EVENT_HDR_SIZE)
    return Status(StatusCode::kTruncated,
                  "event record of " + std::to_string(bytes.size()) + " bytes is shorter than its header");
  EventView v;
  v.data_ = bytes.data();
  std::memcpy(&v.hdr_, bytes.data(), sizeof v.hdr_);
  if (v.hdr_.len != bytes.size())
    return Status(StatusCode::kCorrupt, "event record length field " + std::to_string(v.hdr_.len) +
                                            " does not match its " + std::to_string(bytes.size()) + " bytes");
  if (v.hdr_.nparams > KESTREL_MAX_PARAMS)
    return Status(StatusCode::kCorrupt, "event record claims " + std::to_string(v.hdr_.nparams) +
                                            " params (max " + std::to_string(KESTREL_MAX_PARAMS) + ")");
  uint32_t pos = KESTREL_EVENT_HDR_SIZE + 2u * v.hdr_.nparams;
  if (pos > v.hdr_.len) return Status(StatusCode::kCorrupt, "event record param length table overruns the record");
  for (uint16_t i = 0; i < v.hdr_.nparams; ++i) {
    uint16_t plen;
    std::memcpy(&plen, bytes.data() + KESTREL_EVENT_HDR_SIZE + 2u * i, sizeof plen);
    v.offsets_[i] = pos;
    pos += plen;
    if (pos > v.hdr_.len)
      return Status(StatusCode::kCorrupt, "event param " + std::to_string(i) + " overruns the record");
  }
  v.offsets_[v.hdr_.nparams] = pos;
  if (pos != v.hdr_.len) return Status(StatusCode::kCorrupt, "event record has trailing bytes after its params");
  return v;
}

namespace {

bool is_signed(kestrel_param_type t) {
  switch (t) {
    case KPT_INT8: case KPT_INT16: case KPT_INT32: case KPT_INT64:
    case KPT_ERRNO: case KPT_FD: case KPT_DIRFD: case KPT_PID:
      return true;
    default:
      return false;
  }
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

std::optional<int64_t> EventView::param_int(uint16_t i) const {
  auto p = param(i);
  const auto& params = info().params;
  bool sign = i < params.size() ? is_signed(params[i].type) : true;
  switch (p.size()) {
    case 1: return sign ? int64_t{load<int8_t>(p.data())} : int64_t{load<uint8_t>(p.data())};
    case 2: return sign ? int64_t{load<int16_t>(p.data())} : int64_t{load<uint16_t>(p.data())};
    case 4: return sign ? int64_t{load<int32_t>(p.data())} : int64_t{load<uint32_t>(p.data())};
    case 8: return load<int64_t>(p.data());
    default: return std::nullopt;
  }
}

std::optional<uint64_t> EventView::param_uint(uint16_t i) const {
  auto v = param_int(i);
  if (!v) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

std::optional<std::string_view> EventView::param_str(uint16_t i) const {
  auto p = param(i);
  if (p.empty()) return std::nullopt;
  auto s = std::string_view(reinterpret_cast<const char*>(p.data()), p.size());
  if (auto nul = s.find('\0'); nul != std::string_view::npos) s = s.substr(0, nul);
  return s;
}

}  // namespace kestrel
