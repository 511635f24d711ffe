#include "tests/eval/rule_harness.h"

#include <gtest/gtest.h>

#include <sstream>

#include "engine/rule_reader.h"

namespace kestrel::engine::eval::testing {
namespace {

std::string indent(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += "    " + line + "\n";
  return out;
}

}  // namespace

Compiled compile_rules(const std::string& yaml, RuleEngineOptions options) {
  Compiled c;
  RuleCollection coll;
  if (read_rules_content("test.yaml", yaml, coll, c.result)) c.set = build_rule_set(coll, c.result);
  if (!c.result.ok()) {
    auto errs = c.result.filtered(true);
    c.error = errs.empty() ? "load failed" : errs[0].code + " (" + errs[0].item_name + "): " + errs[0].message;
    return c;
  }
  auto engine = RuleEngine::create(c.set, std::move(options));
  if (!engine.ok()) {
    c.error = engine.status().message();
    return c;
  }
  c.engine = std::move(engine).value();
  return c;
}

std::string rule_yaml(const std::string& name, const std::string& condition, const std::string& output,
                      const std::string& priority) {
  return "- rule: " + name + "\n  desc: test rule\n  condition: >-\n" + indent(condition) + "  output: >-\n" +
         indent(output) + "  priority: " + priority + "\n";
}

bool matches(const std::string& condition, const Event& event, const ThreadLookup& lookup) {
  Compiled c = compile_rules(rule_yaml("t", condition));
  EXPECT_EQ(c.error, "") << condition;
  if (!c.engine) return false;
  return !run(*c.engine, event, lookup).empty();
}

std::vector<Alert> run(RuleEngine& engine, const Event& event, const ThreadLookup& lookup) {
  std::vector<Alert> out;
  engine.process(event, lookup, out);
  return out;
}

}  // namespace kestrel::engine::eval::testing
