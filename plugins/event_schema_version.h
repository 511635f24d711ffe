// event_schema_version.h — the event schema version of the syscall events
// this host hands plugins, and the check of a plugin's
// get_required_event_schema_version against it.
//
// The plugin API (plugin_api.h, get_required_event_schema_version): a
// plugin states the minimum schema it needs as "<major>.<minor>.<patch>";
// one that states none (symbol missing or NULL) is taken as needing 3.0.0.
// falcosecurity/libs accepts it when the majors agree and ours is not
// older (minor, then patch), and only for plugins that parse or extract
// from syscall events: a plugin of other sources never sees a syscall
// event, so its requirement is not checked.
//
// Ours is 3.0.0: plugins receive syscall events encoded by the .scap
// writer (plugin_event_encoding.h), in enter + exit pairs at the event
// versions sysdig 0.29 reads — the 3.x layouts. Schema 4.0 (Falco 0.42)
// changed that shape, so a plugin asking for 4.x is refused, and one
// asking for a later 3.x minor too: which minor our layouts match is not
// established, so none above 3.0.0 is claimed.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"

namespace kestrel::plugin {

inline constexpr const char* kEventSchemaVersion = "3.0.0";

struct SchemaVersion {
  unsigned major = 0, minor = 0, patch = 0;
};

// "3.1.0" -> {3,1,0}; nullopt unless exactly three dot-separated numbers.
std::optional<SchemaVersion> parse_schema_version(const std::string& text);

// ok, or kInvalidArgument naming the plugin, the version it requires
// and ours (Falco's wording: "plugin X required event schema version 'A'
// not compatible with the event schema version in use 'B'") and why.
// `required` empty: the API's default, 3.0.0.
Status check_event_schema_version(const std::string& plugin, const std::string& required,
                                  const std::string& ours = kEventSchemaVersion);

}  // namespace kestrel::plugin
