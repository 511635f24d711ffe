// field_sets.h — internal: the plugin field sets and the generic event
// fields every plugin source has. Users go through field_registry.h.
#pragma once

#include "engine/fields/field_registry.h"

namespace kestrel::engine {

// evt.* fields that every source has (number, time, source, plugin info).
const FieldSet& plugin_event_field_set();

}  // namespace kestrel::engine
