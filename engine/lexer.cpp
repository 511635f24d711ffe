#include "engine/lexer.h"

namespace kestrel::engine {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Lexer::advance(size_t n) {
  for (size_t i = 0; i < n && pos_.offset < input_.size(); ++i) {
    char c = input_[pos_.offset++];
    if (c == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else {
      ++pos_.column;
    }
  }
}

bool Lexer::skip_blanks() {
  size_t n = 0;
  while (is_blank(peek(n))) ++n;
  advance(n);
  return n > 0;
}

bool Lexer::accept(std::string_view literal) {
  if (rest().substr(0, literal.size()) != literal) return false;
  advance(literal.size());
  return true;
}

bool Lexer::accept_not_blank() {
  if (rest().substr(0, 3) != "not" || !is_space(peek(3))) return false;
  size_t n = 3;
  while (is_space(peek(n))) ++n;
  advance(n);
  return true;
}

std::optional<std::string_view> Lexer::accept_one_of(std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (accept(o)) return o;
  }
  return std::nullopt;
}

std::optional<std::string> Lexer::identifier() {
  size_t n = 0;
  while (is_alpha(peek(n))) ++n;
  if (n == 0) return std::nullopt;
  while (is_ident_char(peek(n))) ++n;
  std::string out(rest().substr(0, n));
  advance(n);
  return out;
}

std::optional<std::string> Lexer::field_name() {
  // Scan without consuming: an identifier, then one or more ".identifier".
  auto ident_len = [&](size_t at) {
    size_t n = 0;
    while (is_alpha(peek(at + n))) ++n;
    if (n == 0) return size_t{0};
    while (is_ident_char(peek(at + n))) ++n;
    return n;
  };
  size_t n = ident_len(0);
  if (n == 0) return std::nullopt;
  int parts = 0;
  while (peek(n) == '.') {
    size_t m = ident_len(n + 1);
    if (m == 0) break;
    n += 1 + m;
    ++parts;
  }
  if (parts == 0) return std::nullopt;
  std::string out(rest().substr(0, n));
  advance(n);
  return out;
}

std::optional<std::string> Lexer::field_arg_bare() {
  size_t n = 0;
  for (char c = peek(n); c != '\0' && c != '[' && c != ']' && c != '"' && c != '\'' && !is_space(c);
       c = peek(++n)) {
  }
  if (n == 0) return std::nullopt;
  std::string out(rest().substr(0, n));
  advance(n);
  return out;
}

std::optional<std::string> Lexer::hex_number() {
  if (peek() != '0' || (peek(1) != 'x' && peek(1) != 'X')) return std::nullopt;
  size_t n = 2;
  while (is_alpha(peek(n)) || is_digit(peek(n))) ++n;
  if (n == 2) return std::nullopt;
  std::string out(rest().substr(0, n));
  advance(n);
  return out;
}

std::optional<std::string> Lexer::number() {
  size_t n = 0;
  if (peek() == '+' || peek() == '-') ++n;
  size_t digits = 0;
  while (is_digit(peek(n))) ++n, ++digits;
  if (digits == 0) return std::nullopt;
  if (peek(n) == '.') {
    ++n;
    while (is_digit(peek(n))) ++n;
  }
  if ((peek(n) == 'e' || peek(n) == 'E') && (peek(n + 1) == '+' || peek(n + 1) == '-') && is_digit(peek(n + 2))) {
    n += 2;
    while (is_digit(peek(n))) ++n;
  }
  std::string out(rest().substr(0, n));
  advance(n);
  return out;
}

std::optional<std::string> Lexer::quoted_string() {
  char quote = peek();
  if (quote != '"' && quote != '\'') return std::nullopt;
  size_t n = 1;
  char prev = '\0';
  for (char c = peek(n); c != '\0'; c = peek(++n)) {
    if (c == quote && prev != '\\') {
      std::string out = unescape_string(rest().substr(1, n - 1));
      advance(n + 1);
      return out;
    }
    // An escaped backslash must not escape the closing quote ("a\\").
    prev = (prev == '\\' && c == '\\') ? '\0' : c;
  }
  return std::nullopt;
}

std::optional<std::string> Lexer::bare_string() {
  size_t n = 0;
  for (char c = peek(n); c != '\0' && c != '(' && c != ')' && c != '"' && c != '\'' && c != '=' && c != ',' &&
                         !is_space(c);
       c = peek(++n)) {
  }
  if (n == 0) return std::nullopt;
  std::string out(rest().substr(0, n));
  advance(n);
  return out;
}

std::string unescape_string(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    char e = body[++i];
    switch (e) {
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case '\'': out += '\''; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'x': {
        int hi = i + 1 < body.size() ? hex_value(body[i + 1]) : -1;
        int lo = i + 2 < body.size() ? hex_value(body[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          out += static_cast<char>(hi * 16 + lo);
          i += 2;
        } else {
          out += "\\x";
        }
        break;
      }
      default:
        out += '\\';
        out += e;
    }
  }
  return out;
}

}  // namespace kestrel::engine
