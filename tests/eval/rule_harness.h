// rule_harness.h — load rule YAML text (through the real loader) and
// compile it into a RuleEngine, for tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/eval/rule_engine.h"
#include "engine/rule_set.h"
#include "tests/eval/eval_world.h"

namespace kestrel::engine::eval::testing {

struct Compiled {
  RuleSet set;
  LoadResult result;
  std::unique_ptr<RuleEngine> engine;
  std::string error;  // load or compile error, "" when ok
};

// Loads `yaml` as one rules file and compiles it.
Compiled compile_rules(const std::string& yaml, RuleEngineOptions options = {});

// YAML for one rule (block scalars, so any condition text works).
std::string rule_yaml(const std::string& name, const std::string& condition, const std::string& output = "out",
                      const std::string& priority = "WARNING");

// Whether `condition` matches `event` (one rule, evaluated by the engine).
// Fails the current test when the condition does not load or compile.
bool matches(const std::string& condition, const Event& event, const ThreadLookup& lookup);

// The alerts `event` raises.
std::vector<Alert> run(RuleEngine& engine, const Event& event, const ThreadLookup& lookup);

}  // namespace kestrel::engine::eval::testing
