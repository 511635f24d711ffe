// evtdir_index.h — whether a condition can be true on an enter event.
//
// Replayed .scap captures hold a syscall's enter and exit as two events;
// Kestrel delivers the enter as an enter-direction record (evt.dir '>')
// so rules without an evt.dir check count both, as Falco does. Building
// those records is most of a replay's cost on a capture of reads, and a
// rule that says `evt.dir=<` never reads them: the replay may leave out
// the enters of every type no rule can match on an enter (the exit still
// carries the enter's params).
//
// The answer is computed on the resolved tree in three values (true,
// false, unknown) with evt.dir checks fixed exactly as the compiler fixes
// them (engine/eval/compile.cpp: evt.dir =, !=, in against values), every
// other check unknown; `and`, `or` and `not` combine them as Kleene's logic
// does. A condition may match an enter unless it is false whatever the
// other checks answer: never a false "no", so no rule loses an event.
#pragma once

#include "engine/ast.h"

namespace kestrel::engine {

// False only when `e` is false on every enter event. `e` must be resolved;
// a leftover macro reference is unknown (may match).
bool condition_may_match_enter(const Expr& e);

}  // namespace kestrel::engine
