// field_registry.h — which fields rules may name, per event source.
//
// A field has a name ("proc.name"), a type, an optional argument
// (proc.aname[2], evt.arg.flags, ka.uri.param[name]), a description and the
// extractor that fills it. A field without an extractor is one Kestrel
// cannot fill yet: a rule naming it loads and validates, and the field reads
// as missing/<NA>. "Filled" is the presence of the extractor, so the field
// list cannot claim what the evaluator does not do.
//
// Fields come in field sets, one table per family: the syscall source's
// (evt, proc, thread, fd, user/group, container beside their extractors in
// engine/eval/extract_*.cpp; fdlist, fs.path, k8s in
// engine/fields/syscall_fields.cpp) and plugin field sets (ka.* k8saudit,
// ct.* cloudtrail, github.*, okta.*, json.*, engine/fields/plugin_fields.cpp,
// filled by a loaded plugin). An event source is known when it has field
// sets; names are looked up within one source.
#pragma once

#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::engine {

namespace eval {
// engine/eval/extract.h: an extractor computes one field's value for an event.
struct ExtractedValue;
class ExtractContext;
struct FieldRef;
struct Scratch;
using ExtractFn = ExtractedValue (*)(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch);
// A row without an extractor: a field rules may name that Kestrel does not fill.
inline constexpr ExtractFn kNotFilled = nullptr;
}  // namespace eval

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
  // What fills the field; kNotFilled when nothing does. Rows of a loaded
  // plugin's fields carry eval::extract_by_provider (the plugin fills them).
  eval::ExtractFn extract = eval::kNotFilled;
  std::string_view description;

  bool filled() const { return extract != eval::kNotFilled; }
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
// `source` to validate and resolve against. They are looked up before the
// static sets of that source (a name both declare resolves to the plugin's
// declaration, which is what fills it) and are filled by the plugin
// (eval::extract_by_provider); a source no static table knows becomes known.
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
// description, in Falco's --list layout (one block per field set). A field
// without an extractor is marked "(not filled by Kestrel yet)"; a static
// copy a loaded plugin's declaration shadows is not listed.
void print_field_list(std::ostream& out, std::string_view source);

}  // namespace kestrel::engine
