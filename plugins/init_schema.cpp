#include "plugins/init_schema.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "plugins/bounded_json.h"

namespace kestrel::plugin {
namespace {

using nlohmann::json;

constexpr int kMaxSchemaDepth = 64;

std::string type_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "unknown";
  }
}

bool has_type(const json& v, const std::string& t) {
  if (t == "number") return v.is_number();
  if (t == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      double d = v.get<double>();
      return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
  }
  return type_of(v) == t;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  // Empty string: valid; else the first failure.
  std::string check(const json& schema, const json& v, const std::string& path, int depth) {
    if (depth > kMaxSchemaDepth) return path + ": schema nested too deeply (or a $ref loop)";
    if (schema.is_boolean()) return schema.get<bool>() ? "" : path + ": not allowed";
    if (!schema.is_object()) return "";
    if (auto it = schema.find("$ref"); it != schema.end() && it->is_string()) {
      const json* target = resolve(it->get<std::string>());
      if (!target) return path + ": schema $ref '" + it->get<std::string>() + "' cannot be resolved";
      if (std::string e = check(*target, v, path, depth + 1); !e.empty()) return e;
    }
    if (auto it = schema.find("type"); it != schema.end()) {
      bool ok = false;
      std::string wanted;
      if (it->is_string()) {
        wanted = it->get<std::string>();
        ok = has_type(v, wanted);
      } else if (it->is_array()) {
        for (const auto& t : *it) {
          if (!t.is_string()) continue;
          wanted += (wanted.empty() ? "" : " or ") + t.get<std::string>();
          ok = ok || has_type(v, t.get<std::string>());
        }
      } else {
        ok = true;
      }
      if (!ok) return path + ": expected " + wanted + ", got " + type_of(v);
    }
    if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      bool found = false;
      for (const auto& e : *it) found = found || e == v;
      if (!found) return path + ": " + v.dump() + " is not one of " + it->dump();
    }
    if (auto it = schema.find("const"); it != schema.end() && *it != v)
      return path + ": must be " + it->dump() + ", got " + v.dump();
    if (v.is_number()) {
      double d = v.get<double>();
      if (auto it = schema.find("minimum"); it != schema.end() && it->is_number() && d < it->get<double>())
        return path + ": " + v.dump() + " is less than the minimum " + it->dump();
      if (auto it = schema.find("maximum"); it != schema.end() && it->is_number() && d > it->get<double>())
        return path + ": " + v.dump() + " is more than the maximum " + it->dump();
    }
    if (v.is_string()) {
      size_t n = v.get_ref<const std::string&>().size();
      if (auto it = schema.find("minLength"); it != schema.end() && it->is_number_unsigned() && n < it->get<size_t>())
        return path + ": shorter than " + it->dump() + " characters";
      if (auto it = schema.find("maxLength"); it != schema.end() && it->is_number_unsigned() && n > it->get<size_t>())
        return path + ": longer than " + it->dump() + " characters";
    }
    if (v.is_object()) {
      if (std::string e = check_object(schema, v, path, depth); !e.empty()) return e;
    }
    if (v.is_array()) {
      if (auto it = schema.find("minItems"); it != schema.end() && it->is_number_unsigned() && v.size() < it->get<size_t>())
        return path + ": fewer than " + it->dump() + " items";
      if (auto it = schema.find("maxItems"); it != schema.end() && it->is_number_unsigned() && v.size() > it->get<size_t>())
        return path + ": more than " + it->dump() + " items";
      if (auto it = schema.find("items"); it != schema.end() && (it->is_object() || it->is_boolean())) {
        for (size_t i = 0; i < v.size(); ++i)
          if (std::string e = check(*it, v[i], path + "/" + std::to_string(i), depth + 1); !e.empty()) return e;
      }
    }
    if (auto it = schema.find("allOf"); it != schema.end() && it->is_array()) {
      for (const auto& s : *it)
        if (std::string e = check(s, v, path, depth + 1); !e.empty()) return e;
    }
    if (auto it = schema.find("anyOf"); it != schema.end() && it->is_array()) {
      std::string first;
      bool any = false;
      for (const auto& s : *it) {
        std::string e = check(s, v, path, depth + 1);
        if (e.empty()) {
          any = true;
          break;
        }
        if (first.empty()) first = e;
      }
      if (!any) return path + ": matches none of anyOf (" + first + ")";
    }
    if (auto it = schema.find("oneOf"); it != schema.end() && it->is_array()) {
      int matches = 0;
      for (const auto& s : *it) matches += check(s, v, path, depth + 1).empty() ? 1 : 0;
      if (matches != 1) return path + ": matches " + std::to_string(matches) + " of oneOf, not exactly one";
    }
    return "";
  }

 private:
  std::string check_object(const json& schema, const json& v, const std::string& path, int depth) {
    const json* props = nullptr;
    if (auto it = schema.find("properties"); it != schema.end() && it->is_object()) props = &*it;
    if (auto it = schema.find("required"); it != schema.end() && it->is_array()) {
      for (const auto& r : *it)
        if (r.is_string() && !v.contains(r.get<std::string>()))
          return path + "/" + r.get<std::string>() + ": required but missing";
    }
    const json* additional = nullptr;
    if (auto it = schema.find("additionalProperties"); it != schema.end()) additional = &*it;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string key_path = path + "/" + it.key();
      if (props && props->contains(it.key())) {
        if (std::string e = check((*props)[it.key()], it.value(), key_path, depth + 1); !e.empty()) return e;
        continue;
      }
      if (!additional) continue;
      if (additional->is_boolean() && !additional->get<bool>()) return key_path + ": unknown property (not allowed)";
      if (additional->is_object())
        if (std::string e = check(*additional, it.value(), key_path, depth + 1); !e.empty()) return e;
    }
    return "";
  }

  const json* resolve(const std::string& ref) {
    if (ref.rfind("#", 0) != 0) return nullptr;  // only local references
    const json* at = &root_;
    std::string pointer = ref.substr(1);
    size_t pos = 0;
    while (pos < pointer.size()) {
      if (pointer[pos] != '/') return nullptr;
      size_t next = pointer.find('/', pos + 1);
      std::string token = pointer.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
      for (size_t i; (i = token.find("~1")) != std::string::npos;) token.replace(i, 2, "/");
      for (size_t i; (i = token.find("~0")) != std::string::npos;) token.replace(i, 2, "~");
      if (!at->is_object() || !at->contains(token)) return nullptr;
      at = &(*at)[token];
      pos = next == std::string::npos ? pointer.size() : next;
    }
    return at;
  }

  const json& root_;
};

}  // namespace

Result<std::string> validate_init_config(const std::string& schema_text, const std::string& config) {
  json schema;
  json_bounds::JsonError error = json_bounds::parse(schema_text, schema);
  if (error.refusal != json_bounds::JsonRefusal::kNone)
    return Status(StatusCode::kInvalidArgument, "the plugin's init schema is not valid JSON: " + error.message);
  const std::string effective = config.empty() ? "{}" : config;
  json value;
  error = json_bounds::parse(effective, value);
  if (error.refusal != json_bounds::JsonRefusal::kNone)
    return Status(StatusCode::kInvalidArgument,
                  "init_config does not follow the plugin's JSON schema: not JSON: " + error.message);
  Validator validator(schema);
  std::string failure = validator.check(schema, value, "init_config", 0);
  if (!failure.empty())
    return Status(StatusCode::kInvalidArgument, "init_config does not follow the plugin's JSON schema: " + failure);
  return effective;
}

}  // namespace kestrel::plugin
