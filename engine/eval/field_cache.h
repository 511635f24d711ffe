// field_cache.h — each field extracted at most once per event.
//
// The compiler interns every distinct operand (field + argument +
// transformers, e.g. "tolower(proc.aname[2])") as a slot. During an event,
// get(slot) extracts and transforms on first use and returns the stored
// value afterwards; begin_event() invalidates every slot in O(1) by bumping
// a generation number. Slots own their scratch buffers, so after warm-up
// extraction reuses memory instead of allocating.
//
// Transformers (Falco's): tolower, toupper, b64 (decode; an invalid input
// makes the value missing), basename (after the last '/'), len (string
// length as uint64; one length per value for multi-valued fields). val() is the identity: it only
// marks a right-hand side field.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/ast.h"
#include "engine/eval/extract.h"

namespace kestrel::engine::eval {

struct OperandSpec {
  FieldRef ref;
  std::vector<Transformer> transformers;  // outermost first, as in the AST
  std::string key;                        // canonical text, for interning
};

class FieldCache {
 public:
  // The source operands resolve against (a cache serves one rule engine,
  // which evaluates one source); syscall unless set before compiling.
  void set_scope(FieldScope scope) { scope_ = std::move(scope); }
  const FieldScope& scope() const { return scope_; }

  // The slot for `spec`, shared with an earlier identical operand.
  uint32_t intern(OperandSpec spec);

  // Starts a new event: every slot becomes stale.
  void begin_event() { ++generation_; }

  // The slot's value for the current event (extracted now if stale).
  const ExtractedValue& get(uint32_t slot, ExtractContext& ctx) {
    Slot& s = slots_[slot];
    if (s.generation != generation_) fill(s, ctx);
    return s.value;
  }

  // Check results, shared by identical checks (same operand, operator and
  // values) across rules: macros expand to the same checks in many rules,
  // and an event meets several of them. intern_result() names one result
  // slot per distinct check text.
  uint32_t intern_result(const std::string& check_key);
  // 1/0 when the check already ran for this event, -1 otherwise.
  int cached_result(uint32_t i) const { return result_gen_[i] == generation_ ? result_val_[i] : -1; }
  void store_result(uint32_t i, bool value) {
    result_gen_[i] = generation_;
    result_val_[i] = value;
  }
  size_t result_slots() const { return result_gen_.size(); }

  size_t size() const { return slots_.size(); }
  const OperandSpec& spec(uint32_t slot) const { return slots_[slot].spec; }
  // Extractions performed (cache misses), for tests and stats.
  uint64_t extractions() const { return extractions_; }

 private:
  struct Slot {
    OperandSpec spec;
    uint64_t generation = 0;
    ExtractedValue value;
    Scratch scratch;
    std::vector<Scratch> transform_scratch;  // one per transformer
  };
  void fill(Slot& s, ExtractContext& ctx);

  std::vector<Slot> slots_;
  std::unordered_map<std::string, uint32_t> by_key_;
  std::unordered_map<std::string, uint32_t> results_by_key_;
  std::vector<uint64_t> result_gen_;
  std::vector<uint8_t> result_val_;
  uint64_t generation_ = 1;
  uint64_t extractions_ = 0;
  FieldScope scope_;
};

// Applies one transformer to `v` in place, using `scratch` for new text.
void apply_transformer(Transformer t, ExtractedValue& v, Scratch& scratch);

}  // namespace kestrel::engine::eval
