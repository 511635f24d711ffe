#include "plugins/cloudtrail/cloudtrail_logs.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/bounded_json.h"
#include "plugins/plugin_kit/input_files.h"
#include "plugins/plugin_kit/rfc3339.h"

namespace kestrel::cloudtrail {

LogRead read_cloudtrail_logs(const std::string& path, plugin_kit::ReplayEvents& out) {
  LogRead result;
  std::vector<std::string> files;
  if (!plugin_kit::input_files(path, {".json", ".json.gz"}, files, result.error)) return result;
  const bool named_directly = files.size() == 1 && files[0] == path;
  for (const auto& file : files) {
    std::string text;
    if (!plugin_kit::read_input_file(file, text, result.error)) return result;
    nlohmann::json doc;
    json_bounds::JsonError e = json_bounds::parse(text, doc);
    if (e.refusal != json_bounds::JsonRefusal::kNone) {
      result.error = "CloudTrail log '" + file + "': " + e.message;
      return result;
    }
    auto records = doc.is_object() ? doc.find("Records") : doc.end();
    if (!doc.is_object() || records == doc.end() || !records->is_array()) {
      if (named_directly) {
        result.error = "CloudTrail log '" + file + "' is not a log file: it needs a \"Records\" array";
        return result;
      }
      ++result.files_skipped;
      continue;
    }
    for (const auto& record : *records) {
      if (!record.is_object()) continue;
      uint64_t ts = UINT64_MAX;
      if (auto t = record.find("eventTime"); t != record.end() && t->is_string())
        ts = plugin_kit::rfc3339_ns(t->get<std::string>()).value_or(UINT64_MAX);
      out.add(record.dump(), ts);
    }
    ++result.files_read;
  }
  return result;
}

}  // namespace kestrel::cloudtrail
