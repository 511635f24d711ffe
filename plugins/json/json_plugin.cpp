// json_plugin.cpp — Kestrel's generic JSON extractor, a Falco-API (3.x)
// shared library: plugin "json", field extraction only (no event source,
// no id), for any plugin source whose event data is JSON (k8s_audit,
// aws_cloudtrail, okta, github...). Like the upstream json plugin it
// exports no get_extract_event_sources: per the API that means every
// source; on events whose data is not JSON its fields have no value.
//
// Fields (as the upstream json plugin documents them):
//   json.value[<json pointer>]  the value at an RFC 6901 pointer: strings
//                               as they are, anything else as compact JSON
//                               ("false", "3", "null", an object); the
//                               leading '/' may be omitted; array elements
//                               by index (/items/0/instanceId)
//   json.obj                    the whole event, indented
//   json.rawtime                the event time, ns since the epoch
//   jevt.value / jevt.obj / jevt.rawtime   the same, older names
//
// init_config is ignored, as upstream.
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/plugin_abi.h"
#include "plugins/plugin_kit/json_fields.h"
#include "plugins/plugin_kit/plugin_exports.h"

namespace {

using namespace kestrel::plugin_kit;

const std::vector<FieldSpec> kFields = {
    {"json.value", FieldKind::kString, false, ArgForm::kKey, true,
     "the value at a JSON pointer (json.value[/user/name]): strings as they are, other values as JSON"},
    {"json.obj", FieldKind::kString, false, ArgForm::kNone, false, "the whole event JSON, indented"},
    {"json.rawtime", FieldKind::kString, false, ArgForm::kNone, false, "the event time in ns since the epoch (as evt.rawtime)"},
    {"jevt.value", FieldKind::kString, false, ArgForm::kKey, true, "alias of json.value"},
    {"jevt.obj", FieldKind::kString, false, ArgForm::kNone, false, "alias of json.obj"},
    {"jevt.rawtime", FieldKind::kString, false, ArgForm::kNone, false, "alias of json.rawtime"},
};

// One RFC 6901 reference token, unescaped (~1 is '/', ~0 is '~').
std::string unescape(std::string_view token) {
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

const json* walk(const json& root, std::string_view pointer) {
  if (pointer.empty()) return nullptr;  // the argument is required
  if (pointer.front() == '/') pointer.remove_prefix(1);
  const json* cur = &root;
  for (;;) {
    const size_t slash = pointer.find('/');
    const std::string key = unescape(pointer.substr(0, slash));
    if (cur->is_object()) {
      auto it = cur->find(key);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      size_t index = 0;
      auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (ec != std::errc() || p != key.data() + key.size() || index >= cur->size()) return nullptr;
      cur = &(*cur)[index];
    } else {
      return nullptr;
    }
    if (slash == std::string_view::npos) return cur;
    pointer.remove_prefix(slash + 1);
  }
}

std::optional<Values> extract(uint32_t id, const json& event, const FieldArg& arg, uint64_t ts) {
  switch (id % 3) {  // json.* and jevt.* share the order
    case 0: {
      const json* v = walk(event, arg.key);
      if (!v) return std::nullopt;
      return Values{text(*v)};
    }
    case 1: return Values{event.dump(2)};
    default: return Values{std::to_string(ts)};
  }
}

struct State {
  std::string last_error;
  JsonExtractor extractor;
};

}  // namespace

extern "C" {

const char* plugin_get_required_api_version() { return "3.0.0"; }
const char* plugin_get_name() { return "json"; }
// aws_cloudtrail_rules.yaml and k8s_audit_rules.yaml require json 0.7.0.
const char* plugin_get_version() { return "0.7.0"; }
const char* plugin_get_description() { return "Kestrel's JSON field extractor (json.value[/pointer], json.obj, json.rawtime)"; }
const char* plugin_get_contact() { return "Kestrel authors"; }
const char* plugin_get_fields() {
  static const std::string kJson = fields_json(kFields);
  return kJson.c_str();
}

ss_plugin_t* plugin_init(const ss_plugin_init_input*, ss_plugin_rc* rc) {
  return init_plugin<State>(rc);
}

void plugin_destroy(ss_plugin_t* s) { destroy_plugin<State>(s); }

const char* plugin_get_last_error(ss_plugin_t* s) { return last_error<State>(s); }

ss_plugin_rc plugin_extract_fields(ss_plugin_t* s, const ss_plugin_event_input* evt,
                                   const ss_plugin_field_extract_input* in) {
  auto* st = static_cast<State*>(s);
  return guarded<State>(s, "extract_fields", [&]() -> ss_plugin_rc {
    return st->extractor.extract(evt, in, kFields, extract, st->last_error);
  });
}

}  // extern "C"
