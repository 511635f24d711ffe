// field_provider.h — fields filled by something outside the engine.
//
// The engine is source-agnostic: the syscall source's fields have built-in
// extractors (extract_*.cpp), and every other event source (a Falco plugin's
// "k8s_audit", "aws_cloudtrail", …) gets its fields from a FieldProvider
// registered for that source. The rule engine for a source compiles with a
// FieldScope naming the source and its provider; operands that the provider
// prepares are extracted by calling it, so the engine never sees how (the
// plugin host implements this interface in plugins/).
//
// Field names and types still come from the field registry
// (engine/fields/) the rules were validated against; the provider only
// fills them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/eval/field_value.h"
#include "engine/fields/field_registry.h"
#include "sources/source.h"

namespace kestrel::engine::eval {

struct Scratch;

class FieldProvider {
 public:
  virtual ~FieldProvider() = default;

  // At compile time: a handle for extracting `name` with `arg` (as written
  // in the rule, without brackets), whose registry type is `type`; nullopt
  // when this provider does not fill the field (it then reads as missing).
  virtual std::optional<uint32_t> prepare(std::string_view name, const std::optional<std::string>& arg,
                                          FieldType type) = 0;

  // At evaluation time, on the engine thread: the value of `handle` for
  // `event`. `event_number` is distinct for every event the engine
  // evaluates (a provider may cache per event). Returned strings and lists
  // point into `scratch` (owned by the caller's cache slot) or into the
  // event; kMissing when the event has no such value. Never throws.
  virtual ExtractedValue extract(const Event& event, uint64_t event_number, uint32_t handle, Scratch& scratch) = 0;
};

// The plugins behind plugin events, as evt.pluginname and evt.plugininfo
// read them (Falco: "the name of the plugin that generated the event" and
// "a summary of the event as formatted by the plugin"). A plugin event
// record (KE_PLUGINEVENT) names its plugin by id; the app answers for the
// plugins it loaded. Called on the engine thread only.
class PluginEventInfo {
 public:
  virtual ~PluginEventInfo() = default;

  // The name of the loaded plugin with `plugin_id`; empty when none is.
  virtual std::string_view plugin_name(uint32_t plugin_id) const = 0;

  // Into `out`: the plugin's summary of `event` (one of its events);
  // false when no loaded plugin has `plugin_id`.
  virtual bool event_summary(uint32_t plugin_id, const Event& event, uint64_t event_number, std::string& out) = 0;
};

// What field names resolve against while compiling: a source, for sources
// other than "syscall" the provider that fills its fields, and the field
// registry the rules were validated against (never null; it must outlive
// what is compiled, since resolved fields point into it).
struct FieldScope {
  std::string source = "syscall";
  FieldProvider* provider = nullptr;
  const FieldRegistry* fields = &builtin_field_registry();
};

}  // namespace kestrel::engine::eval
