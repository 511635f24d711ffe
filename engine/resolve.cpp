#include "engine/resolve.h"

#include "engine/lexer.h"
#include "engine/parser.h"

namespace kestrel::engine {
namespace {

// Macro expansions allowed per resolve() call: far above what real rule
// sets need (hundreds), low enough to stop exponential macro bombs.
constexpr size_t kMacroExpansionBudget = 200000;
// Nodes a resolved condition may grow to: the upstream rulesets' largest
// rule is a few thousand nodes.
constexpr size_t kMacroNodeBudget = 250000;

// A list item as Falco's parser would read it after substitution: items
// written with quotes are quoted strings, others are bare.
Value item_value(const std::string& item, TextPos pos) {
  if (item.size() >= 2 && (item.front() == '"' || item.front() == '\'') && item.back() == item.front()) {
    return Value{unescape_string(std::string_view(item).substr(1, item.size() - 2)), true, pos};
  }
  return Value{item, false, pos};
}

void quote_item(std::string& e) {
  if (e.find(' ') != std::string::npos && !e.empty() && e[0] != '"' && e[0] != '\'') e = '"' + e + '"';
}

void paren_item(std::string& e) {
  if (e.empty() || e[0] != '(') e = '(' + e + ')';
}

// Marks positions copied from a macro's text as coming from it (positions
// already marked came from a macro that one expands).
void set_origin(Expr& e, uint32_t origin, int depth) {
  if (depth > kMaxConditionDepth) return;
  auto mark = [origin](TextPos& p) {
    if (p.origin == 0) p.origin = origin;
  };
  mark(e.pos);
  mark(e.left.pos);
  for (auto& v : e.values) mark(v.pos);
  if (e.rhs_field) mark(e.rhs_field->pos);
  for (auto& c : e.children) set_origin(*c, origin, depth + 1);
}

}  // namespace

ResolvedLists::ResolvedLists(const RuleCollection& c) {
  std::vector<std::string> used_names;
  for (const ListInfo& list : c.lists.all()) {
    ResolvedList r;
    r.name = list.name;
    r.index = list.index;
    for (const auto& item : list.items) {
      const ListInfo* ref = c.lists.find(item);
      if (ref && ref->index < list.visibility) {
        used_names.push_back(ref->name);
        r.items.insert(r.items.end(), ref->items.begin(), ref->items.end());
      } else {
        r.items.push_back(item);
      }
    }
    by_name_[r.name] = lists_.size();
    lists_.push_back(std::move(r));
  }
  for (const auto& n : used_names) lists_[by_name_[n]].used = true;
}

void ResolvedLists::expand_value(const Value& v, size_t min_index, std::vector<Value>& out, int depth) {
  auto it = v.quoted ? by_name_.end() : by_name_.find(v.text);
  if (it == by_name_.end() || lists_[it->second].index < min_index || depth > kMaxConditionDepth) {
    out.push_back(v);
    return;
  }
  ResolvedList& list = lists_[it->second];
  list.used = true;
  for (const auto& item : list.items) {
    expand_value(item_value(item, v.pos), list.index + 1, out, depth + 1);
  }
}

void ResolvedLists::expand_values(std::vector<Value>& values) {
  std::vector<Value> out;
  for (const auto& v : values) expand_value(v, 0, out, 0);
  // Expanded lists stay in the resolved tree for the rule set's lifetime:
  // give back the up to 2x capacity push_back growth left.
  out.shrink_to_fit();
  values = std::move(out);
}

bool ResolvedLists::expand(Expr& e, int depth) {
  if (depth > kMaxConditionDepth) return false;
  if (e.kind == ExprKind::kCheck && e.rhs == RhsKind::kList) expand_values(e.values);
  // A list named as a single value (proc.name=cat_binaries): Falco's
  // substitution puts the list's items where its name was, which is a
  // value only when there is exactly one item; otherwise the name stays
  // the literal value it was written as.
  if (e.kind == ExprKind::kCheck && e.rhs == RhsKind::kValue && e.values.size() == 1) {
    std::vector<Value> items;
    expand_value(e.values[0], 0, items, 0);
    if (items.size() == 1) e.values = std::move(items);
  }
  for (auto& c : e.children) {
    if (!expand(*c, depth + 1)) return false;
  }
  return true;
}

MacroResolver::MacroResolver(std::vector<ParsedMacro>& macros) : macros_(macros) {
  for (size_t i = 0; i < macros_.size(); ++i) by_name_[macros_[i].name] = i;
}

std::optional<ResolveError> MacroResolver::resolve(ExprPtr& root, uint32_t visibility) {
  budget_ = kMacroExpansionBudget;
  node_budget_ = kMacroNodeBudget;
  std::vector<std::string> stack;
  std::shared_ptr<Expr> tree = std::move(root);
  auto err = resolve_node(tree, visibility, stack, 0);
  // Back to a root of its own: the root node is copied (children stay
  // shared) when it became a macro's shared tree, moved otherwise.
  root = tree.use_count() == 1 ? std::make_unique<Expr>(std::move(*tree)) : std::make_unique<Expr>(*tree);
  return err;
}

std::optional<ResolveError> MacroResolver::resolve_macro(size_t i) {
  budget_ = kMacroExpansionBudget;
  node_budget_ = kMacroNodeBudget;
  std::vector<std::string> stack;
  ParsedMacro& m = macros_[i];
  if (auto err = resolve_node(m.expr, m.visibility, stack, 0)) return err;
  // What every use used to get on its copy, done once.
  set_origin(*m.expr, m.origin, 0);
  m.height = tree_height(*m.expr);
  m.resolved = true;
  return std::nullopt;
}

std::optional<ResolveError> MacroResolver::resolve_node(std::shared_ptr<Expr>& node, uint32_t visibility,
                                                        std::vector<std::string>& stack, int depth) {
  if (depth > kMaxConditionDepth) {
    return ResolveError{"condition too deeply nested after macro expansion (limit " +
                            std::to_string(kMaxConditionDepth) + ")",
                        node->pos};
  }
  if (node->kind != ExprKind::kMacroRef) {
    for (auto& c : node->children) {
      if (auto err = resolve_node(c, visibility, stack, depth + 1)) return err;
    }
    return std::nullopt;
  }
  const std::string name = node->macro;
  auto it = by_name_.find(name);
  if (it == by_name_.end() || macros_[it->second].index >= visibility || !macros_[it->second].expr) {
    return ResolveError{"Undefined macro '" + name + "' used in filter.", node->pos};
  }
  for (const auto& s : stack) {
    if (s == name) return ResolveError{"reference loop in macro '" + name + "'", node->pos};
  }
  if (budget_ == 0) return ResolveError{"too many macro expansions", node->pos};
  --budget_;
  ParsedMacro& m = macros_[it->second];
  size_t nodes = count_nodes(*m.expr, node_budget_);
  if (nodes > node_budget_) return ResolveError{"too many macro expansions (condition too large)", node->pos};
  node_budget_ -= nodes;
  if (m.resolved) {
    // Nothing left to resolve inside: share it. (A copy at this depth
    // would fail exactly when it reaches past the cap.)
    if (depth + m.height > kMaxConditionDepth) {
      return ResolveError{"condition too deeply nested after macro expansion", node->pos};
    }
    m.used = true;
    node = m.expr;
    return std::nullopt;
  }
  // A macro not resolved yet (defined later, visible through a later
  // append) is resolved in this context, on a copy.
  std::shared_ptr<Expr> copy = clone_expr(*m.expr, depth);
  if (!copy) return ResolveError{"condition too deeply nested after macro expansion", node->pos};
  m.used = true;
  set_origin(*copy, m.origin, 0);
  stack.push_back(name);
  auto err = resolve_node(copy, visibility, stack, depth);
  stack.pop_back();
  if (err) return err;
  node = std::move(copy);
  return std::nullopt;
}

std::string build_exception_condition(const RuleInfo& rule, std::optional<ExceptionConditionError>& error) {
  std::string condition = "(" + rule.cond + ")";
  for (const auto& ex : rule.exceptions) {
    std::string icond;
    if (!ex.fields.is_list) {
      for (const auto& val : ex.values) {
        if (val.is_list) {
          error = ExceptionConditionError{ex.ctx, "Expected values array to contain a list of strings"};
          return "";
        }
        icond += icond.empty() ? ("(" + ex.fields.item + " " + ex.comps.item + " (") : ", ";
        std::string tmp = val.item;
        quote_item(tmp);
        icond += tmp;
      }
      icond += icond.empty() ? "" : "))";
    } else {
      icond = "(";
      for (const auto& values : ex.values) {
        if (ex.fields.items.size() != values.items.size()) {
          error = ExceptionConditionError{ex.ctx, "Fields and values lists must have equal length"};
          return "";
        }
        icond += icond == "(" ? "" : " or ";
        icond += "(";
        for (size_t k = 0; k < ex.fields.items.size(); ++k) {
          icond += k == 0 ? "" : " and ";
          std::string istr;
          const ExceptionEntry& v = values.items[k];
          if (v.is_list) {
            istr = "(";
            for (const auto& item : v.items) {
              std::string tmp = item.item;
              quote_item(tmp);
              istr += istr == "(" ? "" : ", ";
              istr += tmp;
            }
            istr += ")";
          } else {
            istr = v.item;
            if (is_list_operator(ex.comps.items[k].item)) {
              paren_item(istr);
            } else {
              quote_item(istr);
            }
          }
          icond += " " + ex.fields.items[k].item + " " + ex.comps.items[k].item + " " + istr;
        }
        icond += ")";
      }
      icond += ")";
      if (icond == "()") icond.clear();
    }
    if (!icond.empty()) condition += " and not " + icond;
  }
  return condition;
}

}  // namespace kestrel::engine
