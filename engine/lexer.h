// lexer.h — the token scanners of the Falco condition language.
//
// Falco's condition grammar is context sensitive: the same characters are a
// field name, a bare string value or a macro identifier depending on where
// the parser is. So this lexer does not produce one token stream; it offers
// one scanner per token class and the parser (engine/parser.h) asks for the
// class its grammar rule expects at the cursor. A scanner that does not match
// leaves the cursor where it was. Token classes follow libsinsp's
// (userspace/libsinsp/filter/parser.h), so conditions that Falco accepts
// tokenize the same way here.
//
// Positions are 1-based line/column within the condition text plus a byte
// offset; every scanner updates them as it consumes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kestrel::engine {

struct TextPos {
  uint32_t offset = 0;
  int line = 1;
  int column = 1;
  // Which text the position is in: 0 = the condition being parsed; the
  // resolver sets 1 + a macro's index on nodes it copies from that macro,
  // so errors found after expansion point into the macro's own text.
  uint32_t origin = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  TextPos pos() const { return pos_; }
  bool at_end() const { return pos_.offset >= input_.size(); }
  std::string_view rest() const { return input_.substr(pos_.offset); }

  // Skips spaces, tabs, \b, \r and \n. True if at least one was skipped.
  bool skip_blanks();
  // Consumes `literal` if the input continues with it exactly.
  bool accept(std::string_view literal);
  // Consumes "not" followed by at least one blank (the blanks too).
  bool accept_not_blank();
  // Consumes the first of `options` the input continues with; returns it.
  std::optional<std::string_view> accept_one_of(std::initializer_list<std::string_view> options);

  // [a-zA-Z]+[a-zA-Z0-9_]*
  std::optional<std::string> identifier();
  // identifier ('.' identifier)+   e.g. proc.name, evt.arg.flags
  std::optional<std::string> field_name();
  // [^][\"' \t\r\n]+ — a field argument without quotes (proc.aname[2])
  std::optional<std::string> field_arg_bare();
  // 0[xX][0-9a-zA-Z]+
  std::optional<std::string> hex_number();
  // [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?
  std::optional<std::string> number();
  // "…" or '…' with backslash escapes; returns the unescaped contents.
  // A quote that is never closed does not match.
  std::optional<std::string> quoted_string();
  // [^()\"' \t\r\n=,]+
  std::optional<std::string> bare_string();

 private:
  void advance(size_t n);
  char peek(size_t ahead = 0) const {
    return pos_.offset + ahead < input_.size() ? input_[pos_.offset + ahead] : '\0';
  }

  std::string_view input_;
  TextPos pos_;
};

// Undoes the escapes of a quoted string body (\\ \" \' \n \t \r \b \f \xHH).
// Unknown escapes keep their backslash, as Falco does.
std::string unescape_string(std::string_view body);

}  // namespace kestrel::engine
