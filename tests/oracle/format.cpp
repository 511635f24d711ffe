#include "tests/oracle/format.h"

#include <cctype>

namespace kestrel::engine::reference {
namespace {

bool is_field_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

}  // namespace

std::optional<OutputFormat> OutputFormat::compile(std::string_view format, std::string_view source,
                                                  std::string* error) {
  OutputFormat out;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) out.pieces_.push_back(Piece{std::move(literal), false, std::nullopt});
    literal.clear();
  };
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      literal += format[i];
      continue;
    }
    // Same token rules as engine/output_check.cpp.
    size_t start = i + 1, end = start;
    std::string token;
    if (start < format.size() && format[start] == '(') {
      end = format.find(')', start);
      if (end == std::string_view::npos) end = format.size();
      token = std::string(format.substr(start + 1, end - start - 1));
      ++end;
    } else {
      while (end < format.size() && is_field_char(format[end])) ++end;
      if (end < format.size() && format[end] == '[') {
        size_t close = format.find(']', end);
        if (close != std::string_view::npos) end = close + 1;
      }
      token = std::string(format.substr(start, end - start));
      while (!token.empty() && token.back() == '.') {
        token.pop_back();
        --end;
      }
    }
    if (token.empty()) {
      literal += '%';
      continue;
    }
    std::optional<std::string> arg;
    std::string name = token;
    if (auto open = name.find('['); open != std::string::npos && name.back() == ']') {
      arg = name.substr(open + 1, name.size() - open - 2);
      name = name.substr(0, open);
    }
    std::string err;
    auto lookup = builtin_field_registry().lookup(source, name, arg, &err);
    if (!lookup) {
      if (error) *error = "invalid formatting token " + token;
      return std::nullopt;
    }
    flush();
    out.pieces_.push_back(Piece{token, true, make_extractor(*lookup)});
    i = end - 1;
  }
  flush();
  return out;
}

std::string OutputFormat::value_text(const Piece& p, const EvalContext& ctx) {
  if (!p.extractor) return "<NA>";
  FieldValue v;
  p.extractor->fn(ctx, *p.extractor, v);
  switch (v.kind) {
    case FieldValue::Kind::kAbsent: return "<NA>";
    case FieldValue::Kind::kString: return std::string(v.str);
    case FieldValue::Kind::kNumber: return std::to_string(v.num);
    case FieldValue::Kind::kBool: return v.num ? "true" : "false";
    case FieldValue::Kind::kIp: return v.ips.at(0).to_string();
    case FieldValue::Kind::kList: {
      std::string out;
      for (size_t i = 0; i < v.list.size(); ++i) out += (i ? " " : "") + v.list[i];
      return out;
    }
  }
  return "<NA>";
}

std::string OutputFormat::render(const EvalContext& ctx) const {
  std::string out;
  for (const auto& p : pieces_) out += p.is_field ? value_text(p, ctx) : p.text;
  return out;
}

std::map<std::string, std::string> OutputFormat::output_fields(const EvalContext& ctx) const {
  std::map<std::string, std::string> out;
  for (const auto& p : pieces_) {
    if (p.is_field) out[p.text] = value_text(p, ctx);
  }
  return out;
}

}  // namespace kestrel::engine::reference
