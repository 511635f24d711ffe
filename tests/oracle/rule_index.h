// rule_index.h — compiled rules bucketed by (source, event type).
//
// RuleIndex compiles every enabled rule of a RuleSet into a Program and
// files it under each Kestrel event type its condition can match
// (engine/evttype_index.h), so an event only meets the rules that can match
// it. Rules of other sources are kept per source. needed_event_types() is
// what the engine hands to the sources for selective capture.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "tests/oracle/program.h"
#include "engine/rule_set.h"

namespace kestrel::engine::reference {

struct CompiledRule {
  std::string name;
  std::string source;
  Priority priority = Priority::kDebug;
  std::string output;
  std::set<std::string> tags;
  Program program;
};

class RuleIndex {
 public:
  // Compiles the enabled rules of `set`; a rule that fails to compile is
  // reported to `result` (LOAD_ERR_COMPILE_CONDITION) and left out.
  static RuleIndex build(const RuleSet& set, LoadResult& result);

  const std::vector<CompiledRule>& rules() const { return rules_; }
  // Indices into rules() that can match an event of `type` from `source`,
  // in definition order.
  std::span<const uint32_t> candidates(std::string_view source, uint16_t type) const;
  // Falco's rule_matching: "first" returns the first rule that matches,
  // "all" every one.
  const CompiledRule* match_first(const EvalContext& ctx) const;
  std::vector<const CompiledRule*> match_all(const EvalContext& ctx) const;
  // Kestrel event types some syscall rule needs, sorted.
  std::vector<uint16_t> needed_event_types() const;

 private:
  std::vector<CompiledRule> rules_;
  std::vector<std::vector<uint32_t>> by_type_;  // syscall source, by Kestrel event type
  std::map<std::string, std::vector<uint32_t>, std::less<>> by_source_;  // other sources
};

}  // namespace kestrel::engine::reference
