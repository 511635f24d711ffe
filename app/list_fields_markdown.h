// list_fields_markdown.h — `kestrel --list --markdown`: the field list as
// Falco prints it with --markdown (one "## Field Class" section per field
// set, then a Name | Type | Description table), for documentation.
#pragma once

#include <ostream>
#include <string_view>

#include "engine/fields/field_registry.h"

namespace kestrel {

// Every field of `source` (all sources when empty) in `fields`.
void print_field_list_markdown(std::ostream& out, const engine::FieldRegistry& fields, std::string_view source);

}  // namespace kestrel
