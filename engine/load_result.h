// load_result.h — structured errors and warnings from loading rule files.
//
// Every problem found while reading, resolving or validating rules becomes a
// LoadMessage naming the code (Falco's names, so users and scripts that grep
// for LOAD_ERR_* keep working), the item it belongs to (type + name), and
// where it is (file, line, column). Loading never throws; callers collect a
// LoadResult and decide what to do with it.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::engine {

// Falco's error codes (falco_load_result.h). Any error makes a load fail.
enum class LoadError {
  kYamlParse,          // LOAD_ERR_YAML_PARSE: the file is not YAML
  kYamlValidate,       // LOAD_ERR_YAML_VALIDATE: YAML, but not the expected shape
  kCompileCondition,   // LOAD_ERR_COMPILE_CONDITION: condition does not parse/compile
  kCompileOutput,      // LOAD_ERR_COMPILE_OUTPUT: output format is invalid
  kValidate,           // LOAD_ERR_VALIDATE: semantic error (dangling append, loop…)
  kExtension,          // LOAD_ERR_EXTENSION
  kValue,              // LOAD_ERR_VALUE: a value that cannot be used
  kFileRead,           // LOAD_ERR_FILE_READ: file or directory cannot be read
};

// Falco's warning codes. Warnings never make a load fail.
enum class LoadWarning {
  kUnknownSource,       // LOAD_UNKNOWN_SOURCE
  kUnsafeNaCheck,       // LOAD_UNSAFE_NA_CHECK
  kNoEvttype,           // LOAD_NO_EVTTYPE
  kUnknownFilter,       // LOAD_UNKNOWN_FILTER (skip-if-unknown-filter)
  kUnusedMacro,         // LOAD_UNUSED_MACRO
  kUnusedList,          // LOAD_UNUSED_LIST
  kUnknownItem,         // LOAD_UNKNOWN_ITEM
  kDeprecatedItem,      // LOAD_DEPRECATED_ITEM
  kAppendNoValues,      // LOAD_APPEND_NO_VALUES
  kCompileCondition,    // LOAD_COMPILE_CONDITION
  kInvalidMacroName,    // LOAD_INVALID_MACRO_NAME
  kInvalidListName,     // LOAD_INVALID_LIST_NAME
  kUnknownKey,          // LOAD_UNKNOWN_KEY
  kGenericSyscall,      // LOAD_GENERIC_SYSCALL (Kestrel's): evt.type names a syscall with no Kestrel event type
};

std::string_view load_error_name(LoadError code);
std::string_view load_warning_name(LoadWarning code);

// Where an item (or a token inside a condition) is. line/column are 1-based;
// 0 means unknown.
struct ItemLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

struct LoadMessage {
  bool is_error = false;
  std::string code;        // "LOAD_ERR_YAML_PARSE", "LOAD_NO_EVTTYPE", …
  std::string item_type;   // Falco's item type words: "rule", "macro", "list",
                           // "exception", "rules content", "required_engine_version"…
  std::string item_name;   // "" when the item has no (or no valid) name
  ItemLocation where;
  std::string message;
};

// Same code, item, place and text.
bool same_message(const LoadMessage& a, const LoadMessage& b);

// The messages of one load, in the order they were found.
class LoadResult {
 public:
  void add_error(LoadError code, std::string item_type, std::string item_name, ItemLocation where,
                 std::string message);
  void add_warning(LoadWarning code, std::string item_type, std::string item_name, ItemLocation where,
                   std::string message);

  // A message another load produced (validate_rules_in_order).
  void add(LoadMessage message);

  bool ok() const { return errors_ == 0; }
  size_t error_count() const { return errors_; }
  size_t warning_count() const { return messages_.size() - errors_; }
  const std::vector<LoadMessage>& messages() const { return messages_; }
  // Messages with is_error == want_errors.
  std::vector<LoadMessage> filtered(bool want_errors) const;

 private:
  std::vector<LoadMessage> messages_;
  size_t errors_ = 0;
};

// Falco's one-line summary of a code ("Error compiling condition"), or "".
std::string_view load_code_summary(std::string_view code);

// Prints one message with what `falco -V` reports (item, position, code,
// the code's summary, message), on one line so it greps well:
//   <file>:<line>:<col>: ERROR rule 'x': LOAD_ERR_VALIDATE (Error validating
//   rule/macro/list/exception objects): Undefined macro 'foo' used in filter.
// (WARNING for warnings; position parts are omitted when unknown).
void print_load_message(std::ostream& out, const LoadMessage& m);

}  // namespace kestrel::engine
