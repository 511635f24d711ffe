// state_only_index.h — whether a condition reads only what the state tables
// say about an event's thread and fd.
//
// On an exit record of a type the state tables do not change (a read, a
// write: StateUpdater::changes_state), a condition that reads only these
// fields has one answer per (event type, thread, fd number) for as long as
// the state tables stay unchanged: the pipeline may then answer again
// without evaluating, and a replay may pass over such events without
// building their records (app/pipeline.h, EventPrejudge in sources/source.h).
//
// The fields are few on purpose, each one read from the event's type, its
// direction, its fd param (param_roles(type).fd) or the thread/fd tables,
// never from another param, the event's time or number, or outside state:
//   evt.type, evt.dir, fd.num, fd.name, fd.type, fd.typechar, fd.directory,
//   fd.filename, proc.name.
// Any other field, a field on the right-hand side, or a leftover macro
// reference makes the answer "no".
#pragma once

#include <string_view>

#include "engine/ast.h"

namespace kestrel::engine {

// True when every check of `e` (resolved) reads only the fields above.
bool condition_reads_state_only(const Expr& e);

// Whether `field` (as written, no argument) is one of the fields above.
bool is_state_only_field(std::string_view field);

}  // namespace kestrel::engine
