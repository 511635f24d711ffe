#include "tests/oracle/rule_index.h"

#include "tests/oracle/compile.h"

namespace kestrel::engine::reference {

RuleIndex RuleIndex::build(const RuleSet& set, LoadResult& result) {
  RuleIndex index;
  index.by_type_.resize(KE_COUNT);
  for (const LoadedRule& r : set.rules) {
    if (!r.enabled || !r.condition) continue;
    CompileOutcome c = compile_condition(*r.condition, r.source);
    if (!c.program) {
      result.add_error(LoadError::kCompileCondition, "rule", r.name, ItemLocation{}, c.error.message);
      continue;
    }
    auto id = static_cast<uint32_t>(index.rules_.size());
    index.rules_.push_back(CompiledRule{r.name, r.source, r.priority, r.output, r.tags, std::move(*c.program)});
    if (r.source != "syscall") {
      index.by_source_[r.source].push_back(id);
      continue;
    }
    for (uint16_t type : r.evttypes.kestrel_types()) {
      if (type < index.by_type_.size()) index.by_type_[type].push_back(id);
    }
  }
  return index;
}

std::span<const uint32_t> RuleIndex::candidates(std::string_view source, uint16_t type) const {
  if (source == "syscall") {
    if (type >= by_type_.size()) return {};
    return by_type_[type];
  }
  auto it = by_source_.find(source);
  if (it == by_source_.end()) return {};
  return it->second;
}

const CompiledRule* RuleIndex::match_first(const EvalContext& ctx) const {
  for (uint32_t id : candidates(ctx.source, ctx.event.type())) {
    if (rules_[id].program.matches(ctx)) return &rules_[id];
  }
  return nullptr;
}

std::vector<const CompiledRule*> RuleIndex::match_all(const EvalContext& ctx) const {
  std::vector<const CompiledRule*> out;
  for (uint32_t id : candidates(ctx.source, ctx.event.type())) {
    if (rules_[id].program.matches(ctx)) out.push_back(&rules_[id]);
  }
  return out;
}

std::vector<uint16_t> RuleIndex::needed_event_types() const {
  std::vector<uint16_t> out;
  for (size_t t = 0; t < by_type_.size(); ++t) {
    if (!by_type_[t].empty()) out.push_back(static_cast<uint16_t>(t));
  }
  return out;
}

}  // namespace kestrel::engine::reference
