// resolve_field(): a field name, through the field table, to its extractor.
#include <charconv>

#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

ExtractedValue always_missing(ExtractContext&, const FieldRef&, Scratch&) { return {}; }

bool is_arg_field(std::string_view name) { return name == "evt.arg" || name == "evt.rawarg"; }

// The param evt.arg.NAME reads on an event of this type: its own name, or
// the name Falco's event table gives a param Kestrel names differently.
// Falco's execve exit calls the image's flags `flags` (upstream rules print
// %evt.arg.flags); Kestrel's process block calls them exe_flags because
// clone's own `flags` (the clone flags) share that block's events. On
// execveat `flags` stays its AT_* flags: Kestrel merges the enter's params
// into the exit record, and the name is taken there.
std::optional<uint16_t> arg_param_index(const EventInfo& info, std::string_view name) {
  if (auto i = info.param_index(name)) return i;
  if (name == "flags" && info.type == KE_EXECVE) return info.param_index("exe_flags");
  return std::nullopt;
}

std::optional<int64_t> parse_index(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

ExtractedValue extract_by_provider(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch) {
  return ref.provider->extract(ctx.event(), ctx.event_number(), ref.provider_handle, scratch);
}

bool has_extractor(std::string_view name) {
  for (const FieldSet* set : syscall_field_sets()) {
    for (const FieldInfo& f : set->fields) {
      if (f.name == name) return f.filled();
    }
  }
  return false;
}

Result<FieldRef> resolve_field(std::string_view name, const std::optional<std::string>& arg) {
  return resolve_field(FieldScope{}, name, arg);
}

Result<FieldRef> resolve_field(const FieldScope& scope, std::string_view name, const std::optional<std::string>& arg) {
  std::string error;
  auto found = scope.fields->lookup(scope.source, name, arg, &error);
  if (!found) return Status(StatusCode::kInvalidArgument, error);
  FieldRef ref;
  ref.info = found->info;
  ref.arg = found->arg;
  ref.name = std::string(found->info->name);
  if (ref.arg) ref.name += "[" + *ref.arg + "]";
  if (ref.arg) {
    if (auto idx = parse_index(*ref.arg)) ref.index = *idx;
  }
  // A loaded plugin's provider fills what it prepares, also a static copy
  // of its fields; what it does not prepare, and every other field, the
  // row's own extractor (the evt.* rows of plugin sources read only the
  // record header, so they are sound on any event).
  // On syscall events a provider (a plugin extracting from them) fills
  // only the fields its plugin declared, never Kestrel's own.
  const bool declared_by_plugin = found->info->extract == extract_by_provider;
  if (scope.provider && (scope.source != "syscall" || declared_by_plugin)) {
    if (auto handle = scope.provider->prepare(found->info->name, ref.arg, found->info->type)) {
      ref.fn = extract_by_provider;
      ref.provider = scope.provider;
      ref.provider_handle = *handle;
      return ref;
    }
  }
  // extract_by_provider without a provider that prepared the field: nothing
  // fills it here.
  bool fillable = found->info->filled() && found->info->extract != extract_by_provider;
  ref.fn = fillable ? found->info->extract : always_missing;
  if (is_arg_field(found->info->name) && ref.arg && ref.index < 0) {
    // evt.arg.NAME: the param's index differs per event type; find it once.
    ref.param_by_type.assign(KE_COUNT, -1);
    for (uint16_t t = 0; t < KE_COUNT; ++t) {
      if (auto i = arg_param_index(event_info(t), *ref.arg)) ref.param_by_type[t] = static_cast<int16_t>(*i);
    }
  }
  return ref;
}

}  // namespace kestrel::engine::eval
