// program.h — a compiled condition: a tree of typed predicate nodes.
//
// compile_condition (compile.h) builds these from a resolved AST. Nodes are
// immutable after compilation; all per-event state lives in EvalState (the
// extraction context and the field cache), so one program can be shared.
// Evaluation never throws and, after warm-up, does not allocate (regex and
// set lookups work on views).
//
// Node kinds:
//   AndNode / OrNode   n-ary, short-circuit, nested and/or flattened
//   NotNode
//   ConstNode          folded checks (an and/or with a constant operand)
//   DirectionNode      evt.dir =/!=/in: the answer for exits and for enters
//   EventTypeNode      evt.type =/!=/in as one bit test on the type id
//   CheckNode          field (cache slot) OP compiled right-hand side
//   FieldCompareNode   field OP val(field)
#pragma once

#include <algorithm>
#include <bitset>
#include <memory>
#include <vector>

#include "engine/eval/compare.h"
#include "engine/eval/field_cache.h"

namespace kestrel::engine::eval {

struct EvalState {
  ExtractContext& ctx;
  FieldCache& cache;
};

class Predicate {
 public:
  virtual ~Predicate() = default;
  virtual bool eval(EvalState& s) const = 0;
  // Cheap nodes go first inside and/or (lower is cheaper).
  virtual int cost() const { return 10; }
};

using PredicatePtr = std::unique_ptr<Predicate>;

class AndNode final : public Predicate {
 public:
  explicit AndNode(std::vector<PredicatePtr> children) : children_(std::move(children)) {}
  bool eval(EvalState& s) const override {
    for (const auto& c : children_) {
      if (!c->eval(s)) return false;
    }
    return true;
  }
  // Usually decided by its cheapest (first) child failing.
  int cost() const override { return children_.empty() ? 0 : children_.front()->cost() + 1; }

 private:
  std::vector<PredicatePtr> children_;
};

class OrNode final : public Predicate {
 public:
  explicit OrNode(std::vector<PredicatePtr> children) : children_(std::move(children)) {}
  bool eval(EvalState& s) const override {
    for (const auto& c : children_) {
      if (c->eval(s)) return true;
    }
    return false;
  }
  int cost() const override {
    int worst = 0;
    for (const auto& c : children_) worst = std::max(worst, c->cost());
    return worst;
  }

 private:
  std::vector<PredicatePtr> children_;
};

class NotNode final : public Predicate {
 public:
  explicit NotNode(PredicatePtr child) : child_(std::move(child)) {}
  bool eval(EvalState& s) const override { return !child_->eval(s); }
  int cost() const override { return child_->cost(); }

 private:
  PredicatePtr child_;
};

class ConstNode final : public Predicate {
 public:
  explicit ConstNode(bool value) : value_(value) {}
  bool eval(EvalState&) const override { return value_; }
  int cost() const override { return 0; }
  bool value() const { return value_; }

 private:
  bool value_;
};

// evt.dir checks: live sources only emit exits, replays of .scap captures
// also enters (Event::enter); the check's answer for each is fixed at
// compile time.
class DirectionNode final : public Predicate {
 public:
  DirectionNode(bool on_exit, bool on_enter) : on_exit_(on_exit), on_enter_(on_enter) {}
  bool eval(EvalState& s) const override { return s.ctx.event().enter ? on_enter_ : on_exit_; }
  int cost() const override { return 0; }

 private:
  bool on_exit_;
  bool on_enter_;
};

// Syscalls with no Kestrel event type of their own arrive as generic
// KE_SYSCALL records carrying the native syscall number: `generic_ids`
// (sorted) are the numbers of the syscall names the check lists, so
// evt.type=madvise matches a generic record of madvise. `negated`: `!=`.
class EventTypeNode final : public Predicate {
 public:
  EventTypeNode(std::bitset<KE_COUNT> types, std::vector<int64_t> generic_ids, bool negated)
      : types_(types), generic_ids_(std::move(generic_ids)), negated_(negated) {}
  bool eval(EvalState& s) const override {
    uint16_t t = s.ctx.view().type();
    if (t >= KE_COUNT) return false;
    bool in = types_.test(t);
    if (!in && t == KE_SYSCALL && !generic_ids_.empty()) {
      auto id = s.ctx.view().param_int(KP_SYSCALL_id);
      in = id && std::binary_search(generic_ids_.begin(), generic_ids_.end(), *id);
    }
    return in != negated_;
  }
  int cost() const override { return 1; }

 private:
  std::bitset<KE_COUNT> types_;
  std::vector<int64_t> generic_ids_;
  bool negated_;
};

class CheckNode final : public Predicate {
 public:
  // `cost`: estimated_check_cost() of the operand and operator; `result`:
  // the FieldCache result slot shared by identical checks.
  // `rhs` may be shared by identical checks (compile.h RhsMemo).
  CheckNode(uint32_t slot, CmpOp op, std::shared_ptr<const RhsSet> rhs, int cost, uint32_t result)
      : slot_(slot), result_(result), op_(op), cost_(cost), rhs_(std::move(rhs)) {}
  CheckNode(uint32_t slot, CmpOp op, RhsSet rhs, int cost, uint32_t result)
      : CheckNode(slot, op, std::make_shared<const RhsSet>(std::move(rhs)), cost, result) {}
  bool eval(EvalState& s) const override {
    int known = s.cache.cached_result(result_);
    if (known >= 0) return known != 0;
    bool r = compute(s);
    s.cache.store_result(result_, r);
    return r;
  }
  int cost() const override { return cost_; }

 private:
  bool compute(EvalState& s) const {
    const ExtractedValue& v = s.cache.get(slot_, s.ctx);
    if (op_ == CmpOp::kExists) return v.present();
    // The common case without the generic dispatch.
    if (v.kind == ValueKind::kString) return match_string(op_, v.str, *rhs_);
    return match(op_, v, *rhs_);
  }

  uint32_t slot_;
  uint32_t result_;
  CmpOp op_;
  int cost_;
  std::shared_ptr<const RhsSet> rhs_;
};

class FieldCompareNode final : public Predicate {
 public:
  FieldCompareNode(uint32_t lhs, CmpOp op, uint32_t rhs) : lhs_(lhs), rhs_(rhs), op_(op) {}
  bool eval(EvalState& s) const override {
    // Copy: fetching the rhs may not disturb the lhs (different slots),
    // but keep the lhs value stable regardless.
    ExtractedValue l = s.cache.get(lhs_, s.ctx);
    return match_values(op_, l, s.cache.get(rhs_, s.ctx));
  }
  int cost() const override { return 20; }

 private:
  uint32_t lhs_, rhs_;
  CmpOp op_;
};

}  // namespace kestrel::engine::eval
