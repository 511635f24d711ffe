#include "engine/rule_reader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <deque>
#include <filesystem>
#include <fstream>
#include <streambuf>

#include "engine/rule_collector.h"

namespace kestrel::engine {
namespace {

// Reading is not a hot path and yaml-cpp throws on conversion, so inside this
// file a failed check throws ReadError; read_rules_content catches it per
// document and turns it into a LoadMessage. Nothing escapes this file.
struct ReadError {
  LoadError code;
  ItemContext ctx;
  std::string message;
};

struct Reader {
  std::string file;
  const std::string& content;
  RuleCollection& out;
  LoadResult& result;
  RuleCollector collector;

  ItemContext context(const YAML::Node& node, std::string type, std::string name) const {
    ItemContext ctx{std::move(type), std::move(name), ItemLocation{file, 0, 0}};
    YAML::Mark m = node.Mark();
    if (m.line >= 0) {
      ctx.where.line = m.line + 1;
      ctx.where.column = m.column + 1;
    }
    return ctx;
  }

  // The physical lines of a scalar's text (see ScalarLines).
  ScalarLines scalar_lines(const YAML::Node& node) const {
    constexpr int kMaxLines = 2000;
    ScalarLines out;
    out.start = context(node, "", "").where;
    out.length = node.IsScalar() ? static_cast<uint32_t>(node.Scalar().size()) : 0;
    YAML::Mark m = node.Mark();
    if (m.pos < 0 || static_cast<size_t>(m.pos) >= content.size()) return out;
    size_t p = static_cast<size_t>(m.pos);
    int line = m.line + 1;
    int column = m.column + 1;
    char c = content[p];
    bool first_inline = true;
    bool block = c == '>' || c == '|';
    size_t block_indent = std::string::npos;  // block scalars keep deeper indentation
    if (block) {
      p = content.find('\n', p);
      if (p == std::string::npos) return out;
      ++p;
      ++line;
      first_inline = false;
    } else if (c == '"' || c == '\'') {
      ++p;
      ++column;
    }
    // locate() walks the spans consuming length + 1 each and never takes an
    // offset past `length`: once the spans cover more than that, the lines
    // after them (the rest of the file) can never be reached.
    uint64_t covered = 0;
    for (int i = 0; i < kMaxLines && p < content.size() && covered <= out.length; ++i, ++line) {
      if (!first_inline) {
        size_t indent = 0;
        while (p + indent < content.size() && content[p + indent] == ' ') ++indent;
        if (block) {
          if (block_indent == std::string::npos) block_indent = indent;
          indent = std::min(indent, block_indent);
        }
        p += indent;
        column = static_cast<int>(indent) + 1;
      }
      first_inline = false;
      size_t eol = content.find('\n', p);
      if (eol == std::string::npos) eol = content.size();
      size_t len = eol - p;
      if (len > 0 && content[eol - 1] == '\r') --len;
      out.lines.push_back(ScalarLines::Span{line, column, static_cast<uint32_t>(len)});
      covered += len + 1;
      p = eol + 1;
    }
    return out;
  }

  [[noreturn]] static void fail(const ItemContext& ctx, std::string msg,
                                LoadError code = LoadError::kYamlValidate) {
    throw ReadError{code, ctx, std::move(msg)};
  }

  static void check(const std::optional<ItemFailure>& f) {
    if (f) throw ReadError{f->code, f->ctx, f->message};
  }

  // Falco's decode_val: required (or optional) non-empty scalar of type T.
  template <typename T>
  bool decode(const YAML::Node& item, const char* key, T& out, const ItemContext& ctx, bool optional) {
    const YAML::Node val = item[key];
    if (!val.IsDefined() && optional) return false;
    if (!val.IsDefined()) fail(ctx, std::string("Item has no mapping for key '") + key + "'");
    if (val.IsNull()) fail(ctx, std::string("Mapping for key '") + key + "' is empty");
    if (!val.IsScalar()) fail(ctx, "Value is not a scalar value");
    if (val.Scalar().empty()) fail(ctx, "Value must be non-empty");
    if (!YAML::convert<T>::decode(val, out)) fail(ctx, "Can't decode YAML scalar value");
    return true;
  }

  bool decode_string_seq(const YAML::Node& item, const char* key, std::vector<std::string>& out,
                         const ItemContext& ctx, bool optional) {
    const YAML::Node val = item[key];
    if (!val.IsDefined() && optional) return false;
    if (!val.IsDefined()) fail(ctx, std::string("Item has no mapping for key '") + key + "'");
    if (val.IsNull() && optional) return true;
    if (!val.IsSequence()) fail(ctx, "Value is not a sequence");
    for (const auto& v : val) {
      if (!v.IsScalar()) fail(ctx, "sequence value is not scalar");
      out.push_back(v.Scalar());
    }
    return true;
  }

  // override: {key: append|replace}; returns (append keys, replace keys).
  void decode_overrides(const YAML::Node& item, const std::set<std::string>& can_append,
                        const std::set<std::string>& can_replace, std::set<std::string>& append,
                        std::set<std::string>& replace, const ItemContext& ctx) {
    const YAML::Node val = item["override"];
    if (!val.IsDefined()) return;
    if (!val.IsMap()) fail(ctx, "Value of override must be a mapping");
    for (auto it = val.begin(); it != val.end(); ++it) {
      const YAML::Node key_node = it->first;  // iterator proxies are temporaries
      const YAML::Node op_node = it->second;
      std::string key = key_node.IsScalar() ? key_node.Scalar() : "";
      std::string op = op_node.IsScalar() ? op_node.Scalar() : "";
      if (op == "append") {
        if (!can_append.count(key)) fail(ctx, "Key '" + key + "' cannot be appended to, use 'replace' instead");
        append.insert(key);
      } else if (op == "replace") {
        if (!can_replace.count(key)) fail(ctx, "Key '" + key + "' cannot be replaced");
        replace.insert(key);
      } else {
        std::string allowed;
        if (can_append.count(key)) allowed += "append ";
        if (can_replace.count(key)) allowed += "replace ";
        fail(ctx, "Invalid override operation for key '" + key + "': '" + op + "'. Allowed values are: " + allowed);
      }
    }
  }

  void decode_exception_entry(const YAML::Node& val, const char* key, ExceptionEntry& out, const ItemContext& ctx,
                              bool optional) {
    if (!val.IsDefined() && optional) return;
    if (!val.IsDefined()) fail(ctx, std::string("Item has no mapping for key '") + key + "'");
    if (val.IsScalar()) {
      if (val.Scalar().empty()) fail(ctx, "Value must be non-empty");
      out.defined = true;
      out.is_list = false;
      out.item = val.Scalar();
    } else if (val.IsSequence()) {
      out.defined = true;
      out.is_list = true;
      for (const auto& v : val) {
        ExceptionEntry e;
        decode_exception_entry(v, key, e, ctx, false);
        out.items.push_back(std::move(e));
      }
    }
  }

  std::vector<ExceptionInfo> read_exceptions(const YAML::Node& item, const ItemContext& /*parent*/, bool append) {
    std::vector<ExceptionInfo> out;
    const YAML::Node exs = item["exceptions"];
    if (!exs.IsDefined() || exs.IsNull()) return out;
    if (!exs.IsSequence()) fail(context(exs, "exceptions", ""), "Rule exceptions must be a sequence");
    for (const auto& ex : exs) {
      ItemContext tmp = context(ex, "exception", "");
      if (!ex.IsMap()) fail(tmp, "Rule exception must be a mapping");
      std::string name;
      decode(ex, "name", name, tmp, false);
      ExceptionInfo info;
      info.ctx = context(ex, "exception", name);
      warn_unknown_keys(ex, {"name", "fields", "comps", "values"}, info.ctx);
      info.name = name;
      for (const auto& prev : out) {
        if (prev.name == name) fail(info.ctx, "Exceptions names in the same object must be unique");
      }
      decode_exception_entry(ex["fields"], "fields", info.fields, info.ctx, append);
      decode_exception_entry(ex["comps"], "comps", info.comps, info.ctx, true);
      const YAML::Node vals = ex["values"];
      if (vals.IsDefined()) {
        if (!vals.IsSequence()) fail(info.ctx, "Rule exception values must be a sequence");
        for (const auto& v : vals) {
          ExceptionEntry e;
          decode_exception_entry(v, "values", e, info.ctx, false);
          info.values.push_back(std::move(e));
        }
      } else if (append) {
        result.add_warning(LoadWarning::kAppendNoValues, info.ctx.item_type, info.ctx.item_name, info.ctx.where,
                           "Overriding/appending exception with no values");
      }
      out.push_back(std::move(info));
    }
    return out;
  }

  // Falco's LOAD_UNKNOWN_KEY: a key the item type does not have (a typo,
  // or a property on the wrong item) is ignored with a warning.
  void warn_unknown_keys(const YAML::Node& item, std::initializer_list<std::string_view> known,
                         const ItemContext& ctx) {
    for (auto it = item.begin(); it != item.end(); ++it) {
      const YAML::Node key_node = it->first;
      if (!key_node.IsScalar()) continue;
      const std::string& key = key_node.Scalar();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      result.add_warning(LoadWarning::kUnknownKey, ctx.item_type, ctx.item_name, ctx.where,
                         "Unknown key '" + key + "'. The key will be ignored.");
    }
  }

  std::set<std::string> read_tags(const YAML::Node& item, const ItemContext& ctx) {
    std::vector<std::string> tags;
    decode_string_seq(item, "tags", tags, ctx, true);
    return {tags.begin(), tags.end()};
  }

  Priority read_priority(const YAML::Node& item, const ItemContext& ctx) {
    std::string text;
    decode(item, "priority", text, ctx, false);
    auto p = parse_priority(text);
    if (!p) fail(context(item["priority"], ctx.item_type, ctx.item_name), "Invalid priority");
    return *p;
  }

  void read_item(const YAML::Node& item);
  void read_engine_version(const YAML::Node& item);
  void read_plugin_versions(const YAML::Node& item);
  void read_list(const YAML::Node& item);
  void read_macro(const YAML::Node& item);
  void read_rule(const YAML::Node& item);
  void read_rule_overrides(const YAML::Node& item, const ItemContext& ctx, const std::string& name,
                           const std::set<std::string>& append, const std::set<std::string>& replace);
};

bool is_identifier(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool is_bare_string(const std::string& s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    return c == '(' || c == ')' || c == '"' || c == '\'' || c == '=' || c == ',' ||
           std::isspace(static_cast<unsigned char>(c));
  });
}

void Reader::read_engine_version(const YAML::Node& item) {
  ItemContext ctx = context(item, "required_engine_version", "");
  std::string text;
  decode(item, "required_engine_version", text, ctx, false);
  std::string version;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) && text.size() < 10) {
    version = "0." + std::to_string(std::stoul(text)) + ".0";
  } else if (std::count(text.begin(), text.end(), '.') == 2) {
    version = text;
  } else {
    fail(ctx, "Can't decode YAML scalar value");
  }
  check(collector.require_engine(version, text, ctx));
}

void Reader::read_plugin_versions(const YAML::Node& item) {
  const YAML::Node reqs = item["required_plugin_versions"];
  ItemContext ctx = context(item, "required_plugin_versions", "");
  if (!reqs.IsSequence()) fail(ctx, "Value of required_plugin_versions must be a sequence");
  for (const auto& plugin : reqs) {
    ItemContext tmp = context(plugin, "required_plugin_versions entry", "");
    if (!plugin.IsMap()) fail(tmp, "Plugin version must be a mapping");
    PluginRequirement r;
    decode(plugin, "name", r.name, tmp, false);
    ItemContext pctx = context(plugin, "required_plugin_versions entry", r.name);
    decode(plugin, "version", r.version, pctx, false);
    std::vector<PluginRequirement> alternatives{r};
    const YAML::Node alts = plugin["alternatives"];
    if (alts.IsDefined()) {
      if (!alts.IsSequence()) fail(pctx, "Value of plugin version alternatives must be a sequence");
      for (const auto& alt : alts) {
        ItemContext actx = context(alt, "required_plugin_versions alternative", "");
        if (!alt.IsMap()) fail(actx, "Plugin version alternative must be a mapping");
        PluginRequirement a;
        decode(alt, "name", a.name, actx, false);
        decode(alt, "version", a.version, actx, false);
        alternatives.push_back(a);
      }
    }
    check(collector.require_plugins(std::move(alternatives), pctx));
  }
}

void Reader::read_list(const YAML::Node& item) {
  std::string name;
  decode(item, "list", name, context(item, "list", ""), false);
  ItemContext ctx = context(item, "list", name);
  if (!is_bare_string(name)) {
    // Falco 0.36 made this a warning before making it an error; the
    // regression suite still loads such names, so Kestrel warns.
    result.add_warning(LoadWarning::kInvalidListName, ctx.item_type, ctx.item_name, ctx.where,
                       "List has an invalid name. List names should match a regular expression: "
                       "([^()\"'[:space:]=,]+)");
  }
  warn_unknown_keys(item, {"list", "items", "append", "override"}, ctx);
  ListInfo info;
  info.ctx = ctx;
  info.name = name;
  decode_string_seq(item, "items", info.items, ctx, false);
  bool append = false;
  decode(item, "append", append, ctx, true);
  std::set<std::string> app, rep;
  decode_overrides(item, {"items"}, {"items"}, app, rep, ctx);
  if (append && (!app.empty() || !rep.empty())) fail(ctx, "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'items: append') under 'override' instead.");
  append = append || app.count("items");
  check(append ? collector.append_list(info) : collector.define_list(std::move(info)));
}

void Reader::read_macro(const YAML::Node& item) {
  std::string name;
  decode(item, "macro", name, context(item, "macro", ""), false);
  ItemContext ctx = context(item, "macro", name);
  if (!is_identifier(name)) {
    result.add_warning(LoadWarning::kInvalidMacroName, ctx.item_type, ctx.item_name, ctx.where,
                       "Macro has an invalid name. Macro names should match a regular expression: "
                       "([a-zA-Z]+[a-zA-Z0-9_]*)");
  }
  warn_unknown_keys(item, {"macro", "condition", "append", "override"}, ctx);
  MacroInfo info;
  info.ctx = ctx;
  info.name = name;
  decode(item, "condition", info.cond, ctx, false);
  info.cond_where = scalar_lines(item["condition"]);
  bool append = false;
  decode(item, "append", append, ctx, true);
  std::set<std::string> app, rep;
  decode_overrides(item, {"condition"}, {"condition"}, app, rep, ctx);
  if (append && (!app.empty() || !rep.empty())) fail(ctx, "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.");
  append = append || app.count("condition");
  check(append ? collector.append_macro(info) : collector.define_macro(std::move(info)));
}

void Reader::read_rule_overrides(const YAML::Node& item, const ItemContext& ctx, const std::string& name,
                                 const std::set<std::string>& append, const std::set<std::string>& replace) {
  static const std::set<std::string> kKeys = {"condition", "output",  "desc",          "priority",
                                              "tags",      "exceptions", "enabled",   "warn_evttypes",
                                              "skip-if-unknown-filter"};
  std::set<std::string> expected;
  for (const auto& k : kKeys) {
    if (item[k].IsDefined()) expected.insert(k);
  }
  auto fill = [&](const std::set<std::string>& keys, const char* kind, bool is_append) {
    RuleUpdate u;
    u.ctx = ctx;
    u.name = name;
    for (const auto& key : keys) {
      if (!expected.count(key)) {
        fail(ctx, std::string("An ") + kind + " override for '" + key + "' was specified but '" + key +
                      "' is not defined");
      }
      expected.erase(key);
      if (key == "condition") u.cond.emplace(), decode(item, "condition", *u.cond, ctx, false);
      if (key == "output") u.output.emplace(), decode(item, "output", *u.output, ctx, false);
      if (key == "desc") u.desc.emplace(), decode(item, "desc", *u.desc, ctx, false);
      if (key == "tags") u.tags = read_tags(item, ctx);
      if (key == "exceptions") u.exceptions = read_exceptions(item, ctx, true);
      if (key == "priority") u.priority = read_priority(item, ctx);
      if (key == "enabled") u.enabled.emplace(), decode(item, "enabled", *u.enabled, ctx, false);
      if (key == "warn_evttypes") u.warn_evttypes.emplace(), decode(item, "warn_evttypes", *u.warn_evttypes, ctx, false);
      if (key == "skip-if-unknown-filter") {
        u.skip_if_unknown_filter.emplace();
        decode(item, "skip-if-unknown-filter", *u.skip_if_unknown_filter, ctx, false);
      }
    }
    check(is_append ? collector.append_rule(std::move(u)) : collector.replace_rule(std::move(u)));
  };
  if (!append.empty()) fill(append, "append", true);
  if (!replace.empty()) fill(replace, "replace", false);
  for (const auto& key : expected) {
    fail(ctx, "Unexpected key '" + key + "': no corresponding entry under 'override' is defined.");
  }
}

void Reader::read_rule(const YAML::Node& item) {
  std::string name;
  decode(item, "rule", name, context(item, "rule", ""), false);
  ItemContext ctx = context(item, "rule", name);
  warn_unknown_keys(item,
                    {"rule", "desc", "condition", "output", "priority", "source", "enabled", "tags", "exceptions",
                     "append", "override", "warn_evttypes", "skip-if-unknown-filter", "capture",
                     "capture_duration"},
                    ctx);
  bool append = false;
  decode(item, "append", append, ctx, true);
  std::set<std::string> app, rep;
  decode_overrides(item, {"condition", "output", "desc", "tags", "exceptions"},
                   {"condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "warn_evttypes",
                    "skip-if-unknown-filter"},
                   app, rep, ctx);
  if (append && (!app.empty() || !rep.empty())) fail(ctx, "Keys 'override' and 'append: true' cannot be used together.");
  if (!app.empty() || !rep.empty()) {
    read_rule_overrides(item, ctx, name, app, rep);
    return;
  }
  if (append) {
    RuleUpdate u;
    u.ctx = ctx;
    u.name = name;
    if (item["condition"].IsDefined()) u.cond.emplace(), decode(item, "condition", *u.cond, ctx, false);
    if (item["exceptions"].IsDefined()) u.exceptions = read_exceptions(item, ctx, true);
    check(collector.append_rule(std::move(u)));
    return;
  }
  if (!item["condition"].IsDefined() && !item["output"].IsDefined() && !item["desc"].IsDefined() &&
      !item["priority"].IsDefined()) {
    bool enabled = true;
    decode(item, "enabled", enabled, ctx, false);
    check(collector.enable_rule(ctx, name, enabled));
    return;
  }
  RuleInfo info;
  info.ctx = ctx;
  info.name = name;
  decode(item, "condition", info.cond, ctx, false);
  info.cond_where = scalar_lines(item["condition"]);
  decode(item, "output", info.output, ctx, false);
  info.output_where = context(item["output"], "", "").where;
  decode(item, "desc", info.desc, ctx, false);
  info.priority = read_priority(item, ctx);
  auto first = info.output.find_first_not_of(" \t\r\n");
  auto last = info.output.find_last_not_of(" \t\r\n");
  info.output = first == std::string::npos ? "" : info.output.substr(first, last - first + 1);
  decode(item, "source", info.source, ctx, true);
  decode(item, "enabled", info.enabled, ctx, true);
  decode(item, "warn_evttypes", info.warn_evttypes, ctx, true);
  decode(item, "skip-if-unknown-filter", info.skip_if_unknown_filter, ctx, true);
  decode(item, "capture", info.capture, ctx, true);
  decode(item, "capture_duration", info.capture_duration_ms, ctx, true);
  info.tags = read_tags(item, ctx);
  info.exceptions = read_exceptions(item, ctx, false);
  check(collector.define_rule(std::move(info), result));
}

void Reader::read_item(const YAML::Node& item) {
  if (!item.IsMap()) {
    fail(context(item, "rules content item", ""),
         "Unexpected element type. Each element should be a yaml associative array.");
  }
  if (item["required_engine_version"].IsDefined()) {
    read_engine_version(item);
  } else if (item["required_plugin_versions"].IsDefined()) {
    read_plugin_versions(item);
  } else if (item["list"].IsDefined()) {
    read_list(item);
  } else if (item["macro"].IsDefined()) {
    read_macro(item);
  } else if (item["rule"].IsDefined()) {
    read_rule(item);
  } else {
    ItemContext ctx = context(item, "rules content item", "");
    result.add_warning(LoadWarning::kUnknownItem, ctx.item_type, ctx.item_name, ctx.where, "Unknown top level item");
  }
}

// An istream over text the caller keeps alive, read in place:
// YAML::LoadAll(const std::string&) copies the whole file into a
// stringstream first (one more file-sized buffer at the peak).
class TextReadBuf : public std::streambuf {
 public:
  explicit TextReadBuf(const std::string& text) {
    // The get area is only read: streambuf's interface wants char*.
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

}  // namespace

bool read_rules_content(std::string_view name, const std::string& content, RuleCollection& out,
                        LoadResult& result, const FieldRegistry& fields) {
  Reader reader{std::string(name), content, out, result, RuleCollector(out, fields)};
  std::deque<YAML::Node> docs;
  try {
    TextReadBuf buf(content);
    std::istream in(&buf);
    std::vector<YAML::Node> loaded = YAML::LoadAll(in);
    docs.insert(docs.end(), loaded.begin(), loaded.end());
  } catch (const YAML::ParserException& e) {
    result.add_error(LoadError::kYamlParse, "rules content", "",
                     ItemLocation{std::string(name), e.mark.line + 1, e.mark.column + 1}, e.what());
    return false;
  } catch (const std::exception& e) {
    result.add_error(LoadError::kYamlParse, "rules content", "", ItemLocation{std::string(name)}, e.what());
    return false;
  }
  // Each document's tree is freed once its items are collected. (Only
  // copies and pops: assigning or swapping YAML::Nodes writes through to
  // the trees they refer to.)
  while (!docs.empty()) {
    const YAML::Node doc = docs.front();
    docs.pop_front();
    if (!doc.IsDefined() || doc.IsNull()) continue;
    try {
      ItemContext ctx = reader.context(doc, "rules content", "");
      if (!doc.IsMap() && !doc.IsSequence()) Reader::fail(ctx, "Rules content is not yaml");
      if (!doc.IsSequence()) Reader::fail(ctx, "Rules content is not yaml array of objects");
      for (const auto& item : doc) {
        if (!item.IsNull()) reader.read_item(item);
      }
    } catch (const ReadError& e) {
      result.add_error(e.code, e.ctx.item_type, e.ctx.item_name, e.ctx.where, e.message);
      return false;
    } catch (const std::exception& e) {
      result.add_error(LoadError::kYamlValidate, "rules content", "", ItemLocation{std::string(name)}, e.what());
      return false;
    }
  }
  return true;
}

bool read_rules_path(const std::string& path, RuleCollection& out, LoadResult& result, uint64_t max_file_bytes,
                     const FieldRegistry& fields) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      auto ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    bool ok = true;
    for (const auto& f : files) ok = read_rules_path(f, out, result, max_file_bytes, fields) && ok;
    return ok;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    result.add_error(LoadError::kFileRead, "rules content", "", ItemLocation{path},
                     "Could not open rules file " + path);
    return false;
  }
  // Read at most one byte past the limit, in chunks: the file may be a pipe,
  // so its size is only a hint, and a buffer of the limit's size would cost
  // 16 MiB for every file however small.
  std::string content;
  std::error_code size_ec;
  const uintmax_t size_hint = fs::file_size(path, size_ec);
  if (!size_ec) content.reserve(static_cast<size_t>(std::min<uintmax_t>(size_hint, max_file_bytes) + 1));
  std::array<char, 64 * 1024> chunk;
  while (content.size() <= max_file_bytes) {
    const uint64_t room = max_file_bytes - content.size();  // bytes still allowed
    const size_t want = room >= chunk.size() ? chunk.size() : static_cast<size_t>(room) + 1;
    in.read(chunk.data(), static_cast<std::streamsize>(want));
    if (in.gcount() <= 0) break;
    content.append(chunk.data(), static_cast<size_t>(in.gcount()));
  }
  if (content.size() > max_file_bytes) {
    result.add_error(LoadError::kFileRead, "rules content", "", ItemLocation{path},
                     "Rules file " + path + " is larger than " + std::to_string(max_file_bytes) +
                         " bytes (limits.rules_file_bytes); refusing to load it");
    return false;
  }
  return read_rules_content(path, content, out, result, fields);
}

}  // namespace kestrel::engine
