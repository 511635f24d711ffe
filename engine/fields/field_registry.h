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
// sets; names are looked up within one source, in a FieldRegistry (below).
#pragma once

#include <map>
#include <memory>
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

// Fields a loaded plugin declares (its get_fields table), as the app hands
// them to FieldRegistry::add_plugin_fields.
struct RegisteredField {
  std::string name;
  FieldType type = FieldType::kString;
  FieldArg arg = FieldArg::kNone;
  bool arg_required = false;
  std::string description;
};

// Sources the static tables give fields: "syscall", "k8s_audit",
// "aws_cloudtrail", "github", "okta".
std::span<const std::string_view> known_sources();

// A field name resolved against a source.
struct FieldLookup {
  const FieldInfo* info = nullptr;
  std::optional<std::string> arg;  // from brackets or the dotted suffix
};

// The fields rules may name: the static field sets, plus the fields of the
// plugins one app instance loaded. A value, not process state: the app
// builds one from its loaded plugins (app/plugin_loading.h) and passes it
// to rule loading, validation and compilation; two registries in one
// process (two tests, a reload with another plugin set) never see each
// other's plugin fields. builtin_field_registry() is the one without
// plugins, the default wherever none is passed.
//
// Lifetime: FieldLookup::info (and so every compiled FieldRef) points into
// the registry, which must outlive the rule engines compiled against it.
// Moving keeps those pointers valid; copying is not offered.
// Threading: add_plugin_fields is for building; once rules are loaded the
// registry is only read, and reads are safe from any thread.
class FieldRegistry {
 public:
  FieldRegistry();  // the static field sets only
  ~FieldRegistry();
  FieldRegistry(FieldRegistry&&) noexcept;
  FieldRegistry& operator=(FieldRegistry&&) noexcept;
  FieldRegistry(const FieldRegistry&) = delete;
  FieldRegistry& operator=(const FieldRegistry&) = delete;

  // Adds a loaded plugin's declared fields to `source`. They are looked up
  // before the static sets of that source (a name both declare resolves to
  // the plugin's declaration, which is what fills it) — for "syscall" after
  // them (Kestrel's own syscall fields are never redefined) — and are
  // filled by the plugin (eval::extract_by_provider); a source no static table knows
  // becomes known. Adding `set_name` again for the source replaces the
  // earlier set.
  void add_plugin_fields(std::string_view source, std::string_view set_name, std::string_view description,
                         std::span<const RegisteredField> fields);

  // Withdraws `names` from the static field sets of `source` (nothing for
  // "syscall"; sets a plugin added keep them): the app calls it for a
  // loaded plugin's fields in the sources the plugin does not extract from,
  // so rules there cannot name them (a field nothing would fill, where
  // Falco has no such field at all). A source no table knows is left alone.
  void withdraw_static_fields(std::string_view source, std::span<const std::string> names);

  // The field sets of `source`, looked up in order (empty when unknown).
  std::span<const FieldSet* const> field_sets(std::string_view source) const;

  // Sources with fields: known_sources(), then sources only plugins added.
  std::vector<std::string> sources() const;
  bool is_known_source(std::string_view source) const { return !field_sets(source).empty(); }

  // Resolves `name` (as written: "evt.arg.flags", "proc.aname") with an
  // optional bracket argument. Returns an error message in `error` when the
  // field is unknown ("filter_check called with nonexistent field X"), needs
  // an argument it lacks, or takes none and has one.
  std::optional<FieldLookup> lookup(std::string_view source, std::string_view name,
                                    const std::optional<std::string>& bracket_arg, std::string* error) const;

  // True when `name` (possibly with [arg] or a dotted arg) is a field of source.
  bool is_field_defined(std::string_view source, std::string_view name_with_arg) const;

  // Prints every field of `source` (all sources when empty) with type and
  // description, in Falco's --list layout (one block per field set). A
  // field without an extractor is marked "(not filled by Kestrel yet)"; a
  // static copy a plugin's declaration shadows is not listed.
  void print_field_list(std::ostream& out, std::string_view source) const;

 private:
  struct PluginSet;  // a plugin's fields and the strings they view
  // The sets of `source` in by_source_, made from its static sets on first use.
  std::vector<const FieldSet*>& source_sets(std::string_view source);
  std::vector<std::unique_ptr<PluginSet>> plugin_sets_;
  // Sources plugins added fields to -> their sets, plugin sets first.
  std::map<std::string, std::vector<const FieldSet*>, std::less<>> by_source_;
};

// The registry of the static field sets: constant, built on first use.
const FieldRegistry& builtin_field_registry();

}  // namespace kestrel::engine
