#include "engine/output_tokens.h"

#include <cctype>

namespace kestrel::engine {
namespace {

bool is_field_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

OutputToken make_token(size_t begin, size_t end, std::string field) {
  OutputToken t;
  t.begin = begin;
  t.end = end;
  t.name = field;
  if (auto open = t.name.find('['); open != std::string::npos && t.name.back() == ']') {
    t.arg = t.name.substr(open + 1, t.name.size() - open - 2);
    t.name.resize(open);
  }
  t.field = std::move(field);
  return t;
}

}  // namespace

std::vector<OutputToken> parse_output_tokens(std::string_view format) {
  std::vector<OutputToken> out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    size_t start = i + 1;
    if (start < format.size() && format[start] == '(') {
      size_t close = format.find(')', start);
      size_t stop = close == std::string_view::npos ? format.size() : close + 1;
      size_t inner_end = close == std::string_view::npos ? format.size() : close;
      out.push_back(make_token(i, stop, std::string(format.substr(start + 1, inner_end - start - 1))));
      i = stop - 1;
      continue;
    }
    size_t end = start;
    while (end < format.size() && is_field_char(format[end])) ++end;
    if (end < format.size() && format[end] == '[') {
      size_t close = format.find(']', end);
      if (close != std::string_view::npos) end = close + 1;
    }
    std::string token(format.substr(start, end - start));
    size_t stop = end;
    while (!token.empty() && token.back() == '.') {
      token.pop_back();
      --stop;
    }
    if (!token.empty()) out.push_back(make_token(i, stop, std::move(token)));
    i = stop > 0 ? stop - 1 : stop;
  }
  return out;
}

}  // namespace kestrel::engine
