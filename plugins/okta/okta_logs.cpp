#include "plugins/okta/okta_logs.h"

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/bounded_json.h"
#include "plugins/plugin_kit/input_files.h"
#include "plugins/plugin_kit/rfc3339.h"

namespace kestrel::okta {
namespace {

void add_event(const nlohmann::json& e, plugin_kit::ReplayEvents& out) {
  if (!e.is_object()) return;
  uint64_t ts = UINT64_MAX;
  if (auto p = e.find("published"); p != e.end() && p->is_string())
    ts = plugin_kit::rfc3339_ns(p->get<std::string>()).value_or(UINT64_MAX);
  out.add(e.dump(), ts);
}

// One document per non-blank line.
std::string read_lines(const std::string& file, std::string_view text, plugin_kit::ReplayEvents& out) {
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json doc;
    json_bounds::JsonError e = json_bounds::parse(line, doc);
    if (e.refusal != json_bounds::JsonRefusal::kNone)
      return "Okta log '" + file + "' line " + std::to_string(line_no) + ": " + e.message;
    add_event(doc, out);
  }
  return {};
}

}  // namespace

std::string read_okta_logs(const std::string& path, plugin_kit::ReplayEvents& out) {
  std::string error;
  std::vector<std::string> files;
  if (!plugin_kit::input_files(path, {".json", ".jsonl", ".json.gz", ".jsonl.gz"}, files, error)) return error;
  for (const auto& file : files) {
    std::string text;
    if (!plugin_kit::read_input_file(file, text, error)) return error;
    nlohmann::json doc;
    json_bounds::JsonError e = json_bounds::parse(text, doc);
    if (e.refusal == json_bounds::JsonRefusal::kTooDeep) return "Okta log '" + file + "': " + e.message;
    if (e.refusal == json_bounds::JsonRefusal::kNotJson) {
      // Not one document: JSON lines, or not JSON at all (said per line).
      if (std::string err = read_lines(file, text, out); !err.empty()) return err;
      continue;
    }
    if (doc.is_array()) {
      for (const auto& event : doc) add_event(event, out);
    } else if (doc.is_object()) {
      add_event(doc, out);
    } else {
      return "Okta log '" + file + "' holds neither LogEvent objects nor an array of them";
    }
  }
  return {};
}

}  // namespace kestrel::okta
