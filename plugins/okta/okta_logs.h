// okta_logs.h — Okta System Log exports into events: what the plugin's
// open() reads.
//
// Accepted shapes, per file: a JSON array of LogEvent objects (what
// GET /api/v1/logs returns), one LogEvent object, or JSON lines (one
// LogEvent per line, as log shippers write them). open_params names a
// file (plain or gzip) or a directory, whose *.json, *.jsonl and their .gz
// below it are read in path order. Non-objects inside an array are
// skipped. Text that is not JSON, or nests beyond
// json_bounds::kMaxJsonDepth, fails the open with the file and line. Each
// LogEvent becomes one event, its compact JSON stamped with `published`
// (events without one: the time of reading).
#pragma once

#include <string>

#include "plugins/plugin_kit/plugin_event.h"

namespace kestrel::okta {

// Appends the LogEvents of `path` to `out`; the error text, empty on success.
std::string read_okta_logs(const std::string& path, plugin_kit::ReplayEvents& out);

}  // namespace kestrel::okta
