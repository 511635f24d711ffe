#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <variant>

#include "app/config/config.h"
#include "app/config/config_schema.h"
#include "app/config/falco_keys.h"

namespace kestrel {
namespace {

constexpr std::string_view kPriorities[] = {"emergency", "alert",  "critical",      "error",
                                            "warning",   "notice", "informational", "info", "debug"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::vector<std::string> split_dots(std::string_view key) {
  std::vector<std::string> parts;
  std::stringstream ss{std::string(key)};
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  return parts;
}

// The node at a dotted path, or an invalid node. (yaml-cpp's Node::operator=
// assigns through to the tree, so walking must rebind with reset().)
YAML::Node lookup(const YAML::Node& root, std::string_view dotted) {
  YAML::Node cur;
  cur.reset(root);
  for (const auto& part : split_dots(dotted)) {
    const YAML::Node& parent = cur;
    if (!parent.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node next = parent[part];
    if (!next) return next;
    cur.reset(next);
  }
  return cur;
}

// Where a YAML layer came from, for error messages.
struct Origin {
  std::string name;   // file path or "-o KEY=VALUE"
  bool has_marks;     // yaml-cpp marks are meaningful (parsed from a file)
};

Status error_at(const Origin& origin, const YAML::Node& node, std::string message) {
  SourcePosition where{.file = origin.name};
  if (origin.has_marks && node.Mark().line >= 0) {
    where.line = node.Mark().line + 1;
    where.column = node.Mark().column + 1;
  }
  return Status(StatusCode::kInvalidArgument, std::move(message), where);
}

// plugins: a list of maps with a string name and library_path, an optional
// init_config (string or map) and open_params (string); nothing else.
Status check_plugin_list(const YAML::Node& node, const Origin& origin) {
  auto bad = [&](const YAML::Node& at, std::string what) {
    return error_at(origin, at, "config key 'plugins': " + what);
  };
  if (node.IsNull()) return ok_status();
  if (!node.IsSequence()) return bad(node, "expected a list of {name, library_path, init_config, open_params}");
  for (const auto& item : node) {
    if (!item.IsMap()) return bad(item, "each plugin must be a map");
    for (const auto& kv : item) {
      const std::string k = kv.first.as<std::string>();
      if (k == "init_config") {
        if (!kv.second.IsScalar() && !kv.second.IsMap() && !kv.second.IsNull())
          return bad(kv.second, "init_config must be a string or a map");
      } else if (k == "name" || k == "library_path" || k == "open_params") {
        if (!kv.second.IsScalar() && !kv.second.IsNull()) return bad(kv.second, "'" + k + "' must be a string");
      } else {
        return bad(kv.first, "unknown plugin key '" + k + "' (name, library_path, init_config, open_params)");
      }
    }
    if (!item["name"] || !item["name"].IsScalar() || item["name"].Scalar().empty())
      return bad(item, "each plugin needs a name");
    if (!item["library_path"] || !item["library_path"].IsScalar() || item["library_path"].Scalar().empty())
      return bad(item, "plugin '" + item["name"].Scalar() + "' needs a library_path");
  }
  return ok_status();
}

constexpr std::string_view kMergeStrategies[] = {"append", "override", "add-only"};

// config_files: a list of paths or {path, strategy}.
Status check_config_files(const YAML::Node& node, const Origin& origin) {
  auto bad = [&](const YAML::Node& at, std::string what) {
    return error_at(origin, at, "config key 'config_files': " + what);
  };
  if (node.IsNull()) return ok_status();
  if (!node.IsSequence()) return bad(node, "expected a list of paths or {path, strategy}");
  for (const auto& item : node) {
    if (item.IsScalar()) continue;
    if (!item.IsMap()) return bad(item, "each entry must be a path or {path, strategy}");
    for (const auto& kv : item) {
      const std::string k = kv.first.as<std::string>();
      if (k != "path" && k != "strategy") return bad(kv.first, "unknown key '" + k + "' (path, strategy)");
      if (!kv.second.IsScalar()) return bad(kv.second, "'" + k + "' must be a string");
    }
    if (!item["path"]) return bad(item, "an entry needs a path");
    if (const YAML::Node st = item["strategy"]; st && std::find(std::begin(kMergeStrategies), std::end(kMergeStrategies),
                                                                st.Scalar()) == std::end(kMergeStrategies))
      return bad(st, "strategy '" + st.Scalar() + "' is not one of: append, override, add-only");
  }
  return ok_status();
}

// append_output: a list of {match: {rule, source, tags}, extra_output,
// extra_fields: [name | {name: format}], suggested_output}.
Status check_append_output(const YAML::Node& node, const Origin& origin) {
  auto bad = [&](const YAML::Node& at, std::string what) {
    return error_at(origin, at, "config key 'append_output': " + what);
  };
  if (node.IsNull()) return ok_status();
  if (!node.IsSequence()) return bad(node, "expected a list of {match, extra_output, extra_fields, suggested_output}");
  for (const auto& item : node) {
    if (!item.IsMap()) return bad(item, "each entry must be a map");
    for (const auto& kv : item) {
      const std::string k = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (k == "match") {
        if (!v.IsMap()) return bad(v, "match must be a map of rule, source, tags");
        for (const auto& m : v) {
          const std::string mk = m.first.as<std::string>();
          if (mk == "rule" || mk == "source") {
            if (!m.second.IsScalar()) return bad(m.second, "match." + mk + " must be a string");
          } else if (mk == "tags") {
            if (!m.second.IsSequence()) return bad(m.second, "match.tags must be a list of strings");
            for (const auto& t : m.second)
              if (!t.IsScalar()) return bad(t, "match.tags must be a list of strings");
          } else {
            return bad(m.first, "unknown match key '" + mk + "' (rule, source, tags)");
          }
        }
      } else if (k == "extra_output") {
        if (!v.IsScalar()) return bad(v, "extra_output must be a string");
      } else if (k == "suggested_output") {
        bool b;
        if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) return bad(v, "suggested_output must be true or false");
      } else if (k == "extra_fields") {
        if (!v.IsSequence()) return bad(v, "extra_fields must be a list");
        for (const auto& f : v) {
          if (f.IsScalar()) continue;
          if (!f.IsMap() || f.size() != 1 || !f.begin()->second.IsScalar())
            return bad(f, "each extra field is a field name or {name: format}");
        }
      } else {
        return bad(kv.first, "unknown key '" + k + "' (match, extra_output, extra_fields, suggested_output)");
      }
    }
  }
  return ok_status();
}

// A YAML init_config map as the JSON text plugins expect.
nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = yaml_to_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : n) a.push_back(yaml_to_json(e));
    return a;
  }
  if (n.IsNull()) return nullptr;
  const std::string& s = n.Scalar();
  if (n.Tag() != "!") {  // plain scalars: numbers and booleans keep their type
    bool b;
    if (YAML::convert<bool>::decode(n, b) && (s == "true" || s == "false")) return b;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0') return v;
  }
  return s;
}

bool is_choice(const ConfigKey& key, std::string_view text) {
  return std::find(key.choices.begin(), key.choices.end(), text) != key.choices.end();
}

std::string choices_text(const ConfigKey& key) {
  std::string all;
  for (auto c : key.choices) all += (all.empty() ? "" : ", ") + std::string(c);
  return all;
}

// rules: a list of {enable: {rule, tag}} or {disable: {rule, tag}}, each
// naming a rule glob, a tag, or both.
Status check_rules_toggles(const YAML::Node& node, const Origin& origin) {
  auto bad = [&](const YAML::Node& at, std::string what) { return error_at(origin, at, "config key 'rules': " + what); };
  if (node.IsNull()) return ok_status();
  if (!node.IsSequence()) return bad(node, "expected a list of {enable: {rule, tag}} or {disable: {rule, tag}}");
  for (const auto& item : node) {
    if (!item.IsMap() || item.size() != 1) return bad(item, "each entry is one of enable: or disable:");
    const std::string verb = item.begin()->first.as<std::string>();
    const YAML::Node what = item.begin()->second;  // a copy: begin() is a temporary
    if (verb != "enable" && verb != "disable")
      return bad(item.begin()->first, "unknown entry '" + verb + "' (enable, disable)");
    if (!what.IsMap() || what.size() == 0) return bad(what, verb + " needs rule: and/or tag:");
    for (const auto& kv : what) {
      const std::string k = kv.first.as<std::string>();
      if (k != "rule" && k != "tag") return bad(kv.first, "unknown key '" + k + "' (rule, tag)");
      if (!kv.second.IsScalar() || kv.second.Scalar().empty()) return bad(kv.second, k + " must be a non-empty string");
    }
  }
  return ok_status();
}

// fleet.correlations: a list of {name, rule, key, nodes, window, priority},
// every key required; names unique (they become alerts' rule names).
Status check_correlations(const YAML::Node& node, const Origin& origin) {
  auto bad = [&](const YAML::Node& at, std::string what) {
    return error_at(origin, at, "config key 'fleet.correlations': " + what);
  };
  if (node.IsNull()) return ok_status();
  if (!node.IsSequence()) return bad(node, "expected a list of {name, rule, key, nodes, window, priority}");
  std::set<std::string> names;
  for (const auto& item : node) {
    if (!item.IsMap()) return bad(item, "each entry must be a map of name, rule, key, nodes, window, priority");
    for (const auto& kv : item) {
      const std::string k = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (k != "name" && k != "rule" && k != "key" && k != "nodes" && k != "window" && k != "priority")
        return bad(kv.first, "unknown key '" + k + "' (name, rule, key, nodes, window, priority)");
      if (!v.IsScalar() || v.Scalar().empty()) return bad(v, k + " must be a non-empty value");
      const std::string text = v.Scalar();
      if (k == "nodes") {
        uint64_t n = 0;
        if (!YAML::convert<uint64_t>::decode(v, n) || n == 0 || n > 100000)
          return bad(v, "nodes '" + text + "' is not a count of nodes from 1 to 100000");
      } else if (k == "window") {
        auto d = parse_duration(text);
        if (!d.ok()) return bad(v, d.status().message());
        if (d->count() == 0) return bad(v, "window must be longer than 0");
      } else if (k == "priority") {
        if (std::find(std::begin(kPriorities), std::end(kPriorities), lower(text)) == std::end(kPriorities))
          return bad(v, "'" + text + "' is not a priority (emergency, alert, critical, error, warning, notice, "
                        "informational, debug)");
      }
    }
    for (const char* required : {"name", "rule", "key", "nodes", "window", "priority"})
      if (!item[required]) return bad(item, std::string("entry needs ") + required + ":");
    if (!names.insert(item["name"].Scalar()).second)
      return bad(item["name"], "two correlations are named '" + item["name"].Scalar() + "'");
  }
  return ok_status();
}

Status check_value(const ConfigKey& key, const YAML::Node& node, const Origin& origin) {
  const std::string name(key.path);
  auto bad = [&](std::string what) {
    return error_at(origin, node, "config key '" + name + "': " + what);
  };
  if (key.type == ConfigType::kSection) {
    if (!node.IsMap()) return bad("expected a map of keys");
    return ok_status();
  }
  if (key.type == ConfigType::kPluginList) return check_plugin_list(node, origin);
  if (key.type == ConfigType::kConfigFiles) return check_config_files(node, origin);
  if (key.type == ConfigType::kAppendOutput) return check_append_output(node, origin);
  if (key.type == ConfigType::kRulesToggles) return check_rules_toggles(node, origin);
  if (key.type == ConfigType::kCorrelations) return check_correlations(node, origin);
  if (key.type == ConfigType::kStringMap) {
    if (node.IsNull()) return ok_status();
    if (!node.IsMap()) return bad("expected a map of key: value");
    for (const auto& kv : node) {
      const std::string k = kv.first.Scalar();
      if (k.empty() || k.find_first_of(" \t[]%") != std::string::npos)
        return error_at(origin, kv.first, "config key '" + name + "': '" + k + "' is not a field name");
      if (!kv.second.IsScalar())
        return error_at(origin, kv.second, "config key '" + name + "': the value of '" + k + "' must be a string");
    }
    return ok_status();
  }
  if (key.type == ConfigType::kStringList || key.type == ConfigType::kEnumList) {
    if (node.IsNull()) return ok_status();
    if (!node.IsSequence()) return bad("expected a list of strings");
    for (const auto& item : node) {
      if (!item.IsScalar()) return error_at(origin, item, "config key '" + name + "': list items must be strings");
      if (key.type == ConfigType::kEnumList && !is_choice(key, item.Scalar()))
        return error_at(origin, item,
                        "config key '" + name + "': '" + item.Scalar() + "' is not one of: " + choices_text(key));
    }
    return ok_status();
  }
  if (!node.IsScalar()) return bad("expected a " + std::string(config_type_name(key.type)));
  const std::string text = node.Scalar();
  switch (key.type) {
    case ConfigType::kBool: {
      bool v;
      if (!YAML::convert<bool>::decode(node, v)) return bad("'" + text + "' is not true or false");
      break;
    }
    case ConfigType::kInt: {
      if (text.empty() || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
        return bad("'" + text + "' is not a non-negative integer");
      break;
    }
    case ConfigType::kFloat: {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      // Any finite number: a key's range is checked where its meaning is
      // known (syscall_event_drops.threshold in [0, 1], with Falco's words).
      if (text.empty() || *end != '\0' || !std::isfinite(v)) return bad("'" + text + "' is not a number");
      break;
    }
    case ConfigType::kEnum: {
      if (!is_choice(key, text)) return bad("'" + text + "' is not one of: " + choices_text(key));
      break;
    }
    case ConfigType::kPriority: {
      if (std::find(std::begin(kPriorities), std::end(kPriorities), lower(text)) == std::end(kPriorities))
        return bad("'" + text + "' is not a priority (emergency, alert, critical, error, warning, notice, "
                   "informational, debug)");
      break;
    }
    case ConfigType::kDuration: {
      if (auto d = parse_duration(text); !d.ok()) return bad(d.status().message());
      break;
    }
    default:
      break;
  }
  return ok_status();
}

// Validates every key of a layer against the schema.
Status validate_layer(const YAML::Node& node, const std::string& prefix, const Origin& origin) {
  if (node.IsNull()) return ok_status();
  if (!node.IsMap()) return error_at(origin, node, "configuration must be a map of keys");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const ConfigKey* schema = find_config_key(path);
    if (!schema) return error_at(origin, kv.first, "unknown config key '" + path + "'");
    if (auto s = check_value(*schema, kv.second, origin); !s.ok()) return s;
    if (schema->type == ConfigType::kSection)
      if (auto s = validate_layer(kv.second, path, origin); !s.ok()) return s;
  }
  return ok_status();
}

// Sets `value` at the dotted `path` of `layer`, creating maps on the way;
// a value already there (the Kestrel key written beside its Falco alias)
// wins. Returns whether it was set.
bool set_if_absent(YAML::Node layer, std::string_view path, const YAML::Node& value) {
  std::vector<std::string> parts = split_dots(path);
  YAML::Node node;
  node.reset(layer);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const YAML::Node& parent = node;
    if (parent[parts[i]] && !parent[parts[i]].IsMap()) return false;  // validate_layer will say why
    if (!parent[parts[i]]) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node child = node[parts[i]];
    node.reset(child);
  }
  const YAML::Node& leaf_parent = node;
  if (leaf_parent[parts.back()]) return false;
  node[parts.back()] = value;
  return true;
}

std::string position(const Origin& origin, const YAML::Node& node) {
  if (!origin.has_marks || node.Mark().line < 0) return origin.name;
  return origin.name + ":" + std::to_string(node.Mark().line + 1);
}

// Rewrites the Falco keys of one layer (falco_keys.h) into Kestrel's, in
// place, before the layer is validated: aliases move to their Kestrel key,
// keys without a use are removed with a warning, a feature Kestrel lacks
// set to anything but Falco's default is an error at its position.
class FalcoKeyTranslation {
 public:
  FalcoKeyTranslation(const Origin& origin, std::vector<std::string>& warnings)
      : origin_(origin), warnings_(warnings) {}

  Status run(YAML::Node layer) {
    if (!layer.IsMap()) return ok_status();
    if (Status s = walk(layer, ""); !s.ok()) return s;
    for (auto& [target, value] : moved_) set_if_absent(layer, target, value);
    return ok_status();
  }

 private:
  Status walk(YAML::Node map, const std::string& prefix) {
    std::vector<std::string> remove;
    for (auto kv : map) {
      const std::string key = kv.first.as<std::string>();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      const FalcoKey* falco = find_falco_key(path);
      const ConfigKey* own = find_config_key(path);
      if (path == "engine.kind" && kv.second.IsScalar()) {
        kv.second = YAML::Node(falco_engine_kind(kv.second.Scalar()));
        continue;
      }
      if (!falco) {
        if (own && own->type == ConfigType::kSection && kv.second.IsMap())
          if (Status s = walk(kv.second, path); !s.ok()) return s;
        continue;
      }
      switch (falco->kind) {
        case FalcoKeyKind::kSection: {
          if (!kv.second.IsMap()) return error_at(origin_, kv.second, "config key '" + path + "': expected a map of keys");
          if (Status s = walk(kv.second, path); !s.ok()) return s;
          // What is left of a Falco-only section are keys neither knows.
          for (const auto& rest : kv.second)
            return error_at(origin_, rest.first, "unknown config key '" + path + "." + rest.first.as<std::string>() + "'");
          remove.push_back(key);
          break;
        }
        case FalcoKeyKind::kAlias: {
          // reset(), not operator=: assigning a Node writes through to the
          // node it refers to, here the one still in the user's tree.
          YAML::Node value;
          value.reset(kv.second);
          if (falco->convert) {
            auto converted = falco->convert(kv.second);
            if (!converted.ok())
              return error_at(origin_, kv.second, "config key '" + path + "': " + converted.status().message());
            value.reset(*converted);
          }
          if (path == "outputs_queue.capacity" && value.IsScalar() && value.Scalar() == "0") {
            warnings_.push_back(position(origin_, kv.first) + ": '" + path +
                                "' 0 (unbounded in Falco) keeps Kestrel's bounded queue (outputs.queue_capacity): "
                                "alerts beyond it are dropped and counted, never queued without bound");
          } else {
            moved_.emplace_back(std::string(falco->target), value);
          }
          remove.push_back(key);
          break;
        }
        case FalcoKeyKind::kDefaultOnly: {
          const YAML::Node only = YAML::Load(std::string(falco->only));
          if (!kv.second.IsScalar() || kv.second.Scalar() != only.Scalar())
            return error_at(origin_, kv.second, "config key '" + path + "': " + std::string(falco->why) +
                                                   " in Kestrel; only Falco's default (" + std::string(falco->only) +
                                                   ") is accepted");
          warnings_.push_back(position(origin_, kv.first) + ": '" + path + "' has no effect in Kestrel (" +
                              std::string(falco->why) + "); its default is accepted");
          remove.push_back(key);
          break;
        }
        case FalcoKeyKind::kNoMeaning:
          warnings_.push_back(position(origin_, kv.first) + ": '" + path + "' has no meaning for Kestrel (" +
                              std::string(falco->why) + "); ignored");
          remove.push_back(key);
          break;
      }
    }
    for (const auto& key : remove) map.remove(key);
    return ok_status();
  }

  const Origin& origin_;
  std::vector<std::string>& warnings_;
  std::vector<std::pair<std::string, YAML::Node>> moved_;
};

// Falco's merge of an included config file (config_files) into the tree
// of the main file and the includes before it, key by key at the top
// level: append adds a list's items to an existing list and otherwise
// replaces; override replaces; add-only keeps existing keys.
void merge_with_strategy(YAML::Node base, const YAML::Node& over, std::string_view strategy) {
  for (const auto& kv : over) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& const_base = base;
    const YAML::Node existing = const_base[key];
    if (existing && strategy == "add-only") continue;
    if (existing && strategy == "append" && existing.IsSequence() && kv.second.IsSequence()) {
      YAML::Node list = base[key];
      for (const auto& item : kv.second) list.push_back(YAML::Clone(item));
      continue;
    }
    base[key] = YAML::Clone(kv.second);
  }
}

// Recursively merges `over` into `base`: maps key by key, anything else replaced.
void merge(YAML::Node base, const YAML::Node& over) {
  for (const auto& kv : over) {
    const std::string key = kv.first.as<std::string>();
    if (kv.second.IsMap() && base[key] && base[key].IsMap()) {
      merge(base[key], kv.second);
    } else {
      base[key] = YAML::Clone(kv.second);
    }
  }
}

Result<YAML::Node> parse_yaml(std::string_view text, const std::string& name) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status(StatusCode::kInvalidArgument, "invalid YAML: " + e.msg,
                  SourcePosition{.file = name, .line = e.mark.line + 1, .column = e.mark.column + 1});
  }
}

// Turns "a.b=v" into the layer {a: {b: v}}; "a.b[]=v" appends v to the
// current list at a.b (taken from `current`).
Result<YAML::Node> override_layer(const std::string& arg, const YAML::Node& current, std::vector<std::string>& warnings) {
  const Origin origin{"-o " + arg, false};
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    return Status(StatusCode::kInvalidArgument, "-o expects key=value, got '" + arg + "'");
  std::string key = arg.substr(0, eq);
  const std::string value_text = arg.substr(eq + 1);
  bool append = key.size() > 2 && key.ends_with("[]");
  if (append) key.resize(key.size() - 2);
  auto value = parse_yaml(value_text, origin.name);
  if (!value.ok()) return value.status();

  const ConfigKey* schema = find_config_key(key);
  const FalcoKey* falco = schema ? nullptr : find_falco_key(key);
  if (!schema && !falco)
    return Status(StatusCode::kInvalidArgument, "unknown config key '" + key + "'", SourcePosition{.file = origin.name});
  YAML::Node leaf = *value;
  if (falco && append)
    return Status(StatusCode::kInvalidArgument, "config key '" + key + "' is not a list; '[]=' appends to lists",
                  SourcePosition{.file = origin.name});
  if (falco) {
  } else if (append) {
    if (schema->type != ConfigType::kStringList && schema->type != ConfigType::kEnumList)
      return Status(StatusCode::kInvalidArgument, "config key '" + key + "' is not a list; '[]=' appends to lists",
                    SourcePosition{.file = origin.name});
    YAML::Node list(YAML::NodeType::Sequence);
    YAML::Node cur = lookup(current, key);
    if (cur && cur.IsSequence())
      for (const auto& item : cur) list.push_back(item);
    list.push_back(leaf);
    leaf.reset(list);
  } else if ((schema->type == ConfigType::kStringList || schema->type == ConfigType::kEnumList) && leaf.IsScalar()) {
    // "-o rules_files=a.yaml" means a one-item list, as in Falco.
    YAML::Node list(YAML::NodeType::Sequence);
    list.push_back(leaf);
    leaf.reset(list);
  }
  // Build {a: {b: leaf}} from the dotted key.
  std::vector<std::string> parts = split_dots(key);
  YAML::Node layer(YAML::NodeType::Map);
  YAML::Node node;
  node.reset(layer);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node child = node[parts[i]];
    node.reset(child);
  }
  node[parts.back()] = leaf;
  if (Status s = FalcoKeyTranslation(origin, warnings).run(layer); !s.ok()) return s;
  if (auto s = validate_layer(layer, "", origin); !s.ok()) return s;
  return layer;
}

std::string read_file(const std::string& path, Status& status) {
  std::ifstream in(path);
  if (!in) {
    status = Status(StatusCode::kNotFound, "cannot read config file '" + path + "'");
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The declared defaults as one YAML tree: {a: {b: default}} for every key.
Result<YAML::Node> defaults_tree() {
  YAML::Node tree(YAML::NodeType::Map);
  for (const auto& key : config_keys()) {
    if (key.type == ConfigType::kSection) continue;
    const std::string origin = "default of config key '" + std::string(key.path) + "'";
    auto value = parse_yaml(key.default_value, origin);
    if (!value.ok()) return value.status();
    std::vector<std::string> parts = split_dots(key.path);
    YAML::Node node;
    node.reset(tree);
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!node[parts[i]]) node[parts[i]] = YAML::Node(YAML::NodeType::Map);
      YAML::Node child = node[parts[i]];
      node.reset(child);
    }
    node[parts.back()] = *value;
  }
  return tree;
}

// One user file, parsed, its Falco keys translated and validated.
Result<YAML::Node> user_layer(const std::string& path, std::vector<std::string>& warnings) {
  Status read_status;
  std::string text = read_file(path, read_status);
  if (!read_status.ok()) return read_status;
  auto user = parse_yaml(text, path);
  if (!user.ok()) return user.status();
  const Origin origin{path, true};
  if (Status s = FalcoKeyTranslation(origin, warnings).run(*user); !s.ok()) return s;
  if (auto s = validate_layer(*user, "", origin); !s.ok()) return s;
  return *user;
}

// The config_files entries of the main file: (path, strategy), in order.
std::vector<std::pair<std::string, std::string>> includes_of(const YAML::Node& main) {
  std::vector<std::pair<std::string, std::string>> out;
  const YAML::Node list = main.IsMap() ? main["config_files"] : YAML::Node();
  if (!list || !list.IsSequence()) return out;
  for (const auto& item : list) {
    if (item.IsScalar()) out.emplace_back(item.Scalar(), "append");
    else out.emplace_back(item["path"].Scalar(), item["strategy"] ? item["strategy"].Scalar() : "append");
  }
  return out;
}

// The main file with its config_files merged in, as Falco does: each entry
// in order, a directory's regular files in lexical order, each with the
// entry's strategy; an included file may not include others; a path that
// does not exist is noted and skipped (Falco ships /etc/falco/config.d
// in config_files whether or not it exists).
Result<YAML::Node> user_tree(const std::string& main_path, ConfigProvenance& provenance) {
  auto main = user_layer(main_path, provenance.warnings);
  if (!main.ok()) return main.status();
  provenance.files.push_back(main_path);
  YAML::Node tree = main->IsNull() ? YAML::Node(YAML::NodeType::Map) : *main;
  for (const auto& [path, strategy] : includes_of(*main)) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<std::string> files;
    if (fs::is_directory(path, ec)) {
      provenance.files.push_back(path);
      for (const auto& entry : fs::directory_iterator(path, ec))
        if (entry.is_regular_file()) files.push_back(entry.path().string());
      std::sort(files.begin(), files.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      provenance.warnings.push_back(main_path + ": config_files: '" + path + "' does not exist; nothing loaded from it");
      continue;
    }
    for (const auto& file : files) {
      auto layer = user_layer(file, provenance.warnings);
      if (!layer.ok()) return layer.status();
      if (layer->IsNull()) continue;
      const YAML::Node& included = *layer;
      if (const YAML::Node nested = included["config_files"])
        return error_at({file, true}, nested, "config key 'config_files': an included config file cannot include others");
      provenance.files.push_back(file);
      merge_with_strategy(tree, *layer, strategy);
    }
  }
  return tree;
}

Result<YAML::Node> merged_tree(const ConfigInputs& inputs, ConfigProvenance& provenance) {
  auto defaults = defaults_tree();
  if (!defaults.ok()) return defaults.status();
  YAML::Node tree = *defaults;
  if (auto s = validate_layer(tree, "", {"<declared defaults>", false}); !s.ok()) return s;
  if (!inputs.file.empty()) {
    auto user = user_tree(inputs.file, provenance);
    if (!user.ok()) return user.status();
    merge(tree, *user);
  }
  for (const auto& arg : inputs.overrides) {
    auto layer = override_layer(arg, tree, provenance.warnings);
    if (!layer.ok()) return layer.status();
    merge(tree, *layer);
  }
  return tree;
}

std::vector<AppendOutput> append_output_list(const YAML::Node& node) {
  std::vector<AppendOutput> entries;
  if (!node.IsSequence()) return entries;
  for (const auto& item : node) {
    AppendOutput a;
    if (const YAML::Node m = item["match"]) {
      if (m["rule"]) a.match_rule = m["rule"].Scalar();
      if (m["source"]) a.match_source = m["source"].Scalar();
      if (m["tags"])
        for (const auto& t : m["tags"]) a.match_tags.push_back(t.Scalar());
    }
    if (item["extra_output"]) a.extra_output = item["extra_output"].Scalar();
    if (item["suggested_output"]) a.suggested_output = item["suggested_output"].as<bool>();
    if (const YAML::Node f = item["extra_fields"])
      for (const auto& field : f) {
        if (field.IsScalar()) a.extra_fields.emplace_back(field.Scalar(), "");
        else a.extra_fields.emplace_back(field.begin()->first.as<std::string>(), field.begin()->second.Scalar());
      }
    entries.push_back(std::move(a));
  }
  return entries;
}

// ${VAR} replaced by the environment variable VAR ("" when unset), as
// Falco's config loader does for its values; text without "${" as is.
std::string expand_env(const std::string& text) {
  std::string out;
  size_t at = 0;
  while (true) {
    size_t open = text.find("${", at);
    size_t close = open == std::string::npos ? open : text.find('}', open + 2);
    if (close == std::string::npos) break;
    out.append(text, at, open - at);
    const char* v = std::getenv(text.substr(open + 2, close - open - 2).c_str());
    out += v ? v : "";
    at = close + 1;
  }
  out.append(text, at);
  return out;
}

std::vector<std::pair<std::string, std::string>> string_map(const YAML::Node& node) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!node.IsMap()) return out;
  for (const auto& kv : node) out.emplace_back(kv.first.Scalar(), expand_env(kv.second.Scalar()));
  return out;
}

std::vector<RulesToggle> rules_toggle_list(const YAML::Node& node) {
  std::vector<RulesToggle> toggles;
  if (!node.IsSequence()) return toggles;
  for (const auto& item : node) {
    RulesToggle t;
    t.enable = item.begin()->first.Scalar() == "enable";
    const YAML::Node what = item.begin()->second;  // a copy: begin() is a temporary
    if (what["rule"]) t.rule = what["rule"].Scalar();
    if (what["tag"]) t.tag = what["tag"].Scalar();
    toggles.push_back(std::move(t));
  }
  return toggles;
}

std::vector<std::string> config_file_list(const YAML::Node& node) {
  std::vector<std::string> out;
  for (const auto& [path, strategy] : includes_of([&] {
         YAML::Node wrapper(YAML::NodeType::Map);
         wrapper["config_files"] = node;
         return wrapper;
       }()))
    out.push_back(path + "\t" + strategy);
  return out;
}

std::vector<PluginConfig> plugin_list(const YAML::Node& node) {
  std::vector<PluginConfig> plugins;
  if (!node.IsSequence()) return plugins;
  for (const auto& p : node) {
    PluginConfig pc;
    pc.name = p["name"].as<std::string>();
    pc.library_path = p["library_path"].as<std::string>();
    if (p["init_config"] && p["init_config"].IsMap()) pc.init_config = yaml_to_json(p["init_config"]).dump();
    else if (p["init_config"] && p["init_config"].IsScalar()) pc.init_config = p["init_config"].Scalar();
    if (p["open_params"] && p["open_params"].IsScalar()) pc.open_params = p["open_params"].Scalar();
    plugins.push_back(std::move(pc));
  }
  return plugins;
}

std::vector<std::string> string_list(const YAML::Node& node) {
  std::vector<std::string> items;
  if (node.IsSequence())
    for (const auto& item : node) items.push_back(item.as<std::string>());
  return items;
}

std::string priority_name(const YAML::Node& node) {
  std::string name = lower(node.as<std::string>());
  return name == "info" ? "informational" : name;
}

std::vector<FleetCorrelation> correlation_list(const YAML::Node& node) {
  std::vector<FleetCorrelation> out;
  if (!node.IsSequence()) return out;
  for (const auto& item : node) {
    FleetCorrelation c;
    c.name = item["name"].Scalar();
    c.rule = item["rule"].Scalar();
    c.key = item["key"].Scalar();
    c.nodes = item["nodes"].as<uint64_t>();
    c.window = parse_duration(item["window"].Scalar()).value();
    c.priority = priority_name(item["priority"]);
    out.push_back(std::move(c));
  }
  return out;
}

// Stores the (validated) value of `key` in its bound member of `config`.
void bind(const ConfigKey& key, const YAML::Node& node, KestrelConfig& config) {
  std::visit(
      [&](auto field) {
        using Field = decltype(field);
        if constexpr (std::is_same_v<Field, ConfigField<bool>>) field(config) = node.as<bool>();
        else if constexpr (std::is_same_v<Field, ConfigField<uint64_t>>) field(config) = node.as<uint64_t>();
        else if constexpr (std::is_same_v<Field, ConfigField<double>>) field(config) = node.as<double>();
        else if constexpr (std::is_same_v<Field, ConfigField<std::string>>)
          field(config) = key.type == ConfigType::kPriority ? priority_name(node) : node.as<std::string>();
        else if constexpr (std::is_same_v<Field, ConfigField<std::vector<std::string>>>)
          field(config) = key.type == ConfigType::kConfigFiles ? config_file_list(node) : string_list(node);
        else if constexpr (std::is_same_v<Field, ConfigField<std::chrono::milliseconds>>)
          field(config) = key.type == ConfigType::kInt ? std::chrono::milliseconds(node.as<uint64_t>())
                                                       : parse_duration(node.as<std::string>()).value();
        else if constexpr (std::is_same_v<Field, ConfigField<std::vector<PluginConfig>>>)
          field(config) = plugin_list(node);
        else if constexpr (std::is_same_v<Field, ConfigField<std::vector<AppendOutput>>>)
          field(config) = append_output_list(node);
        else if constexpr (std::is_same_v<Field, ConfigField<std::vector<RulesToggle>>>)
          field(config) = rules_toggle_list(node);
        else if constexpr (std::is_same_v<Field, ConfigField<std::vector<std::pair<std::string, std::string>>>>)
          field(config) = string_map(node);
        else if constexpr (std::is_same_v<Field, ConfigField<std::vector<FleetCorrelation>>>)
          field(config) = correlation_list(node);
      },
      key.bind);
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) return Status(StatusCode::kInvalidArgument, "'" + std::string(text) + "' is not a duration (e.g. 500ms, 30s, 1m, 1h)");
  uint64_t n = std::stoull(std::string(text.substr(0, digits)));
  std::string_view unit = text.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "" || unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  if (unit == "h") return std::chrono::milliseconds(n * 3'600'000);
  return Status(StatusCode::kInvalidArgument, "'" + std::string(text) + "' is not a duration (e.g. 500ms, 30s, 1m, 1h)");
}

Result<KestrelConfig> load_config(const ConfigInputs& inputs) {
  KestrelConfig config;
  auto tree = merged_tree(inputs, config.provenance);
  if (!tree.ok()) return tree.status();
  for (const auto& key : config_keys())
    if (key.type != ConfigType::kSection) bind(key, lookup(*tree, key.path), config);
  for (const auto& format : inputs.extra_outputs) {
    AppendOutput entry;
    entry.extra_output = format;
    config.append_output.push_back(std::move(entry));
  }
  return config;
}

}  // namespace kestrel
