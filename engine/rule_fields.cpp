#include "engine/rule_fields.h"

#include <unordered_set>
#include <vector>

#include "engine/output_check.h"

namespace kestrel::engine {
namespace {

bool is_number(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

void add_operand(const FieldOperand& operand, std::set<std::string>& out) {
  if (operand.field.empty()) return;
  // evt.arg[flags] names one param as evt.arg.flags does; evt.arg[0] any.
  if ((operand.field == "evt.arg" || operand.field == "evt.rawarg") && operand.arg && !is_number(*operand.arg))
    out.insert(operand.field + "." + *operand.arg);
  else
    out.insert(operand.field);
}

// "proc.aname[2]" -> "proc.aname"; "(fd.name)" -> "fd.name".
std::string token_field(std::string token) {
  if (!token.empty() && token.front() == '(') token.erase(0, 1);
  if (!token.empty() && token.back() == ')') token.pop_back();
  if (auto bracket = token.find('['); bracket != std::string::npos) token.resize(bracket);
  return token;
}

void add_condition(const Expr& root, std::set<std::string>& out) {
  std::vector<const Expr*> stack{&root};
  std::unordered_set<const Expr*> seen;  // a resolved tree is a DAG
  while (!stack.empty()) {
    const Expr* e = stack.back();
    stack.pop_back();
    if (!seen.insert(e).second) continue;
    if (e->kind == ExprKind::kCheck) {
      add_operand(e->left, out);
      if (e->rhs_field) add_operand(*e->rhs_field, out);
    }
    for (const auto& child : e->children)
      if (child) stack.push_back(child.get());
  }
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::set<std::string> fields_read(const RuleSet& rules, std::string_view source, Priority min_priority) {
  std::set<std::string> fields;
  for (const auto& rule : rules.rules) {
    if (!rule.enabled || rule.source != source || rule.priority > min_priority) continue;
    if (rule.condition) add_condition(*rule.condition, fields);
    for (const auto& token : output_field_tokens(rule.output)) fields.insert(token_field(token));
  }
  return fields;
}

ProcessParamsRead process_params_read(const std::set<std::string>& fields) {
  ProcessParamsRead read;
  for (const auto& f : fields) {
    if (f == "evt.args" || f == "evt.arg" || f == "evt.rawarg") read.env = read.cwd = read.cgroups = true;
    if (f == "proc.exe_sha256" || f == "evt.arg.exe_sha256" || f == "evt.rawarg.exe_sha256") read.exe_sha256 = true;
    if (f == "proc.env" || f == "proc.aenv" || f == "evt.arg.env" || f == "evt.rawarg.env") read.env = true;
    if (f == "proc.cwd" || f == "evt.arg.cwd" || f == "evt.rawarg.cwd") read.cwd = true;
    if (starts_with(f, "container.") || starts_with(f, "k8s.") || f == "evt.arg.cgroups" || f == "evt.rawarg.cgroups")
      read.cgroups = true;
  }
  return read;
}

}  // namespace kestrel::engine
