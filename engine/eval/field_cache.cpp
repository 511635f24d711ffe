// FieldCache: interning operands and per-event memoised extraction.
#include "engine/eval/field_cache.h"

#include "base/ascii.h"

namespace kestrel::engine::eval {
namespace {

int b64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard padded base64; false on any other character or length.
bool b64_decode(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t i = 0;
  for (; i < in.size() && in[i] != '='; ++i) {
    int d = b64_digit(in[i]);
    if (d < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  for (; i < in.size(); ++i) {
    if (in[i] != '=') return false;
  }
  return true;
}

std::string_view basename_of(std::string_view s) {
  size_t slash = s.rfind('/');
  return slash == std::string_view::npos ? s : s.substr(slash + 1);
}

}  // namespace

void apply_transformer(Transformer t, ExtractedValue& v, Scratch& scratch) {
  if (!v.present() || t == Transformer::kVal) return;
  if (t == Transformer::kLen) {
    if (v.kind == ValueKind::kString) {
      v = ExtractedValue::uint64(v.str.size());
    } else if (v.kind == ValueKind::kList) {
      // Multi-valued fields transform value by value (Falco's
      // transform_values), so len() gives one length per value.
      scratch.numbers.clear();
      for (std::string_view item : v.list) scratch.numbers.push_back(item.size());
      ExtractedValue n;
      n.kind = ValueKind::kUintList;
      n.numbers = scratch.numbers;
      v = n;
    } else {
      v = ExtractedValue{};
    }
    return;
  }
  auto one = [&](std::string_view in, std::string& out) -> std::optional<std::string_view> {
    switch (t) {
      case Transformer::kToLower: ascii_map_case(in, out, false); return out;
      case Transformer::kToUpper: ascii_map_case(in, out, true); return out;
      case Transformer::kBasename: return basename_of(in);
      case Transformer::kB64:
        if (!b64_decode(in, out)) return std::nullopt;
        return out;
      default: return in;
    }
  };
  if (v.kind == ValueKind::kString) {
    auto r = one(v.str, scratch.text);
    v = r ? ExtractedValue::string(*r) : ExtractedValue{};
  } else if (v.kind == ValueKind::kList) {
    scratch.strings.resize(v.list.size());
    scratch.items.clear();
    for (size_t i = 0; i < v.list.size(); ++i) {
      auto r = one(v.list[i], scratch.strings[i]);
      if (r) scratch.items.push_back(*r);
    }
    v.list = scratch.items;
  } else {
    v = ExtractedValue{};  // the compiler rejects this; stay safe anyway
  }
}

uint32_t FieldCache::intern(OperandSpec spec) {
  if (auto it = by_key_.find(spec.key); it != by_key_.end()) return it->second;
  by_key_.emplace(spec.key, static_cast<uint32_t>(slots_.size()));
  Slot s;
  s.transform_scratch.resize(spec.transformers.size());
  s.spec = std::move(spec);
  slots_.push_back(std::move(s));
  return static_cast<uint32_t>(slots_.size() - 1);
}

uint32_t FieldCache::intern_result(const std::string& check_key) {
  auto [it, added] = results_by_key_.emplace(check_key, static_cast<uint32_t>(result_gen_.size()));
  if (added) {
    result_gen_.push_back(0);
    result_val_.push_back(0);
  }
  return it->second;
}

void FieldCache::fill(Slot& s, ExtractContext& ctx) {
  ++extractions_;
  s.generation = generation_;
  s.value = s.spec.ref.fn(ctx, s.spec.ref, s.scratch);
  const auto& tr = s.spec.transformers;
  for (size_t i = tr.size(); i-- > 0;) apply_transformer(tr[i], s.value, s.transform_scratch[i]);
}

}  // namespace kestrel::engine::eval
