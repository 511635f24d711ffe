#include "engine/output_check.h"

#include <cctype>

#include "engine/fields/field_registry.h"

namespace kestrel::engine {
namespace {

bool is_field_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

}  // namespace

std::vector<std::string> output_field_tokens(std::string_view format) {
  std::vector<std::string> out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    size_t start = i + 1;
    if (start < format.size() && format[start] == '(') {
      size_t close = format.find(')', start);
      if (close == std::string_view::npos) close = format.size();
      out.emplace_back(format.substr(start + 1, close - start - 1));
      i = close;
      continue;
    }
    size_t end = start;
    while (end < format.size() && is_field_char(format[end])) ++end;
    if (end < format.size() && format[end] == '[') {
      size_t close = format.find(']', end);
      if (close != std::string_view::npos) end = close + 1;
    }
    std::string token(format.substr(start, end - start));
    // A sentence may end right after a field ("… %fd.name.").
    while (!token.empty() && token.back() == '.') token.pop_back();
    if (!token.empty()) out.push_back(token);
    i = end > 0 ? end - 1 : end;
  }
  return out;
}

std::optional<std::string> check_output(std::string_view format, std::string_view source) {
  for (const auto& token : output_field_tokens(format)) {
    if (!is_field_defined(source, token)) return "invalid formatting token " + token;
  }
  return std::nullopt;
}

}  // namespace kestrel::engine
