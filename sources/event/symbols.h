// symbols.h — symbolic names for flag and enum param values.
//
// The sets are declared in symbol_sets.def. Rendering follows Falco's text
// forms so rules and outputs read the same: bit sets as "O_WRONLY|O_CREAT",
// enums as "PTRACE_ATTACH"; unknown bits or values are appended in hex so
// nothing a producer sent is hidden.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kestrel {

enum class SymbolSet : uint8_t {
  kNONE = 0,
#define KS_SET(NAME, kind) k##NAME,
#define KS_SYM(NAME, sym)
#define KS_VAL(NAME, sym, v)
#define KS_END(NAME)
#include "sources/event/symbol_sets.def"
#undef KS_SET
#undef KS_SYM
#undef KS_VAL
#undef KS_END
};

// Text form of `value` in `set` ("" for kNONE sets: callers print numbers).
std::string render_symbols(SymbolSet set, uint32_t value);

// Value of one symbol name in a set (for rules comparing against names).
std::optional<uint32_t> symbol_value(SymbolSet set, std::string_view name);

std::string_view symbol_set_name(SymbolSet set);

}  // namespace kestrel
