// json_fields.h — what our JSON-event plugins (cloudtrail, github, okta,
// json) share for field extraction: a field table (name, type, argument
// form) reported by get_fields, and the extract_fields plumbing that parses
// an event's JSON once per event number and hands back values the plugin
// owns until the next call.
//
// Each plugin supplies only its table and a function from (field, event
// JSON, argument) to values; values are strings, converted here to the
// field's declared type ("uint64": decimal text; "bool": "true"/"false").
// A field without values has res_len 0, which the host reads as "<NA>".
//
// Header-only, like bounded_json.h: the plugins link no Kestrel library.
#pragma once

#include <charconv>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/bounded_json.h"
#include "plugins/plugin_abi.h"
#include "plugins/plugin_kit/plugin_event.h"

namespace kestrel::plugin_kit {

using json = nlohmann::json;
using Values = std::vector<std::string>;

enum class FieldKind { kString, kUint64, kBool };
enum class ArgForm { kNone, kIndex, kKey };

struct FieldSpec {
  std::string_view name;
  FieldKind kind = FieldKind::kString;
  bool is_list = false;
  ArgForm arg = ArgForm::kNone;
  bool arg_required = false;
  std::string_view desc;
};

// The get_fields JSON of `table` (field_id = index in the table).
inline std::string fields_json(const std::vector<FieldSpec>& table) {
  json arr = json::array();
  for (const auto& f : table) {
    const char* type = f.kind == FieldKind::kUint64 ? "uint64" : f.kind == FieldKind::kBool ? "bool" : "string";
    json e = {{"name", f.name}, {"type", type}, {"desc", f.desc}};
    if (f.is_list) e["isList"] = true;
    if (f.arg != ArgForm::kNone)
      e["arg"] = {{"isRequired", f.arg_required}, {"isIndex", f.arg == ArgForm::kIndex}, {"isKey", f.arg == ArgForm::kKey}};
    arr.push_back(std::move(e));
  }
  return arr.dump();
}

// The value at `keys` below `j`, or nullptr when a step is missing or not
// an object.
inline const json* at(const json& j, std::initializer_list<std::string_view> keys) {
  const json* cur = &j;
  for (std::string_view k : keys) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// A JSON value as field text: strings as they are, anything else as its
// compact JSON ("true", "201", an object).
inline std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// One value at `keys`; nullopt when absent or null.
inline std::optional<Values> value_at(const json& j, std::initializer_list<std::string_view> keys) {
  const json* v = at(j, keys);
  if (!v || v->is_null()) return std::nullopt;
  return Values{text(*v)};
}

// A field request's argument.
struct FieldArg {
  bool present = false;
  uint64_t index = 0;
  std::string key;
};

// (field id, event JSON, argument, event time in ns) -> values or nullopt.
using FieldFn = std::function<std::optional<Values>(uint32_t id, const json& event, const FieldArg& arg, uint64_t ts)>;

// Per-plugin-state extraction: the last parsed event and the value storage
// whose pointers extract_fields hands back.
class JsonExtractor {
 public:
  // Called once per new event number, after parsing (stateful fields
  // such as okta's counters update here); may be empty.
  std::function<void(const json& event, uint64_t ts)> on_new_event;

  // plugin_extract_fields for `table`; SS_PLUGIN_FAILURE with `error`
  // set when the event is not a plugin event.
  ss_plugin_rc extract(const ss_plugin_event_input* evt, const ss_plugin_field_extract_input* in,
                       const std::vector<FieldSpec>& table, const FieldFn& fn, std::string& error) {
    std::string_view data;
    if (!evt || !plugin_event_data(evt->evt, &data)) {
      error = "extract_fields: not a plugin event";
      return SS_PLUGIN_FAILURE;
    }
    if (evt->evtnum != parsed_evtnum_ || data != raw_) {
      raw_.assign(data);
      // Event data may come from a capture file: depth-bounded like input.
      json_bounds::parse(raw_, parsed_);
      parsed_evtnum_ = evt->evtnum;
      if (on_new_event && !parsed_.is_discarded()) on_new_event(parsed_, evt->evt->ts);
    }
    strs_.assign(in->num_fields, {});
    ptrs_.assign(in->num_fields, {});
    nums_.assign(in->num_fields, {});
    bools_.assign(in->num_fields, {});
    for (uint32_t i = 0; i < in->num_fields; ++i) {
      ss_plugin_extract_field& f = in->fields[i];
      f.res_len = 0;
      if (parsed_.is_discarded() || f.field_id >= table.size()) continue;
      FieldArg arg;
      arg.present = f.arg_present != 0;
      arg.index = f.arg_index;
      if (f.arg_key) arg.key = f.arg_key;
      std::optional<Values> values = fn(f.field_id, parsed_, arg, evt->evt->ts);
      if (!values || values->empty()) continue;
      const FieldSpec& spec = table[f.field_id];
      if (!spec.is_list) values->resize(1);
      set(i, f, spec.kind, std::move(*values));
    }
    return SS_PLUGIN_SUCCESS;
  }

  // The raw JSON text of the last event extracted from.
  const std::string& raw() const { return raw_; }

 private:
  void set(uint32_t i, ss_plugin_extract_field& f, FieldKind kind, Values values) {
    switch (kind) {
      case FieldKind::kString:
        strs_[i] = std::move(values);
        for (const auto& s : strs_[i]) ptrs_[i].push_back(s.c_str());
        f.res.str = ptrs_[i].data();
        f.res_len = ptrs_[i].size();
        return;
      case FieldKind::kUint64:
        for (const auto& s : values) {
          uint64_t v = 0;
          auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
          if (ec == std::errc() && p == s.data() + s.size()) nums_[i].push_back(v);
        }
        f.res.u64 = nums_[i].data();
        f.res_len = nums_[i].size();
        return;
      case FieldKind::kBool:
        for (const auto& s : values) bools_[i].push_back(s == "true" ? 1 : 0);
        f.res.boolean = bools_[i].data();
        f.res_len = bools_[i].size();
        return;
    }
  }

  uint64_t parsed_evtnum_ = UINT64_MAX;
  std::string raw_;
  json parsed_;
  std::vector<Values> strs_;
  std::vector<std::vector<const char*>> ptrs_;
  std::vector<std::vector<uint64_t>> nums_;
  std::vector<std::vector<ss_plugin_bool>> bools_;
};

}  // namespace kestrel::plugin_kit
