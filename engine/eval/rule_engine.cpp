// RuleEngine: compile rules into buckets; evaluate events.
#include "engine/eval/rule_engine.h"

#include "engine/eval/compile.h"
#include "engine/evtdir_index.h"
#include "engine/state_only_index.h"

namespace kestrel::engine::eval {

RuleEngine::RuleEngine(RuleEngineOptions options)
    : options_(std::move(options)), ctx_(env_), buckets_(KE_COUNT) {
  env_.hostname = options_.hostname;
  env_.source = options_.source;
  env_.plugin_events = options_.plugin_events;
  env_.containers = options_.containers;
  env_.machines = options_.machines;
  cache_.set_scope(FieldScope{options_.source, options_.field_provider, options_.fields});
}

Result<std::unique_ptr<RuleEngine>> RuleEngine::create(const RuleSet& rules, RuleEngineOptions options) {
  std::unique_ptr<RuleEngine> engine(new RuleEngine(std::move(options)));
  const RuleEngineOptions& opt = engine->options_;
  RhsMemo memo;  // right-hand sides shared by identical checks across rules
  for (const LoadedRule& r : rules.rules) {
    // Priority enum: lower value = more severe.
    if (!r.enabled || r.source != opt.source || r.priority > opt.min_priority || !r.condition) {
      ++engine->skipped_;
      continue;
    }
    auto fail = [&](const Status& st, const char* what) {
      std::string msg = "rule '" + r.name + "': " + what + ": " + st.message();
      return Status(st.code(), msg, st.where());
    };
    auto cond = compile_condition(*r.condition, engine->cache_, &memo);
    if (!cond.ok()) return fail(cond.status(), "condition");
    CompiledRule c;
    c.name = r.name;
    c.priority = r.priority;
    c.tags.assign(r.tags.begin(), r.tags.end());
    c.capture = r.capture;
    c.capture_duration_ms = r.capture_duration_ms;
    const std::string output = append_extra_output(r.output, opt.append_output, r.name, r.source, c.tags);
    auto out = OutputFormat::compile(output, engine->cache_);
    if (!out.ok()) return fail(out.status(), "output");
    for (const AppendOutput& e : opt.append_output) {
      if (!e.matches(r.name, r.source, c.tags)) continue;
      for (const AppendOutputField& f : e.extra_fields) {
        const bool raw = f.format.empty();
        auto format = OutputFormat::compile(raw ? "%" + f.name : f.format, engine->cache_);
        if (!format.ok()) return fail(format.status(), "append_output extra field");
        c.extra_fields.push_back({f.name, std::move(format).value(), raw});
      }
    }
    c.condition = std::move(cond).value();
    c.output = std::move(out).value();
    auto index = static_cast<uint32_t>(engine->rules_.size());
    engine->rules_.push_back(std::move(c));
    const bool on_enters = condition_may_match_enter(*r.condition);
    const bool state_only = condition_reads_state_only(*r.condition);
    for (uint16_t t : r.evttypes.kestrel_types()) {
      if (t >= KE_COUNT) continue;
      engine->buckets_[t].push_back(index);
      if (!state_only) engine->state_determined_.reset(t);
      engine->required_.set(t);
      if (on_enters) engine->enters_required_.set(t);
    }
    // Syscalls with no type of their own come as generic records: the rule
    // sees them when they are captured (-A), without asking for every
    // generic syscall itself (evttype_index.h).
    if (!r.evttypes.generic_syscalls().empty() && !r.evttypes.is_all()) {
      auto& generic = engine->buckets_[KE_SYSCALL];
      if (generic.empty() || generic.back() != index) generic.push_back(index);
      engine->state_determined_.reset(KE_SYSCALL);
      if (on_enters) engine->enters_required_.set(KE_SYSCALL);
    }
  }
  return engine;
}

size_t RuleEngine::process(const Event& event, const ThreadLookup& lookup, std::vector<Alert>& out,
                           std::optional<uint64_t> event_number) {
  ++stats_.events;
  uint16_t type = event.view.type();
  if (type >= KE_COUNT) return 0;
  const auto& bucket = buckets_[type];
  if (bucket.empty()) return 0;
  ctx_.begin(event, lookup, event_number.value_or(stats_.events));
  cache_.begin_event();
  EvalState state{ctx_, cache_};
  size_t raised = 0;
  for (uint32_t index : bucket) {
    CompiledRule& r = rules_[index];
    ++r.evaluated;
    ++stats_.rules_evaluated;
    if (!r.condition->eval(state)) continue;
    ++r.matches;
    ++raised;
    Alert& a = out.emplace_back();
    a.time_ns = event.view.ts();
    a.rule = r.name;
    a.priority = r.priority;
    a.source = options_.source;
    a.hostname = options_.hostname;
    a.tags = r.tags;
    a.capture = r.capture;
    a.capture_duration_ms = r.capture_duration_ms;
    r.output.render(state, a.output, a.output_fields);
    for (const auto& extra : r.extra_fields) {
      std::string text;
      std::vector<std::pair<std::string, FieldValue>> fields;
      extra.format.render(state, text, fields);
      if (extra.raw && !fields.empty()) a.extra_fields.emplace_back(extra.name, std::move(fields.front().second));
      else a.extra_fields.emplace_back(extra.name, std::move(text));
    }
    if (options_.rule_matching == RuleMatching::kFirst) break;
  }
  stats_.alerts += raised;
  return raised;
}

void RuleEngine::count_unmatched(uint16_t type) {
  ++stats_.events;
  if (type >= KE_COUNT) return;
  for (uint32_t index : buckets_[type]) {
    ++rules_[index].evaluated;
    ++stats_.rules_evaluated;
  }
}

EventTypeSet RuleEngine::required_event_types() const { return required_; }

EventTypeSet RuleEngine::required_enter_types() const { return enters_required_; }

std::vector<RuleStats> RuleEngine::rule_stats() const {
  std::vector<RuleStats> out;
  out.reserve(rules_.size());
  for (const auto& r : rules_) out.push_back({r.name, r.evaluated, r.matches});
  return out;
}

}  // namespace kestrel::engine::eval
