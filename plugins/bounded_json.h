// bounded_json.h — the one place where Kestrel's plugin host and its
// k8saudit plugin parse JSON they did not write (webhook bodies, audit event
// files, event data re-parsed for extraction, a plugin's get_fields and
// list_open_params answers).
//
// Why: nlohmann's parser is iterative, but what runs on the tree afterwards
// is not — dump(), recursive walks, even our own collectors recurse once
// per nesting level. A 40 KB body of 20,000 '[' is enough to overflow the
// stack. So nesting is checked *before* the tree is built, by a scanner
// that keeps a counter, not a stack: a document deeper than `max_depth` is
// refused with its line and column, and every tree that is built is at most
// `max_depth` deep, so later recursion is bounded by that constant.
//
// The size bound is the caller's (each input has its own, see the table in
// the README); this header only bounds depth.
//
// Header-only on purpose: the k8saudit plugin is a separate shared library
// that links no Kestrel library; both sides include this file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kestrel::json_bounds {

// Nesting limit for JSON from outside. Kubernetes audit events nest about
// 8 deep in Falco's regression files and a few tens for CRDs with an
// openAPIV3Schema in requestObject; 128 leaves room for those and keeps any
// recursion over the tree to a few kilobytes of stack.
inline constexpr size_t kMaxJsonDepth = 128;

// Why a text was refused.
enum class JsonRefusal {
  kNone,
  kNotJson,  // syntax error (or empty)
  kTooDeep,  // nesting beyond the limit
};

// Where: 1-based line and column of the offending byte, and its offset.
struct JsonError {
  JsonRefusal refusal = JsonRefusal::kNone;
  size_t line = 0;
  size_t column = 0;
  size_t offset = 0;
  std::string message;  // "nested deeper than 128 levels at line 3, column 17"
};

// Scans `text` for '[' / '{' outside strings (escapes honoured) and returns
// kTooDeep at the first one that opens level max_depth + 1. It does not
// validate the JSON otherwise. Never recurses; O(n), no allocation.
inline JsonError check_nesting(std::string_view text, size_t max_depth = kMaxJsonDepth) {
  size_t depth = 0, line = 1, line_start = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    }
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        JsonError e;
        e.refusal = JsonRefusal::kTooDeep;
        e.line = line;
        e.column = i - line_start + 1;
        e.offset = i;
        e.message = "JSON nested deeper than " + std::to_string(max_depth) + " levels at line " +
                    std::to_string(line) + ", column " + std::to_string(e.column);
        return e;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return {};
}

// Parses `text` into `out` when it is JSON no deeper than `max_depth`.
// On failure `out` is left discarded and the error says why and where
// (nlohmann's own syntax message carries its line and column).
inline JsonError parse(std::string_view text, nlohmann::json& out, size_t max_depth = kMaxJsonDepth) {
  out = nlohmann::json(nlohmann::json::value_t::discarded);
  if (JsonError e = check_nesting(text, max_depth); e.refusal != JsonRefusal::kNone) return e;
  JsonError e;
  try {
    out = nlohmann::json::parse(text.begin(), text.end());
    return e;
  } catch (const nlohmann::json::parse_error& pe) {
    e.refusal = JsonRefusal::kNotJson;
    e.offset = pe.byte > 0 ? pe.byte - 1 : 0;
    e.line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < e.offset && i < text.size(); ++i)
      if (text[i] == '\n') {
        ++e.line;
        line_start = i + 1;
      }
    e.column = e.offset - line_start + 1;
    e.message = "not JSON at line " + std::to_string(e.line) + ", column " + std::to_string(e.column);
  } catch (const std::exception&) {
    e.refusal = JsonRefusal::kNotJson;
    e.message = "not JSON";
  }
  out = nlohmann::json(nlohmann::json::value_t::discarded);
  return e;
}

inline const char* refusal_name(JsonRefusal r) {
  switch (r) {
    case JsonRefusal::kNone: return "ok";
    case JsonRefusal::kNotJson: return "not_json";
    case JsonRefusal::kTooDeep: return "too_deep";
  }
  return "?";
}

}  // namespace kestrel::json_bounds
