// init_schema.h — checks a plugin's init_config against the JSON schema
// the plugin published (plugin_get_init_schema, SS_PLUGIN_SCHEMA_JSON), as
// Falco does before plugin_init, so a plugin can trust its config.
//
// The keywords plugins' schemas use (those the SDKs' schema generators
// emit): type (a name or a list; "integer" means a whole number), properties,
// required, additionalProperties (false or a schema), enum, const, items,
// minimum, maximum, minLength, maxLength, minItems, maxItems, anyOf, oneOf,
// allOf, and local $ref ("#/definitions/X", "#/$defs/X"). Other keywords
// (format, pattern, description, title, default, $schema, ...) are ignored:
// they never make a config fail here.
//
// An empty config under a JSON schema is taken as "{}" (what Falco does),
// and validated as such. Errors name the failing key as a JSON-pointer-like
// path: "init_config/webhookMaxBatchSize: expected integer, got string".
#pragma once

#include <string>

#include "base/status.h"

namespace kestrel::plugin {

// The config to hand plugin_init: `config`, or "{}" if it is empty.
// Refused if `config` is not JSON or does not satisfy `schema` (itself
// refused if it is not JSON).
Result<std::string> validate_init_config(const std::string& schema, const std::string& config);

}  // namespace kestrel::plugin
