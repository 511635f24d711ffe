// output_check.h — load-time validation of a rule's output format.
//
// An output is text with %field tokens (%proc.name, %proc.aname[2],
// %evt.arg.flags, %(fd.name)); each token must name a field of the rule's
// source, else the rule fails with LOAD_ERR_COMPILE_OUTPUT ("invalid
// formatting token X", Falco's wording). The tokens are output_tokens.h's,
// the same the evaluator renders.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fields/field_registry.h"

namespace kestrel::engine {

// The field tokens of `format` as written, without the '%' ("proc.aname[2]").
std::vector<std::string> output_field_tokens(std::string_view format);

// First invalid token's error message, if any; fields are looked up in
// `fields`.
std::optional<std::string> check_output(std::string_view format, std::string_view source,
                                        const FieldRegistry& fields = builtin_field_registry());

}  // namespace kestrel::engine
