#include "engine/output_check.h"

#include "engine/fields/field_registry.h"
#include "engine/output_tokens.h"

namespace kestrel::engine {

std::vector<std::string> output_field_tokens(std::string_view format) {
  std::vector<std::string> out;
  for (auto& token : parse_output_tokens(format)) out.push_back(std::move(token.field));
  return out;
}

std::optional<std::string> check_output(std::string_view format, std::string_view source,
                                        const FieldRegistry& fields) {
  for (const auto& token : parse_output_tokens(format)) {
    if (!fields.lookup(source, token.name, token.arg, nullptr)) return "invalid formatting token " + token.field;
  }
  return std::nullopt;
}

}  // namespace kestrel::engine
