#include "engine/load_result.h"

namespace kestrel::engine {

std::string_view load_error_name(LoadError code) {
  switch (code) {
    case LoadError::kYamlParse: return "LOAD_ERR_YAML_PARSE";
    case LoadError::kYamlValidate: return "LOAD_ERR_YAML_VALIDATE";
    case LoadError::kCompileCondition: return "LOAD_ERR_COMPILE_CONDITION";
    case LoadError::kCompileOutput: return "LOAD_ERR_COMPILE_OUTPUT";
    case LoadError::kValidate: return "LOAD_ERR_VALIDATE";
    case LoadError::kExtension: return "LOAD_ERR_EXTENSION";
    case LoadError::kValue: return "LOAD_ERR_VALUE";
    case LoadError::kFileRead: return "LOAD_ERR_FILE_READ";
  }
  return "LOAD_ERR_UNKNOWN";
}

std::string_view load_warning_name(LoadWarning code) {
  switch (code) {
    case LoadWarning::kUnknownSource: return "LOAD_UNKNOWN_SOURCE";
    case LoadWarning::kUnsafeNaCheck: return "LOAD_UNSAFE_NA_CHECK";
    case LoadWarning::kNoEvttype: return "LOAD_NO_EVTTYPE";
    case LoadWarning::kUnknownFilter: return "LOAD_UNKNOWN_FILTER";
    case LoadWarning::kUnusedMacro: return "LOAD_UNUSED_MACRO";
    case LoadWarning::kUnusedList: return "LOAD_UNUSED_LIST";
    case LoadWarning::kUnknownItem: return "LOAD_UNKNOWN_ITEM";
    case LoadWarning::kDeprecatedItem: return "LOAD_DEPRECATED_ITEM";
    case LoadWarning::kAppendNoValues: return "LOAD_APPEND_NO_VALUES";
    case LoadWarning::kCompileCondition: return "LOAD_COMPILE_CONDITION";
    case LoadWarning::kInvalidMacroName: return "LOAD_INVALID_MACRO_NAME";
    case LoadWarning::kInvalidListName: return "LOAD_INVALID_LIST_NAME";
    case LoadWarning::kUnknownKey: return "LOAD_UNKNOWN_KEY";
    case LoadWarning::kGenericSyscall: return "LOAD_GENERIC_SYSCALL";
  }
  return "LOAD_UNKNOWN_WARNING";
}

void LoadResult::add_error(LoadError code, std::string item_type, std::string item_name, ItemLocation where,
                           std::string message) {
  messages_.push_back(LoadMessage{true, std::string(load_error_name(code)), std::move(item_type),
                                  std::move(item_name), std::move(where), std::move(message)});
  ++errors_;
}

void LoadResult::add_warning(LoadWarning code, std::string item_type, std::string item_name,
                             ItemLocation where, std::string message) {
  messages_.push_back(LoadMessage{false, std::string(load_warning_name(code)), std::move(item_type),
                                  std::move(item_name), std::move(where), std::move(message)});
}

void LoadResult::add(LoadMessage message) {
  if (message.is_error) ++errors_;
  messages_.push_back(std::move(message));
}

bool same_message(const LoadMessage& a, const LoadMessage& b) {
  return a.is_error == b.is_error && a.code == b.code && a.item_type == b.item_type && a.item_name == b.item_name &&
         a.where.file == b.where.file && a.where.line == b.where.line && a.where.column == b.where.column &&
         a.message == b.message;
}

std::vector<LoadMessage> LoadResult::filtered(bool want_errors) const {
  std::vector<LoadMessage> out;
  for (const auto& m : messages_) {
    if (m.is_error == want_errors) out.push_back(m);
  }
  return out;
}

std::string_view load_code_summary(std::string_view code) {
  static const std::pair<std::string_view, std::string_view> kSummaries[] = {
      {"LOAD_ERR_FILE_READ", "File read error"},
      {"LOAD_ERR_YAML_PARSE", "YAML parse error"},
      {"LOAD_ERR_YAML_VALIDATE", "Error validating internal structure of YAML file"},
      {"LOAD_ERR_COMPILE_CONDITION", "Error compiling condition"},
      {"LOAD_ERR_COMPILE_OUTPUT", "Error compiling output"},
      {"LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects"},
      {"LOAD_ERR_EXTENSION", "Error in extension item"},
      {"LOAD_ERR_VALUE", "Invalid value"},
      {"LOAD_UNKNOWN_SOURCE", "Unknown event source"},
      {"LOAD_UNSAFE_NA_CHECK", "Unsafe <NA> comparison in condition"},
      {"LOAD_NO_EVTTYPE", "Condition has no event-type restriction"},
      {"LOAD_UNKNOWN_FILTER", "Unknown field or event-type in condition or output"},
      {"LOAD_UNUSED_MACRO", "Unused macro"},
      {"LOAD_UNUSED_LIST", "Unused list"},
      {"LOAD_UNKNOWN_ITEM", "Unknown rules file item"},
      {"LOAD_DEPRECATED_ITEM", "Used deprecated item"},
      {"LOAD_APPEND_NO_VALUES", "Overriding/appending with no values"},
      {"LOAD_COMPILE_CONDITION", "Warning in rule condition"},
      {"LOAD_INVALID_MACRO_NAME", "Invalid macro name"},
      {"LOAD_INVALID_LIST_NAME", "Invalid list name"},
      {"LOAD_UNKNOWN_KEY", "Unknown key in item definition"},
      {"LOAD_GENERIC_SYSCALL", "Syscall seen only as a generic event"},
  };
  for (const auto& [c, summary] : kSummaries) {
    if (c == code) return summary;
  }
  return "";
}

void print_load_message(std::ostream& out, const LoadMessage& m) {
  if (!m.where.file.empty()) {
    out << m.where.file;
    if (m.where.line > 0) {
      out << ':' << m.where.line;
      if (m.where.column > 0) out << ':' << m.where.column;
    }
    out << ": ";
  }
  out << (m.is_error ? "ERROR " : "WARNING ") << m.item_type;
  if (!m.item_name.empty()) out << " '" << m.item_name << "'";
  out << ": " << m.code << " (" << load_code_summary(m.code) << "): " << m.message << '\n';
}

}  // namespace kestrel::engine
