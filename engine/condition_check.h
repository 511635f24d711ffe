// condition_check.h — load-time validation of a resolved condition against
// the fields of its source.
//
// For every check: the field exists in the source (with the argument form
// it takes), transformers apply to its type, the operator applies to the
// (transformed) type, every value parses as that type (numbers, booleans,
// IP addresses and networks, hex byte strings for bcontains/bstartswith),
// regex values compile with RE2, and evt.type values are known event names.
// Errors carry the position of the offending node.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/ast.h"
#include "engine/fields/field_registry.h"

namespace kestrel::engine {

struct CheckError {
  std::string message;
  TextPos pos;
  // Falco lets `skip-if-unknown-filter: true` turn these into warnings:
  // unknown fields and unknown event types.
  bool unknown_field_or_type = false;
};

// Fields are looked up in `fields` (the app's registry, with its loaded
// plugins' fields).
std::optional<CheckError> check_condition(const Expr& e, std::string_view source,
                                          const FieldRegistry& fields = builtin_field_registry(), int depth = 0);

// Falco's LOAD_UNSAFE_NA_CHECK: an equality-like check (=, ==, !=, in,
// intersects, pmatch) of a ka.* or jevt.* field against "<NA>" — those
// plugins return "<NA>" for missing values, so such checks misfire. Returns
// the position of the first one.
std::optional<TextPos> find_unsafe_na_check(const Expr& e, int depth = 0);

}  // namespace kestrel::engine
