#include "sources/event/symbols.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>

#include <cstdio>
#include <span>
#include <vector>

#include "sources/event/event_table.h"  // the ABI's named flag values (KESTREL_EXE_*)

namespace kestrel {
namespace {

struct Symbol {
  std::string_view name;
  uint32_t value;
};

enum class SetKind { kFlags, kEnum };

struct SetInfo {
  std::string_view name;
  SetKind kind;
  std::span<const Symbol> symbols;
};

#define KS_SET(NAME, kind) const Symbol syms_##NAME[] = {
#define KS_SYM(NAME, sym) {#sym, static_cast<uint32_t>(sym)},
#define KS_VAL(NAME, sym, v) {#sym, static_cast<uint32_t>(v)},
#define KS_END(NAME) };
#include "sources/event/symbol_sets.def"
#undef KS_SET
#undef KS_SYM
#undef KS_VAL
#undef KS_END

// The .def's FLAGS/ENUM words, as SetKind values.
constexpr SetKind kKind_FLAGS = SetKind::kFlags;
constexpr SetKind kKind_ENUM = SetKind::kEnum;

const SetInfo kSets[] = {
    {"NONE", SetKind::kEnum, {}},
#define KS_SET(NAME, kind) {#NAME, kKind_##kind, syms_##NAME},
#define KS_SYM(NAME, sym)
#define KS_VAL(NAME, sym, v)
#define KS_END(NAME)
#include "sources/event/symbol_sets.def"
#undef KS_SET
#undef KS_SYM
#undef KS_VAL
#undef KS_END
};

const SetInfo& set_info(SymbolSet set) {
  auto i = static_cast<size_t>(set);
  return i < std::size(kSets) ? kSets[i] : kSets[0];
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

void append_name(std::string& out, std::string_view name) {
  if (!out.empty()) out += '|';
  out += name;
}

std::string render_enum(const SetInfo& info, uint32_t value) {
  for (const auto& s : info.symbols)
    if (s.value == value) return std::string(s.name);
  return std::to_string(value);
}

std::string render_flags(const SetInfo& info, uint32_t value) {
  std::string out;
  uint32_t rest = value;
  for (const auto& s : info.symbols) {
    if (s.value != 0 && (value & s.value) == s.value && (rest & s.value)) {
      append_name(out, s.name);
      rest &= ~s.value;
    }
  }
  if (rest) append_name(out, hex(rest));
  return out;
}

}  // namespace

std::string render_symbols(SymbolSet set, uint32_t value) {
  const SetInfo& info = set_info(set);
  switch (set) {
    case SymbolSet::kNONE:
      return "";
    case SymbolSet::kOPEN_FLAGS: {
      // The access mode is a 2-bit value, not flags: O_RDONLY is 0.
      uint32_t acc = value & O_ACCMODE;
      std::string out = acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "O_RDONLY";
      std::string rest = render_flags(info, value & ~static_cast<uint32_t>(O_ACCMODE));
      return rest.empty() ? out : out + "|" + rest;
    }
    case SymbolSet::kSOCKET_TYPES: {
      std::string out = render_enum(set_info(SymbolSet::kSOCKET_KINDS), value & 0xf);
      std::string rest = render_flags(info, value & ~0xfu);
      return rest.empty() ? out : out + "|" + rest;
    }
    default:
      break;
  }
  if (info.kind == SetKind::kEnum) return render_enum(info, value);
  std::string out = render_flags(info, value);
  return out.empty() ? "0" : out;
}

std::optional<uint32_t> symbol_value(SymbolSet set, std::string_view name) {
  if (set == SymbolSet::kOPEN_FLAGS && name == "O_RDONLY") return 0;
  for (const auto& s : set_info(set).symbols)
    if (s.name == name) return s.value;
  if (set == SymbolSet::kSOCKET_TYPES) return symbol_value(SymbolSet::kSOCKET_KINDS, name);
  return std::nullopt;
}

std::string_view symbol_set_name(SymbolSet set) { return set_info(set).name; }

}  // namespace kestrel
