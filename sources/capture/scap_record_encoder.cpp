#include "sources/capture/scap_record_encoder.h"

#include <algorithm>
#include <cstring>

#include "sources/capture/scap_event_table.h"

namespace kestrel::scap {
namespace {

uint64_t to_ppm(Convert c, uint64_t v) {
  const uint32_t u = static_cast<uint32_t>(v);
  switch (c) {
    case Convert::kOpenFlags: return linux_open_flags_to_ppm(u);
    case Convert::kMmapFlags: return linux_mmap_flags_to_ppm(u);
    case Convert::kProtFlags: return linux_prot_flags_to_ppm(u);
    case Convert::kCloneFlags: return linux_clone_flags_to_ppm(u);
    case Convert::kNone: return v;
  }
  return v;
}

bool is_string(ParamType t) {
  return t == ParamType::kCharbuf || t == ParamType::kFspath || t == ParamType::kFsrelpath;
}

template <typename T>
void put_le(std::vector<uint8_t>& out, T v) {
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));  // the host is little-endian, as libscap assumes
}

}  // namespace

void serialize_event(const ScapEventOut& ev, std::vector<uint8_t>& out) {
  out.clear();
  const size_t max_param = ev.large_payload ? UINT32_MAX : UINT16_MAX;
  const size_t len_width = ev.large_payload ? 4 : 2;
  const uint32_t n = static_cast<uint32_t>(ev.params.size());
  size_t data = 0;
  for (auto p : ev.params) data += std::min(p.size(), max_param);
  const uint32_t len = static_cast<uint32_t>(8 + 8 + 4 + 2 + 4 + len_width * n + data);
  out.reserve(len);
  put_le<uint64_t>(out, ev.ts);
  put_le<uint64_t>(out, ev.tid);
  put_le<uint32_t>(out, len);
  put_le<uint16_t>(out, ev.id);
  put_le<uint32_t>(out, n);
  for (auto p : ev.params) {
    const size_t l = std::min(p.size(), max_param);
    if (ev.large_payload) put_le<uint32_t>(out, static_cast<uint32_t>(l));
    else put_le<uint16_t>(out, static_cast<uint16_t>(l));
  }
  for (auto p : ev.params) {
    const size_t l = std::min(p.size(), max_param);
    out.insert(out.end(), p.begin(), p.begin() + static_cast<std::ptrdiff_t>(l));
  }
}

int64_t ScapRecordEncoder::clone_caller(const EventView& record) {
  const uint16_t t = record.type();
  if (t != KE_CLONE && t != KE_CLONE3 && t != KE_FORK && t != KE_VFORK) return 0;
  const EventInfo& info = record.info();
  auto res = info.param_index("res");
  auto ptid = info.param_index("ptid");
  if (!res || !ptid || record.param_int(*res).value_or(-1) != 0) return 0;
  return std::max<int64_t>(0, record.param_int(*ptid).value_or(0));
}

void ScapRecordEncoder::encode_event(const EventView& record, uint16_t scap_id, size_t n, bool caller_side) {
  ScapEventOut& out = events_[n];
  std::vector<uint8_t>& buf = bufs_[n];
  std::vector<size_t>& ends = ends_[n];
  const EventRow& row = *find_event(scap_id);
  auto [it, fresh] = slots_.try_emplace(scap_id);
  if (fresh) {
    const EventInfo& info = event_info(row.kestrel_type);
    for (const ParamRow& p : row.params) {
      auto idx = p.kestrel.empty() ? std::nullopt : info.param_index(p.kestrel);
      it->second.push_back(idx ? int(*idx) : -1);
    }
  }
  const std::vector<int>& slots = it->second;
  buf.clear();
  ends.clear();
  for (size_t i = 0; i < row.params.size(); ++i) {
    const ParamRow& p = row.params[i];
    const int k = slots[i];
    const std::span<const uint8_t> raw = k >= 0 ? record.param(uint16_t(k)) : std::span<const uint8_t>{};
    if (size_t width = fixed_size(p.type)) {
      uint64_t v = 0;
      if (caller_side && p.name == "res") {
        v = record.tid();  // the caller sees the child's tid
      } else if (caller_side && p.name == "vtid" && record.param_int(uint16_t(k)) == int64_t(record.tid())) {
        // libsinsp takes vtid != the event's tid for "the caller is in a
        // container" and then ignores the caller's side; on the host the
        // caller's vtid is its own tid.
        v = static_cast<uint64_t>(clone_caller(record));
      } else if (!raw.empty()) {
        if (auto s = record.param_int(uint16_t(k))) v = to_ppm(p.convert, static_cast<uint64_t>(*s));
      }
      for (size_t b = 0; b < width; ++b) buf.push_back(static_cast<uint8_t>(v >> (8 * b)));  // little-endian
    } else if (is_string(p.type)) {
      // Up to the first NUL (Kestrel's strings carry one), then one NUL.
      size_t n = 0;
      while (n < raw.size() && raw[n] != 0) ++n;
      buf.insert(buf.end(), raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(n));
      buf.push_back(0);
    } else {
      buf.insert(buf.end(), raw.begin(), raw.end());
    }
    ends.push_back(buf.size());
  }
  out.id = scap_id;
  out.ts = record.ts();
  out.tid = caller_side ? static_cast<uint64_t>(clone_caller(record)) : record.tid();
  // Plugin events belong to no thread: libscap writes tid -1 for them.
  if (row.kestrel_type == KE_PLUGINEVENT) out.tid = UINT64_MAX;
  out.large_payload = row.large_payload;
  out.params.clear();
  size_t start = 0;
  for (size_t end : ends) {
    out.params.emplace_back(buf.data() + start, end - start);
    start = end;
  }
}

std::span<const ScapEventOut> ScapRecordEncoder::encode(const EventView& record) {
  const EventRow* row = written_row(record.type());
  if (row == nullptr) {
    ++not_written_[record.type()];
    return {};
  }
  // The written exit's enter is the row before it (even id), by the
  // table's construction; checked there is one that models the same type.
  const EventRow* enter = nullptr;
  if (row->dir == Direction::kExit) {
    const EventRow* e = find_event(static_cast<uint16_t>(row->id - 1));
    if (e != nullptr && e->dir == Direction::kEnter && e->kestrel_type == row->kestrel_type) enter = e;
  }
  size_t n = 0;
  for (bool caller_side : {true, false}) {
    if (caller_side && clone_caller(record) == 0) continue;
    if (enter) encode_event(record, enter->id, n++, caller_side);
    encode_event(record, row->id, n++, caller_side);
  }
  return std::span<const ScapEventOut>(events_.data(), n);
}

}  // namespace kestrel::scap
