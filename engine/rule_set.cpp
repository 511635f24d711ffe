#include "engine/rule_set.h"

#include "engine/condition_check.h"
#include "engine/output_check.h"
#include "engine/parser.h"
#include "engine/resolve.h"
#include "engine/rule_reader.h"

namespace kestrel::engine {
namespace {

// The file position of `pos` inside a condition read from `where`;
// `shift` characters were prepended to the text that was parsed. Positions
// copied from a macro (TextPos::origin) are located in that macro's text.
ItemLocation locate(const ScalarLines& where, TextPos pos, uint32_t shift,
                    const std::vector<const MacroInfo*>& macros) {
  if (pos.origin > 0 && pos.origin <= macros.size()) return macros[pos.origin - 1]->cond_where.locate(pos.offset);
  if (pos.offset < shift) return where.start;
  return where.locate(pos.offset - shift);
}

bool is_unknown_filter_error(const std::string& err) {
  return err.find("nonexistent field") != std::string::npos ||
         err.find("invalid formatting token") != std::string::npos ||
         err.find("unknown event type") != std::string::npos || err.find("unknown filter:") != std::string::npos;
}

class Builder {
 public:
  Builder(const RuleCollection& c, LoadResult& r, const FieldRegistry& fields)
      : c_(c), result_(r), fields_(fields), lists_(c) {}

  RuleSet run() {
    RuleSet out;
    out.required_engine_version = c_.required_engine_version;
    out.required_plugin_versions = c_.required_plugin_versions;
    out.list_count = c_.lists.all().size();
    out.macro_count = c_.macros.all().size();
    if (build_macros()) {
      MacroResolver resolver(macros_);
      if (resolve_macros(resolver)) {
        for (const RuleInfo& r : c_.rules.all()) {
          if (r.unknown_source) continue;
          if (!build_rule(r, resolver, out)) break;
        }
      }
    }
    warn_unused();
    return out;
  }

 private:
  void error(LoadError code, const ItemContext& ctx, ItemLocation where, std::string msg) {
    result_.add_error(code, ctx.item_type, ctx.item_name, std::move(where), std::move(msg));
  }

  bool build_macros() {
    for (const MacroInfo& m : c_.macros.all()) {
      ParseOutcome p = parse_condition(m.cond);
      if (!p.ok()) {
        error(LoadError::kCompileCondition, m.ctx, locate(m.cond_where, p.error.pos, 0, macro_infos_), p.error.message);
        return false;
      }
      if (!lists_.expand(*p.expr)) {
        error(LoadError::kCompileCondition, m.ctx, m.cond_where.start, "condition too deeply nested");
        return false;
      }
      macros_.push_back(
          ParsedMacro{m.name, static_cast<uint32_t>(macros_.size() + 1), std::move(p.expr), m.index, m.visibility, false});
      macro_infos_.push_back(&m);
    }
    return true;
  }

  // Falco resolves each macro in place, in definition order, seeing the
  // macros visible at its last definition.
  bool resolve_macros(MacroResolver& resolver) {
    for (size_t i = 0; i < macros_.size(); ++i) {
      const MacroInfo* info = c_.macros.find(macros_[i].name);
      if (auto err = resolver.resolve_macro(i)) {
        error(LoadError::kValidate, info->ctx, locate(info->cond_where, err->pos, 0, macro_infos_), err->message);
        return false;
      }
    }
    return true;
  }

  bool build_rule(const RuleInfo& r, MacroResolver& resolver, RuleSet& out) {
    LoadedRule rule;
    const uint32_t shift = r.exceptions.empty() ? 0 : 1;  // the "(" exceptions add
    rule.condition_text = r.cond;
    if (!r.exceptions.empty()) {
      std::optional<ExceptionConditionError> ex_err;
      rule.condition_text = build_exception_condition(r, ex_err);
      if (ex_err) {
        error(LoadError::kValidate, ex_err->ctx, ex_err->ctx.where, ex_err->message);
        return false;
      }
    }
    if (auto err = check_output(r.output, r.source, fields_)) {
      if (r.skip_if_unknown_filter && is_unknown_filter_error(*err)) {
        result_.add_warning(LoadWarning::kUnknownFilter, r.ctx.item_type, r.ctx.item_name, r.output_where, *err);
        return true;
      }
      error(LoadError::kCompileOutput, r.ctx, r.output_where, *err);
      return false;
    }
    ParseOutcome p = parse_condition(rule.condition_text);
    if (!p.ok()) {
      error(LoadError::kCompileCondition, r.ctx, locate(r.cond_where, p.error.pos, shift, macro_infos_), p.error.message);
      return false;
    }
    if (!lists_.expand(*p.expr)) {
      error(LoadError::kCompileCondition, r.ctx, r.cond_where.start, "condition too deeply nested");
      return false;
    }
    if (auto err = resolver.resolve(p.expr, UINT32_MAX)) {
      error(LoadError::kValidate, r.ctx, locate(r.cond_where, err->pos, shift, macro_infos_), err->message);
      return false;
    }
    if (auto err = check_condition(*p.expr, r.source, fields_)) {
      if (r.skip_if_unknown_filter && err->unknown_field_or_type) {
        result_.add_warning(LoadWarning::kUnknownFilter, r.ctx.item_type, r.ctx.item_name,
                            locate(r.cond_where, err->pos, shift, macro_infos_), err->message);
        return true;
      }
      error(LoadError::kCompileCondition, r.ctx, locate(r.cond_where, err->pos, shift, macro_infos_), err->message);
      return false;
    }
    if (auto na = find_unsafe_na_check(*p.expr)) {
      result_.add_warning(LoadWarning::kUnsafeNaCheck, r.ctx.item_type, r.ctx.item_name, locate(r.cond_where, *na, shift, macro_infos_),
                          "comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of "
                          "the rule condition. If you need to check for the existence of a field, consider using "
                          "the 'exists' operator instead.");
    }
    rule.evttypes = r.source == "syscall" ? condition_evttypes(*p.expr) : EvttypeSet::all();
    if (r.source == "syscall" && r.warn_evttypes && matches_too_many_evttypes(rule.evttypes)) {
      result_.add_warning(LoadWarning::kNoEvttype, r.ctx.item_type, r.ctx.item_name, r.ctx.where,
                          "Rule matches too many evt.type values. This has a significant performance penalty.");
    }
    // Syscalls Kestrel has no event type for reach the rule only as generic
    // syscall events, which are captured only with -A (all event types).
    if (r.source == "syscall" && r.warn_evttypes) {
      if (auto generic = rule.evttypes.generic_syscalls(); !generic.empty()) {
        std::string names;
        for (const auto& n : generic) names += (names.empty() ? "" : ", ") + n;
        result_.add_warning(LoadWarning::kGenericSyscall, r.ctx.item_type, r.ctx.item_name, r.ctx.where,
                            "Kestrel has no event type for " + names +
                                ": the rule sees it only as a generic syscall event, captured with -A "
                                "(all event types)");
      }
    }
    rule.name = r.name;
    rule.desc = r.desc;
    rule.output = r.output;
    rule.source = r.source;
    rule.priority = r.priority;
    rule.tags = r.tags;
    rule.enabled = r.enabled;
    rule.capture = r.capture;
    rule.capture_duration_ms = r.capture_duration_ms;
    rule.condition = std::move(p.expr);
    out.rules.push_back(std::move(rule));
    return true;
  }

  void warn_unused() {
    for (const auto& m : macros_) {
      if (m.used) continue;
      const MacroInfo* info = c_.macros.find(m.name);
      result_.add_warning(LoadWarning::kUnusedMacro, info->ctx.item_type, info->ctx.item_name, info->ctx.where,
                          "Macro not referred to by any other rule/macro");
    }
    // Macros that never parsed count as unused too (Falco reports them).
    for (size_t i = macros_.size(); i < c_.macros.all().size(); ++i) {
      const MacroInfo& info = c_.macros.all()[i];
      result_.add_warning(LoadWarning::kUnusedMacro, info.ctx.item_type, info.ctx.item_name, info.ctx.where,
                          "Macro not referred to by any other rule/macro");
    }
    for (const auto& l : lists_.all()) {
      if (l.used) continue;
      const ListInfo* info = c_.lists.find(l.name);
      result_.add_warning(LoadWarning::kUnusedList, info->ctx.item_type, info->ctx.item_name, info->ctx.where,
                          "List not referred to by any other rule/macro");
    }
  }

  const RuleCollection& c_;
  LoadResult& result_;
  const FieldRegistry& fields_;
  ResolvedLists lists_;
  std::vector<ParsedMacro> macros_;
  std::vector<const MacroInfo*> macro_infos_;  // parallel to macros_
};

}  // namespace

RuleSet build_rule_set(const RuleCollection& collection, LoadResult& result, const FieldRegistry& fields) {
  return Builder(collection, result, fields).run();
}

RuleSet load_rules(const std::vector<std::string>& paths, LoadResult& result, uint64_t max_file_bytes,
                   const FieldRegistry& fields) {
  RuleCollection collection;
  bool ok = true;
  for (const auto& p : paths) ok = read_rules_path(p, collection, result, max_file_bytes, fields) && ok;
  if (!ok) return RuleSet{};
  return build_rule_set(collection, result, fields);
}

}  // namespace kestrel::engine
