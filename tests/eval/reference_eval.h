// reference_eval.h — a naive reference evaluator for conditions.
//
// Walks the resolved AST directly for every event: no compilation, no
// field cache, no event-type buckets or bit sets, no constant folding, no
// precompiled right-hand sides. Values are extracted by the same
// extractors (what is under test is the compiler and the evaluator), but
// transformers, every operator and every value parse are re-implemented
// here in the plainest way (fnmatch(3) for globs, a fresh RE2 per
// comparison, linear scans for `in`, inet_pton for addresses). The
// randomized test compares the engine with this on generated conditions.
#pragma once

#include "engine/ast.h"
#include "sources/source.h"
#include "state/thread_lookup.h"

namespace kestrel::engine::eval::testing {

bool reference_eval(const Expr& condition, const Event& event, const ThreadLookup& lookup);

}  // namespace kestrel::engine::eval::testing
