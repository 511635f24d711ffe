// static_fields.h — Falco's `static_fields` (falco.yaml): constant string
// fields rules and outputs name `static.<key>`, in every event source.
//
// As libs' sinsp_filter_check_static: each key becomes the string field
// static.<key> whose value is the configured one (${VAR} already expanded
// by the config loader), flagged as suggested output: an append_output
// entry with `suggested_output: true` appends "static_<key>=%static.<key>"
// (the field name with '.' made '_', Falco's format_suggested_field) to the
// output of the rules it matches, one entry per field, in file order; the
// value is then in the text and under "static.<key>" in output_fields.
//
// Kestrel fills them through the engine's FieldProvider interface, as a
// plugin's fields: the registry gets a "static" set for every source and
// each source's SourceFieldProvider asks StaticFieldProvider first.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/append_output.h"
#include "engine/eval/field_provider.h"
#include "engine/fields/field_registry.h"

namespace kestrel {

using StaticFields = std::vector<std::pair<std::string, std::string>>;

class StaticFieldProvider final : public engine::eval::FieldProvider {
 public:
  explicit StaticFieldProvider(StaticFields fields) : fields_(std::move(fields)) {}
  // "static.<key>" for every key, in order.
  std::vector<std::string> field_names() const;

  std::optional<uint32_t> prepare(std::string_view name, const std::optional<std::string>& arg,
                                  engine::FieldType type) override;
  engine::eval::ExtractedValue extract(const Event& event, uint64_t event_number, uint32_t handle,
                                       engine::eval::Scratch& scratch) override;

 private:
  StaticFields fields_;
};

// Adds static.<key> (string, no argument) to every source `registry` has.
void add_static_fields(engine::FieldRegistry& registry, const StaticFields& fields);

// The append_output entries `suggested` stands for: one per static field,
// with its match, extra_output "static_<key>=%static.<key>".
std::vector<engine::AppendOutput> suggested_static_output(const engine::AppendOutput& suggested,
                                                          const StaticFields& fields);

}  // namespace kestrel
