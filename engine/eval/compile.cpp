// The predicate compiler.
#include "engine/eval/compile.h"

#include <algorithm>

#include "sources/event/syscall_table.h"

namespace kestrel::engine::eval {
namespace {

enum class TypeClass { kString, kNumeric, kBool, kIp, kDynamic };

Status error_at(std::string message, TextPos pos) {
  SourcePosition where;
  where.line = pos.line;
  where.column = pos.column;
  return Status(StatusCode::kInvalidArgument, std::move(message), where);
}

TypeClass class_of(const OperandSpec& spec) {
  // evt.rawarg yields numbers or text depending on the event's param.
  if (spec.ref.info->name == "evt.rawarg") return TypeClass::kDynamic;
  FieldType t = spec.ref.info->type;
  for (auto it = spec.transformers.rbegin(); it != spec.transformers.rend(); ++it) {
    if (*it == Transformer::kVal) continue;
    t = *it == Transformer::kLen ? FieldType::kUint64 : FieldType::kString;
  }
  if (is_stringlike(t)) return TypeClass::kString;
  if (is_numeric(t)) return TypeClass::kNumeric;
  if (t == FieldType::kBool) return TypeClass::kBool;
  return TypeClass::kIp;
}


Result<OperandSpec> make_spec(const FieldOperand& f, const FieldScope& scope) {
  auto ref = resolve_field(scope, f.field, f.arg);
  if (!ref.ok()) return error_at(ref.status().message(), f.pos);
  OperandSpec spec;
  spec.ref = std::move(ref).value();
  spec.transformers = f.transformers;
  spec.key = f.to_string();
  FieldType t = spec.ref.info->type;
  for (auto it = spec.transformers.rbegin(); it != spec.transformers.rend(); ++it) {
    if (*it == Transformer::kVal) continue;
    if (!is_stringlike(t)) {
      return error_at("transformer '" + std::string(transformer_name(*it)) + "' is not supported on field " +
                          f.field + " of type " + std::string(field_type_name(t)),
                      f.pos);
    }
    t = *it == Transformer::kLen ? FieldType::kUint64 : FieldType::kString;
  }
  return spec;
}

// Checks every value parses for the operand's type class.
Status check_values(TypeClass cls, CmpOp op, const Expr& e) {
  const std::string where = " for field " + e.left.to_string();
  if (cls == TypeClass::kDynamic || cls == TypeClass::kString) return ok_status();
  if (is_string_op(op)) {
    return error_at("operator '" + std::string(cmp_op_name(e.op)) + "' is not supported" + where, e.pos);
  }
  if (is_ordering_op(op) && cls != TypeClass::kNumeric) {
    return error_at("operator '" + std::string(cmp_op_name(e.op)) + "' is not supported" + where, e.pos);
  }
  for (const auto& v : e.values) {
    bool ok = cls == TypeClass::kNumeric ? parse_number(v.text).has_value()
              : cls == TypeClass::kBool  ? (v.text == "true" || v.text == "false")
                                         : parse_ip_or_net(v.text).has_value();
    if (!ok) return error_at("'" + v.text + "' is not a valid value" + where, v.pos);
  }
  return ok_status();
}

// A rough cost rank for ordering and/or children: fields from the event
// record are cheapest, then the thread's own entry, then fd lookups and
// name databases, then parent/ancestor walks; regexes and globs add.
int estimated_check_cost(std::string_view field, CmpOp op) {
  int cost = 4;
  auto starts = [&](std::string_view p) { return field.substr(0, p.size()) == p; };
  if (starts("evt.")) cost = (starts("evt.arg") || starts("evt.time") || starts("evt.datetime")) ? 4 : 2;
  if (field == "proc.pid" || field == "thread.tid") cost = 2;
  if (starts("fd.") || field == "user.name" || field == "group.name" || field == "user.loginname") cost = 6;
  bool walks = starts("proc.pname") || starts("proc.pcmdline") || starts("proc.pexe") || starts("proc.pvpid") ||
               starts("proc.ppid.") || starts("proc.a") || field == "proc.sname" || starts("proc.sid.") ||
               starts("proc.vpgid.") || starts("proc.pgid.");
  if (walks) cost = 8;
  if (field == "proc.cmdline" || field == "proc.args" || field == "proc.exeline") cost += 1;
  if (op == CmpOp::kRegex) cost += 4;
  if (op == CmpOp::kGlob || op == CmpOp::kIGlob || op == CmpOp::kIContains) cost += 2;
  return cost;
}

bool is_plain(const FieldOperand& f, std::string_view name) {
  return f.field == name && !f.arg && f.transformers.empty();
}

bool same_texts(const std::vector<RhsValue>& compiled, const std::vector<Value>& values) {
  return std::equal(compiled.begin(), compiled.end(), values.begin(), values.end(),
                    [](const RhsValue& a, const Value& b) { return a.text == b.text; });
}

Result<PredicatePtr> compile_check(const Expr& e, FieldCache& cache, RhsMemo* memo) {
  const CmpOp op = e.op;
  bool set_op = op == CmpOp::kEq || op == CmpOp::kNe || op == CmpOp::kIn;

  if (is_plain(e.left, "evt.type") && set_op && e.rhs != RhsKind::kField) {
    std::bitset<KE_COUNT> types;
    std::vector<int64_t> generic_ids;
    for (const auto& v : e.values) {
      if (auto t = event_type_by_name(v.text); t && *t < KE_COUNT) types.set(*t);
      else if (auto nr = syscall_number(native_arch(), v.text)) generic_ids.push_back(*nr);
    }
    std::sort(generic_ids.begin(), generic_ids.end());
    return PredicatePtr(std::make_unique<EventTypeNode>(types, std::move(generic_ids), op == CmpOp::kNe));
  }
  if (is_plain(e.left, "evt.dir") && set_op && e.rhs != RhsKind::kField) {
    auto names = [&](const char* dir) {
      return std::any_of(e.values.begin(), e.values.end(), [&](const Value& v) { return v.text == dir; });
    };
    const bool ne = op == CmpOp::kNe;
    return PredicatePtr(std::make_unique<DirectionNode>(names("<") != ne, names(">") != ne));
  }

  auto spec = make_spec(e.left, cache.scope());
  if (!spec.ok()) return spec.status();
  TypeClass cls = class_of(*spec);
  int cost = estimated_check_cost(spec->ref.info->name, op);
  uint32_t slot = cache.intern(std::move(spec).value());

  if (e.rhs == RhsKind::kField) {
    if (!e.rhs_field) return error_at("missing right-hand side field", e.pos);
    auto rspec = make_spec(*e.rhs_field, cache.scope());
    if (!rspec.ok()) return rspec.status();
    if (op == CmpOp::kRegex || op == CmpOp::kBContains || op == CmpOp::kBStartsWith) {
      return error_at("operator '" + std::string(cmp_op_name(op)) + "' does not take a field on its right-hand side",
                      e.pos);
    }
    uint32_t rslot = cache.intern(std::move(rspec).value());
    return PredicatePtr(std::make_unique<FieldCompareNode>(slot, op, rslot));
  }

  // Identical checks (after macro expansion) share one per-event result.
  std::string key = e.left.to_string() + '\x1f' + std::string(cmp_op_name(op));
  for (const auto& v : e.values) key += '\x1f' + v.text;
  uint32_t result = cache.intern_result(key);
  if (op == CmpOp::kExists) return PredicatePtr(std::make_unique<CheckNode>(slot, op, RhsSet{}, cost, result));
  if (auto st = check_values(cls, op, e); !st.ok()) return st;
  // The key names operand, operator and values: one compiled right-hand
  // side serves every check with the same result slot.
  // (The values are compared too: the key joins them with a separator a
  // value could contain.)
  if (memo) {
    if (auto it = memo->find(result); it != memo->end() && same_texts(it->second->values, e.values)) {
      return PredicatePtr(std::make_unique<CheckNode>(slot, op, it->second, cost, result));
    }
  }
  std::vector<std::string> texts;
  texts.reserve(e.values.size());
  for (const auto& v : e.values) texts.push_back(v.text);
  auto rhs = compile_rhs(op, texts);
  if (!rhs.ok()) return error_at(rhs.status().message() + " for field " + e.left.to_string(), e.pos);
  auto shared = std::make_shared<const RhsSet>(std::move(rhs).value());
  if (memo) memo->emplace(result, shared);
  return PredicatePtr(std::make_unique<CheckNode>(slot, op, std::move(shared), cost, result));
}

Result<PredicatePtr> compile_expr(const Expr& e, FieldCache& cache, RhsMemo* memo, int depth);

// and/or: children of the same kind are inlined, constants folded, and
// cheap children moved first.
Result<PredicatePtr> compile_bool(const Expr& e, FieldCache& cache, RhsMemo* memo, int depth) {
  bool is_and = e.kind == ExprKind::kAnd;
  std::vector<PredicatePtr> kids;
  std::vector<const Expr*> stack;
  for (auto it = e.children.rbegin(); it != e.children.rend(); ++it) stack.push_back(it->get());
  while (!stack.empty()) {
    const Expr* c = stack.back();
    stack.pop_back();
    if (c->kind == e.kind) {
      for (auto it = c->children.rbegin(); it != c->children.rend(); ++it) stack.push_back(it->get());
      continue;
    }
    auto k = compile_expr(*c, cache, memo, depth + 1);
    if (!k.ok()) return k;
    PredicatePtr p = std::move(k).value();
    if (auto* cn = dynamic_cast<ConstNode*>(p.get())) {
      if (cn->value() == is_and) continue;                              // neutral element
      return PredicatePtr(std::make_unique<ConstNode>(!is_and));         // absorbing element
    }
    kids.push_back(std::move(p));
  }
  if (kids.empty()) return PredicatePtr(std::make_unique<ConstNode>(is_and));
  if (kids.size() == 1) return std::move(kids.front());
  std::stable_sort(kids.begin(), kids.end(), [](const PredicatePtr& a, const PredicatePtr& b) {
    return a->cost() < b->cost();
  });
  if (is_and) return PredicatePtr(std::make_unique<AndNode>(std::move(kids)));
  return PredicatePtr(std::make_unique<OrNode>(std::move(kids)));
}

Result<PredicatePtr> compile_expr(const Expr& e, FieldCache& cache, RhsMemo* memo, int depth) {
  if (depth > kMaxConditionDepth) return error_at("condition too deeply nested", e.pos);
  switch (e.kind) {
    case ExprKind::kCheck:
      return compile_check(e, cache, memo);
    case ExprKind::kMacroRef:
      return error_at("undefined macro '" + e.macro + "'", e.pos);
    case ExprKind::kNot: {
      if (e.children.size() != 1) return error_at("'not' needs one operand", e.pos);
      auto k = compile_expr(*e.children[0], cache, memo, depth + 1);
      if (!k.ok()) return k;
      PredicatePtr p = std::move(k).value();
      if (auto* cn = dynamic_cast<ConstNode*>(p.get())) return PredicatePtr(std::make_unique<ConstNode>(!cn->value()));
      return PredicatePtr(std::make_unique<NotNode>(std::move(p)));
    }
    case ExprKind::kAnd:
    case ExprKind::kOr:
      return compile_bool(e, cache, memo, depth);
  }
  return error_at("unknown expression kind", e.pos);
}

}  // namespace

Result<PredicatePtr> compile_condition(const Expr& condition, FieldCache& cache, RhsMemo* memo) {
  return compile_expr(condition, cache, memo, 0);
}

Result<uint32_t> compile_operand(const FieldOperand& operand, FieldCache& cache) {
  auto spec = make_spec(operand, cache.scope());
  if (!spec.ok()) return spec.status();
  return cache.intern(std::move(spec).value());
}

}  // namespace kestrel::engine::eval
