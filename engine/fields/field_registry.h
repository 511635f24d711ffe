// field_registry.h — which fields rules may name, per event source.
//
// A field has a name ("proc.name"), a type, an optional argument
// (proc.aname[2], evt.arg.flags, ka.uri.param[name]) and a description, and
// records whether Kestrel can fill it yet (a rule may name a field Kestrel
// cannot fill: it loads and validates, the field reads as missing/<NA>).
//
// Fields come in field sets: the syscall source's (evt, proc, thread, fd,
// user, group, container, k8s, fs.path …, engine/fields/syscall_fields.cpp)
// and plugin field sets (ka.* k8saudit, ct.* cloudtrail, github.*, okta.*,
// json.*, engine/fields/plugin_fields.cpp). An event source is known when it
// has field sets; names are looked up within one source.
#pragma once

#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::engine {

enum class FieldType {
  kString,      // charbuf
  kPath,        // fspath (string that supports path matching)
  kStringList,  // charbuf list (proc.args-like lists, container.mounts…)
  kBytes,       // bytebuf (evt.buffer)
  kUint64,
  kInt64,
  kDouble,
  kBool,
  kIpAddr,
  kIpNet,
  kPort,
  kAbsTime,  // ns since epoch
  kRelTime,  // ns duration
};
std::string_view field_type_name(FieldType t);  // Falco's words: "CHARBUF", "UINT64", …
bool is_numeric(FieldType t);                   // uint64, int64, double, port, abstime, reltime
bool is_stringlike(FieldType t);                // string, path, string list, bytes

enum class FieldArg {
  kNone,
  kIndex,       // [N]
  kKey,         // [anything]
  kIndexOrKey,  // [N] or [name]
};

struct FieldInfo {
  std::string_view name;
  FieldType type;
  FieldArg arg = FieldArg::kNone;
  bool arg_required = false;
  bool dotted_arg = false;  // also accepts NAME.arg (evt.arg.flags)
  bool filled = false;      // Kestrel fills it today
  std::string_view description;
};

struct FieldSet {
  std::string_view name;         // "evt", "proc", "k8saudit", …
  std::string_view description;  // one line for --list
  std::span<const FieldInfo> fields;
};

// The field sets of each source (built once, immutable).
std::span<const FieldSet* const> syscall_field_sets();
std::span<const FieldSet* const> plugin_field_sets(std::string_view source);

// Fields a loaded plugin declares (its get_fields table), for rules of
// `source` to validate and resolve against. They are looked up after the
// static sets of that source (a name both declare keeps the static entry)
// and marked filled; a source no static table knows becomes known.
// Registering `set_name` again for the source replaces the earlier set.
// Call at start-up, before rules are loaded: not safe concurrently with
// lookups.
struct RegisteredField {
  std::string name;
  FieldType type = FieldType::kString;
  FieldArg arg = FieldArg::kNone;
  bool arg_required = false;
  std::string description;
};
void register_plugin_fields(std::string_view source, std::string_view set_name, std::string_view description,
                            std::span<const RegisteredField> fields);
// The sets of `source` with registered ones (empty when none registered).
std::span<const FieldSet* const> registered_field_sets(std::string_view source);

// Sources that have fields: "syscall", "k8s_audit", "aws_cloudtrail",
// "github", "okta" (and sources registered by plugins).
std::span<const std::string_view> known_sources();
bool is_known_source(std::string_view source);

// A field name resolved against a source.
struct FieldLookup {
  const FieldInfo* info = nullptr;
  std::optional<std::string> arg;  // from brackets or the dotted suffix
};

// Resolves `name` (as written: "evt.arg.flags", "proc.aname") with an
// optional bracket argument. Returns an error message in `error` when the
// field is unknown ("filter_check called with nonexistent field X"), needs an
// argument it lacks, or takes none and has one.
std::optional<FieldLookup> lookup_field(std::string_view source, std::string_view name,
                                        const std::optional<std::string>& bracket_arg, std::string* error);

// True when `name` (possibly with [arg] or a dotted arg) is a field of source.
bool is_field_defined(std::string_view source, std::string_view name_with_arg);

// Prints every field of `source` (all sources when empty) with type and
// description, in Falco's --list layout (one block per field set).
void print_field_list(std::ostream& out, std::string_view source);

}  // namespace kestrel::engine
