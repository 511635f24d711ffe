// format.h — rendering a rule's output for an event.
//
// OutputFormat compiles an output string once (tokens resolved to
// extractors, like conditions) and renders it per event: each %field is
// replaced by the field's value, "<NA>" when Kestrel cannot extract it —
// Falco's rendering of a missing field. output_fields() gives the same
// values keyed by field name, for JSON output's "output_fields".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/oracle/extract.h"

namespace kestrel::engine::reference {

class OutputFormat {
 public:
  // Fails (with Falco's "invalid formatting token X") if a token is not a
  // field of `source`.
  static std::optional<OutputFormat> compile(std::string_view format, std::string_view source,
                                             std::string* error = nullptr);

  std::string render(const EvalContext& ctx) const;
  std::map<std::string, std::string> output_fields(const EvalContext& ctx) const;

 private:
  struct Piece {
    std::string text;                 // literal text, or the token name for fields
    bool is_field = false;
    std::optional<Extractor> extractor;  // none: not fillable yet, renders <NA>
  };
  static std::string value_text(const Piece& p, const EvalContext& ctx);
  std::vector<Piece> pieces_;
};

}  // namespace kestrel::engine::reference
