// rule_items.h — what the loader collects from rule files, before any
// condition is parsed: lists, macros, rules (with exceptions), version
// requirements. This is Falco's "collector" state: definitions are kept in
// first-definition order (`index`); a redefinition or append/override
// updates the entry in place and bumps its `visibility` (the position of the
// last item that touched it), which decides which macros and lists an item
// may reference.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/load_result.h"

namespace kestrel::engine {

// The Falco item an error belongs to.
struct ItemContext {
  std::string item_type;  // "rule", "macro", "list", "exception", …
  std::string item_name;
  ItemLocation where;
};

// Where the text of a YAML scalar sits in its file, line by line: YAML folds
// multi-line scalars (plain and `>` ones into spaces, `|` ones keep the
// newlines), so an offset into a condition maps back to a file line and
// column through this. `length` is the scalar's length when read; offsets
// past it (text appended later by another item) map to `start`.
struct ScalarLines {
  struct Span {
    int line = 0;
    int column = 0;
    uint32_t length = 0;
  };
  ItemLocation start;
  std::vector<Span> lines;
  uint32_t length = 0;
  ItemLocation locate(uint32_t offset) const;
};

enum class Priority { kEmergency, kAlert, kCritical, kError, kWarning, kNotice, kInformational, kDebug };
// Case-insensitive; accepts "info" for informational.
std::optional<Priority> parse_priority(std::string_view text);
std::string_view priority_name(Priority p);  // "Emergency", …, "Informational", "Debug"

// One of an exception's fields/comps/values: a scalar or a (nested) list.
struct ExceptionEntry {
  bool defined = false;
  bool is_list = false;
  std::string item;                   // scalar form
  std::vector<ExceptionEntry> items;  // list form
};

struct ExceptionInfo {
  ItemContext ctx;
  std::string name;
  ExceptionEntry fields;
  ExceptionEntry comps;
  std::vector<ExceptionEntry> values;
};

struct ListInfo {
  ItemContext ctx;
  std::string name;
  std::vector<std::string> items;
  uint32_t index = 0;
  uint32_t visibility = 0;
};

struct MacroInfo {
  ItemContext ctx;
  ScalarLines cond_where;
  std::string name;
  std::string cond;
  uint32_t index = 0;
  uint32_t visibility = 0;
};

struct RuleInfo {
  ItemContext ctx;
  ScalarLines cond_where;
  ItemLocation output_where;
  std::string name;
  std::string cond;
  std::string output;
  std::string desc;
  std::string source = "syscall";
  Priority priority = Priority::kDebug;
  bool enabled = true;
  bool warn_evttypes = true;
  bool skip_if_unknown_filter = false;
  bool unknown_source = false;
  bool capture = false;             // Falco 0.42's `capture: true`
  uint64_t capture_duration_ms = 0;  // 0: capture.default_duration
  std::set<std::string> tags;
  std::vector<ExceptionInfo> exceptions;
  uint32_t index = 0;
  uint32_t visibility = 0;
};

// Items of one kind, in first-definition order, found by name.
template <typename T>
class ItemTable {
 public:
  T* find(const std::string& name) {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &items_[it->second];
  }
  const T* find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &items_[it->second];
  }
  void insert(T item) {
    by_name_[item.name] = items_.size();
    items_.push_back(std::move(item));
  }
  const std::vector<T>& all() const { return items_; }
  std::vector<T>& all() { return items_; }

 private:
  std::vector<T> items_;
  std::map<std::string, size_t> by_name_;
};

struct PluginRequirement {
  std::string name;
  std::string version;
};

// Everything read from a set of rule files.
struct RuleCollection {
  ItemTable<ListInfo> lists;
  ItemTable<MacroInfo> macros;
  ItemTable<RuleInfo> rules;
  std::vector<std::vector<PluginRequirement>> required_plugin_versions;  // alternatives per entry
  std::string required_engine_version;  // the highest seen, "x.y.z"
  uint32_t next_index = 0;
};

}  // namespace kestrel::engine
