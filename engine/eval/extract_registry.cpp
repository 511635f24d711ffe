// Field names -> extractor functions, and resolve_field().
#include <charconv>
#include <unordered_map>

#include "engine/eval/extract.h"

namespace kestrel::engine::eval {
namespace {

ExtractedValue always_missing(ExtractContext&, const FieldRef&, Scratch&) { return {}; }

ExtractedValue provided(ExtractContext& ctx, const FieldRef& ref, Scratch& scratch) {
  return ref.provider->extract(ctx.event(), ctx.event_number(), ref.provider_handle, scratch);
}

// Built-in extractors that read only the record header, so they are sound
// on any source's events (a plugin event has no thread or params to read).
bool is_source_neutral(std::string_view name) {
  static constexpr std::string_view kNeutral[] = {
      "evt.num",      "evt.time",       "evt.time.s",    "evt.time.iso8601", "evt.datetime",
      "evt.datetime.s", "evt.rawtime",  "evt.rawtime.s", "evt.rawtime.ns",   "evt.hostname", "evt.source"};
  for (auto n : kNeutral)
    if (n == name) return true;
  return false;
}

const std::unordered_map<std::string_view, ExtractFn>& extractor_map() {
  static const auto* kMap = [] {
    auto* m = new std::unordered_map<std::string_view, ExtractFn>();
    for (auto table : {evt_extractors(), proc_extractors(), fd_extractors(), user_extractors()}) {
      for (const auto& e : table) m->emplace(e.name, e.fn);
    }
    return m;
  }();
  return *kMap;
}

bool is_arg_field(std::string_view name) { return name == "evt.arg" || name == "evt.rawarg"; }

std::optional<int64_t> parse_index(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

bool has_extractor(std::string_view name) { return extractor_map().count(name) != 0; }

Result<FieldRef> resolve_field(std::string_view name, const std::optional<std::string>& arg) {
  return resolve_field(FieldScope{}, name, arg);
}

Result<FieldRef> resolve_field(const FieldScope& scope, std::string_view name, const std::optional<std::string>& arg) {
  std::string error;
  auto found = lookup_field(scope.source, name, arg, &error);
  if (!found) return Status(StatusCode::kInvalidArgument, error);
  FieldRef ref;
  ref.info = found->info;
  ref.arg = found->arg;
  ref.name = std::string(found->info->name);
  if (ref.arg) ref.name += "[" + *ref.arg + "]";
  if (ref.arg) {
    if (auto idx = parse_index(*ref.arg)) ref.index = *idx;
  }
  if (scope.source != "syscall") {
    ref.fn = always_missing;
    if (scope.provider) {
      if (auto handle = scope.provider->prepare(found->info->name, ref.arg, found->info->type)) {
        ref.fn = provided;
        ref.provider = scope.provider;
        ref.provider_handle = *handle;
        return ref;
      }
    }
    if (is_source_neutral(found->info->name)) {
      auto it = extractor_map().find(found->info->name);
      if (it != extractor_map().end()) ref.fn = it->second;
    }
    return ref;
  }
  auto it = extractor_map().find(found->info->name);
  ref.fn = it == extractor_map().end() ? always_missing : it->second;
  if (is_arg_field(found->info->name) && ref.arg && ref.index < 0) {
    // evt.arg.NAME: the param's index differs per event type; find it once.
    ref.param_by_type.assign(KE_COUNT, -1);
    for (uint16_t t = 0; t < KE_COUNT; ++t) {
      if (auto i = event_info(t).param_index(*ref.arg)) ref.param_by_type[t] = static_cast<int16_t>(*i);
    }
  }
  return ref;
}

}  // namespace kestrel::engine::eval
