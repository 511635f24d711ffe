// OutputFormat: compile and render rule outputs.
#include "engine/eval/output_format.h"

#include <charconv>

#include "engine/eval/compile.h"
#include "engine/output_tokens.h"

namespace kestrel::engine::eval {
namespace {

void append_number(std::string& out, auto n) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, p);
}

}  // namespace

void append_value_text(const ExtractedValue& v, std::string& out) {
  switch (v.kind) {
    case ValueKind::kMissing: out.append("<NA>"); return;
    case ValueKind::kString: out.append(v.str); return;
    case ValueKind::kInt: append_number(out, v.i); return;
    case ValueKind::kUint: append_number(out, v.u); return;
    case ValueKind::kBool: out.append(v.b ? "true" : "false"); return;
    case ValueKind::kIp: out.append(v.ip.to_string()); return;
    case ValueKind::kList:
      for (size_t i = 0; i < v.list.size(); ++i) {
        if (i) out.push_back(' ');
        out.append(v.list[i]);
      }
      return;
    case ValueKind::kUintList:
      for (size_t i = 0; i < v.numbers.size(); ++i) {
        if (i) out.push_back(' ');
        append_number(out, v.numbers[i]);
      }
      return;
  }
}

FieldValue to_field_value(const ExtractedValue& v) {
  switch (v.kind) {
    case ValueKind::kMissing: return std::monostate{};
    case ValueKind::kInt: return v.i;
    case ValueKind::kUint: return v.u;
    case ValueKind::kBool: return v.b;
    default: {
      std::string s;
      append_value_text(v, s);
      return s;
    }
  }
}

Result<OutputFormat> OutputFormat::compile(std::string_view format, FieldCache& cache) {
  OutputFormat f;
  size_t pos = 0;
  for (const OutputToken& t : parse_output_tokens(format)) {
    Chunk c;
    c.literal.assign(format.substr(pos, t.begin - pos));
    pos = t.end;
    FieldOperand op;
    op.field = t.name;
    op.arg = t.arg;
    // evt.time in output_fields is the raw timestamp (Falco's JSON).
    auto slot = compile_operand(op, cache);
    if (!slot.ok()) return Status(StatusCode::kInvalidArgument, "invalid formatting token " + t.field + ": " +
                                                                    slot.status().message());
    c.slot = *slot;
    int64_t key = -1;
    for (size_t k = 0; k < f.keys_.size(); ++k) {
      if (f.keys_[k] == t.field) key = static_cast<int64_t>(k);
    }
    if (key < 0) {
      f.keys_.push_back(t.field);
      if (t.field == "evt.time") {
        FieldOperand raw;
        raw.field = "evt.rawtime";
        auto rs = compile_operand(raw, cache);
        if (!rs.ok()) return rs.status();
        f.key_slots_.push_back(*rs);
      } else {
        f.key_slots_.push_back(*slot);
      }
      c.key = static_cast<int64_t>(f.keys_.size() - 1);
    }
    f.chunks_.push_back(std::move(c));
  }
  if (pos < format.size()) {
    Chunk tail;
    tail.literal.assign(format.substr(pos));
    f.chunks_.push_back(std::move(tail));
  }
  return f;
}

void OutputFormat::render(EvalState& state, std::string& text,
                          std::vector<std::pair<std::string, FieldValue>>& fields) const {
  for (const Chunk& c : chunks_) {
    text.append(c.literal);
    if (c.slot < 0) continue;
    append_value_text(state.cache.get(static_cast<uint32_t>(c.slot), state.ctx), text);
    if (c.key >= 0) {
      auto k = static_cast<size_t>(c.key);
      fields.emplace_back(keys_[k], to_field_value(state.cache.get(key_slots_[k], state.ctx)));
    }
  }
}

}  // namespace kestrel::engine::eval
