#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "app/config/config.h"
#include "app/config/config_schema.h"

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
      if (text.empty() || *end != '\0' || !(v >= 0)) return bad("'" + text + "' is not a non-negative number");
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
Result<YAML::Node> override_layer(const std::string& arg, const YAML::Node& current) {
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
  if (!schema) return Status(StatusCode::kInvalidArgument, "unknown config key '" + key + "'", SourcePosition{.file = origin.name});
  YAML::Node leaf = *value;
  if (append) {
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

Result<YAML::Node> merged_tree(const ConfigInputs& inputs) {
  auto defaults = parse_yaml(default_config_text(), "<embedded kestrel.yaml>");
  if (!defaults.ok()) return defaults.status();
  YAML::Node tree = *defaults;
  if (auto s = validate_layer(tree, "", {"<embedded kestrel.yaml>", true}); !s.ok()) return s;
  if (!inputs.file.empty()) {
    Status read_status;
    std::string text = read_file(inputs.file, read_status);
    if (!read_status.ok()) return read_status;
    auto user = parse_yaml(text, inputs.file);
    if (!user.ok()) return user.status();
    if (auto s = validate_layer(*user, "", {inputs.file, true}); !s.ok()) return s;
    if (!user->IsNull()) merge(tree, *user);
  }
  for (const auto& arg : inputs.overrides) {
    auto layer = override_layer(arg, tree);
    if (!layer.ok()) return layer.status();
    merge(tree, *layer);
  }
  return tree;
}

template <typename T>
T get(const YAML::Node& tree, std::string_view dotted) {
  return lookup(tree, dotted).as<T>();
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
  auto tree_or = merged_tree(inputs);
  if (!tree_or.ok()) return tree_or.status();
  const YAML::Node& t = *tree_or;
  KestrelConfig c;
  if (t["rules_files"].IsSequence())
    for (const auto& item : t["rules_files"]) c.rules_files.push_back(item.as<std::string>());
  c.priority = lower(get<std::string>(t, "priority"));
  if (c.priority == "info") c.priority = "informational";
  c.rule_matching = get<std::string>(t, "rule_matching");
  c.json_output = get<bool>(t, "json_output");
  c.json_include_output_property = get<bool>(t, "json_include_output_property");
  c.json_include_tags_property = get<bool>(t, "json_include_tags_property");
  c.stdout_output.enabled = get<bool>(t, "stdout_output.enabled");
  c.file_output.enabled = get<bool>(t, "file_output.enabled");
  c.file_output.keep_alive = get<bool>(t, "file_output.keep_alive");
  c.file_output.filename = get<std::string>(t, "file_output.filename");
  c.syslog_output.enabled = get<bool>(t, "syslog_output.enabled");
  c.program_output.enabled = get<bool>(t, "program_output.enabled");
  c.program_output.keep_alive = get<bool>(t, "program_output.keep_alive");
  c.program_output.program = get<std::string>(t, "program_output.program");
  c.http_output.enabled = get<bool>(t, "http_output.enabled");
  c.http_output.url = get<std::string>(t, "http_output.url");
  c.http_output.user_agent = get<std::string>(t, "http_output.user_agent");
  c.output_timeout = std::chrono::milliseconds(get<uint64_t>(t, "output_timeout"));
  c.limits.rules_file_bytes = get<uint64_t>(t, "limits.rules_file_bytes");
  c.outputs.ocsf = get<bool>(t, "outputs.ocsf");
  c.outputs.queue_capacity = get<uint64_t>(t, "outputs.queue_capacity");
  c.outputs.rate = get<uint64_t>(t, "outputs.rate");
  c.outputs.max_burst = get<uint64_t>(t, "outputs.max_burst");
  c.outputs.http_queue_capacity = get<uint64_t>(t, "outputs.http.queue_capacity");
  c.outputs.http_max_backoff = parse_duration(get<std::string>(t, "outputs.http.max_backoff")).value();
  c.outputs.http_timeout = parse_duration(get<std::string>(t, "outputs.http.timeout")).value();
  c.outputs.grpc_wait_subscribers = get<uint64_t>(t, "outputs.grpc.wait_subscribers");
  c.outputs.grpc_wait_timeout = parse_duration(get<std::string>(t, "outputs.grpc.wait_timeout")).value();
  c.outputs.grpc_drain_timeout = parse_duration(get<std::string>(t, "outputs.grpc.drain_timeout")).value();
  c.grpc.enabled = get<bool>(t, "grpc.enabled");
  c.grpc.bind_address = get<std::string>(t, "grpc.bind_address");
  c.grpc.threadiness = get<uint64_t>(t, "grpc.threadiness");
  c.grpc.private_key = get<std::string>(t, "grpc.private_key");
  c.grpc.cert_chain = get<std::string>(t, "grpc.cert_chain");
  c.grpc.root_certs = get<std::string>(t, "grpc.root_certs");
  c.grpc_output.enabled = get<bool>(t, "grpc_output.enabled");
  c.webserver.enabled = get<bool>(t, "webserver.enabled");
  c.webserver.listen_port = get<uint64_t>(t, "webserver.listen_port");
  c.webserver.listen_address = get<std::string>(t, "webserver.listen_address");
  c.syscall_event_drops.threshold = get<double>(t, "syscall_event_drops.threshold");
  c.syscall_event_drops.actions.clear();
  if (t["syscall_event_drops"]["actions"].IsSequence())
    for (const auto& item : t["syscall_event_drops"]["actions"])
      c.syscall_event_drops.actions.push_back(item.as<std::string>());
  c.metrics.output_file = get<std::string>(t, "metrics.output_file");
  c.engine.kind = get<std::string>(t, "engine.kind");
  c.engine.ebpf_buf_size = get<uint64_t>(t, "engine.ebpf.buf_size");
  c.engine.ebpf_cpus_for_each_buffer = get<uint64_t>(t, "engine.ebpf.cpus_for_each_buffer");
  c.engine.kmod_buf_size = get<uint64_t>(t, "engine.kmod.buf_size");
  c.engine.gvisor_enabled = get<bool>(t, "engine.gvisor.enabled");
  c.engine.gvisor_config = get<std::string>(t, "engine.gvisor.config");
  c.engine.gvisor_root = get<std::string>(t, "engine.gvisor.root");
  c.engine.gvisor_max_connections = get<uint64_t>(t, "engine.gvisor.max_connections");
  c.engine.gvisor_max_connections_per_peer = get<uint64_t>(t, "engine.gvisor.max_connections_per_peer");
  c.engine.gvisor_handshake_timeout = parse_duration(get<std::string>(t, "engine.gvisor.handshake_timeout")).value();
  c.state.max_threads = get<uint64_t>(t, "state.max_threads");
  c.state.max_fds_per_process = get<uint64_t>(t, "state.max_fds_per_process");
  if (t["plugins"] && t["plugins"].IsSequence()) {
    for (const auto& p : t["plugins"]) {
      PluginConfig pc;
      pc.name = p["name"].as<std::string>();
      pc.library_path = p["library_path"].as<std::string>();
      if (p["init_config"] && p["init_config"].IsMap()) pc.init_config = yaml_to_json(p["init_config"]).dump();
      else if (p["init_config"] && p["init_config"].IsScalar()) pc.init_config = p["init_config"].Scalar();
      if (p["open_params"] && p["open_params"].IsScalar()) pc.open_params = p["open_params"].Scalar();
      c.plugins.push_back(std::move(pc));
    }
  }
  if (t["load_plugins"] && t["load_plugins"].IsSequence())
    for (const auto& item : t["load_plugins"]) c.load_plugins.push_back(item.as<std::string>());
  c.metrics.enabled = get<bool>(t, "metrics.enabled");
  c.metrics.interval = parse_duration(get<std::string>(t, "metrics.interval")).value();
  return c;
}

}  // namespace kestrel
