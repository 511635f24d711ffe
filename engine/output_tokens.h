// output_tokens.h — the field tokens of a rule's output text.
//
// An output is text with field tokens: %proc.name, %proc.aname[2],
// %evt.arg.flags, %(fd.name). This is the one tokenizer: the loader
// validates the tokens (output_check.h) and the evaluator renders them
// (eval/output_format.h), so what is checked is what is printed.
//
// Rules: '%' then either "(...)" (the field is what the parentheses hold)
// or a run of [A-Za-z0-9_.] optionally followed by "[...]"; dots that end
// the run are text, not field ("… %fd.name." ends a sentence). A '%'
// followed by neither is literal text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::engine {

struct OutputToken {
  size_t begin = 0, end = 0;       // the whole "%…" span in the format
  std::string field;               // as written, with its argument: "proc.aname[2]"
  std::string name;                // without it: "proc.aname"
  std::optional<std::string> arg;  // "2"; nullopt without brackets
};

// The tokens of `format` in order of appearance.
std::vector<OutputToken> parse_output_tokens(std::string_view format);

}  // namespace kestrel::engine
