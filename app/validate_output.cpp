#include "app/validate_output.h"

#include <fstream>
#include <map>
#include <sstream>

#include "app/cli.h"

namespace kestrel {
namespace {

// The files' text, read once, for offsets and snippets.
class FileTexts {
 public:
  const std::string& text(const std::string& path) {
    auto [it, fresh] = texts_.try_emplace(path);
    if (fresh) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream all;
      all << in.rdbuf();
      it->second = all.str();
    }
    return it->second;
  }

 private:
  std::map<std::string, std::string> texts_;
};

struct Position {
  int line = 0, column = 0;  // 0-based, as Falco's (yaml-cpp marks)
  size_t offset = 0;
  bool known = false;
};

Position position_of(const engine::ItemLocation& where, const std::string& text) {
  Position p;
  if (where.line <= 0) return p;
  p.line = where.line - 1;
  p.column = where.column > 0 ? where.column - 1 : 0;
  size_t offset = 0;
  for (int line = 0; line < p.line && offset < text.size(); ++line) {
    size_t nl = text.find('\n', offset);
    offset = nl == std::string::npos ? text.size() : nl + 1;
  }
  p.offset = std::min(text.size(), offset + static_cast<size_t>(p.column));
  p.known = true;
  return p;
}

// Falco's snippet: the line at the position (at most 160 characters around
// it) and a caret under the position.
std::string snippet_of(const Position& p, const std::string& text) {
  if (!p.known || text.empty()) return "<No context available>\n";
  size_t begin = p.offset;
  while (begin > 0 && text[begin - 1] != '\n' && p.offset - begin < 80) --begin;
  size_t end = p.offset;
  while (end < text.size() && text[end] != '\n' && end - p.offset < 80) ++end;
  std::string line = text.substr(begin, end - begin);
  if (line.empty()) return "<No context available>\n";
  return line + "\n" + std::string(p.offset - begin, ' ') + "^\n";
}

nlohmann::json location(const std::string& item_type, const std::string& item_name, const std::string& file,
                        const Position& p) {
  return {{"item_type", item_type},
          {"item_name", item_name},
          {"position", {{"name", file}, {"line", p.line}, {"column", p.column}, {"offset", p.offset}}}};
}

nlohmann::json message_json(const engine::LoadMessage& m, const std::string& step_path, FileTexts& files) {
  const std::string file = m.where.file.empty() ? step_path : m.where.file;
  const std::string& text = files.text(file);
  const Position at = position_of(m.where, text);
  nlohmann::json locations = nlohmann::json::array();
  locations.push_back(location("rules content", "", file, Position{}));
  if (m.item_type != "rules content") locations.push_back(location(m.item_type, m.item_name, file, at));
  return {{"code", m.code},
          // Falco's codedesc is the code's one-line summary for errors (its
          // error_desc returns error_str); the same summary for warnings.
          {"codedesc", std::string(engine::load_code_summary(m.code))},
          {"message", m.message},
          {"context", {{"locations", locations}, {"snippet", snippet_of(at, text)}}}};
}

}  // namespace

nlohmann::json falco_load_results_json(const std::vector<engine::ValidationResult>& results) {
  FileTexts files;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& r : results) {
    const std::string name = r.paths.empty() ? std::string() : r.paths.front();
    nlohmann::json errors = nlohmann::json::array(), warnings = nlohmann::json::array();
    for (const auto& m : r.result.messages()) (m.is_error ? errors : warnings).push_back(message_json(m, name, files));
    all.push_back({{"name", name}, {"successful", r.ok()}, {"errors", errors}, {"warnings", warnings}});
  }
  return {{"falco_load_results", all}};
}

int run_validate(const std::vector<std::string>& paths, bool json_output,
                 std::span<const engine::LoadedPluginVersion> plugins, const engine::FieldRegistry& fields,
                 std::ostream& out, std::ostream& err) {
  const auto results = engine::validate_rules_in_order(paths, fields);
  for (const auto& r : results) {
    if (auto unmet = engine::unmet_plugin_requirement(r.required_plugin_versions, plugins, engine::built_in_plugins())) {
      err << "kestrel: " << *unmet << "\n";
      return kExitFailure;
    }
  }
  bool ok = true;
  for (const auto& r : results) {
    ok = ok && r.ok();
    if (!json_output) engine::print_validation(out, r);
    else if (!r.ok()) engine::print_validation(err, r);
  }
  if (json_output)
    out << falco_load_results_json(results).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return ok ? kExitOk : kExitFailure;
}

}  // namespace kestrel
