// output_format.h — a rule's output, compiled once, rendered per alert.
//
// The output text is split into literal chunks and field references
// (%proc.name, %proc.aname[2], %evt.arg.flags, %(fd.name)) by the one
// tokenizer the loader validates with (engine/output_tokens.h); each field
// becomes a slot of the engine's FieldCache, so a field the condition already
// extracted is not extracted again.
//
// Rendering: strings as they are, numbers in decimal, bools as
// true/false, IPs in their text form, multi-valued fields joined with
// spaces, a missing value as "<NA>". output_fields gets one entry per
// distinct token in first-appearance order, typed (numbers stay numbers,
// missing is null); evt.time there is the raw ns timestamp, as in Falco's
// JSON.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/eval/program.h"
#include "engine/alert.h"

namespace kestrel::engine::eval {

class OutputFormat {
 public:
  // Fails when a token names no known field (the message names it).
  static Result<OutputFormat> compile(std::string_view format, FieldCache& cache);

  // Appends the rendered text to `text` and the fields to `fields`.
  void render(EvalState& state, std::string& text,
              std::vector<std::pair<std::string, FieldValue>>& fields) const;

  size_t field_count() const { return keys_.size(); }

 private:
  struct Chunk {
    std::string literal;  // text before the field
    int64_t slot = -1;    // -1: literal only
    int64_t key = -1;     // index into keys_ when this is the key's first use
  };
  std::vector<Chunk> chunks_;
  std::vector<std::string> keys_;
  std::vector<uint32_t> key_slots_;
};

// The text form of a value in outputs ("<NA>" when missing).
void append_value_text(const ExtractedValue& v, std::string& out);
// The typed form for output_fields.
FieldValue to_field_value(const ExtractedValue& v);

}  // namespace kestrel::engine::eval
