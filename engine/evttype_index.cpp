#include "engine/evttype_index.h"

#include <algorithm>
#include <bit>
#include <map>

#include "sources/event/event_table.h"
#include "sources/event/syscall_table.h"

namespace kestrel::engine {
namespace {

// Event names Falco's event table has that are not syscalls.
constexpr std::string_view kFalcoOnlyNames[] = {
    "switch",      "procinfo", "signaldeliver", "page_fault", "drop",   "notification", "cpu_hotplug",
    "infra",       "k8s",      "tracer",        "mesos",      "asyncevent", "procexit", "container",
    "pluginevent", "umount",   "sysdigevent",   "scapevent",  "syscall"};

// Highest syscall number probed per arch when listing libseccomp's names.
constexpr int kMaxSyscallNr = 1024;

struct Universe {
  std::vector<std::string> names;
  std::vector<std::optional<uint16_t>> kestrel_type;
  std::vector<bool> generic_syscall;  // a syscall of this machine with no Kestrel type
  std::map<std::string, size_t, std::less<>> codes;

  void add(std::string name, std::optional<uint16_t> type) {
    if (codes.count(name)) return;
    generic_syscall.push_back(!type && syscall_number(native_arch(), name).has_value());
    codes.emplace(name, names.size());
    names.push_back(std::move(name));
    kestrel_type.push_back(type);
  }

  Universe() {
    for (const auto& e : all_events()) add(std::string(e.name), e.type);
    for (Arch arch : {Arch::kX86_64, Arch::kAarch64}) {
      for (int nr = 0; nr < kMaxSyscallNr; ++nr) {
        if (auto name = syscall_name(arch, nr)) add(*name, std::nullopt);
      }
    }
    for (auto n : kFalcoOnlyNames) add(std::string(n), std::nullopt);
  }
};

const Universe& universe() {
  static const Universe u;
  return u;
}

bool is_evttype_operator(CmpOp op) { return op == CmpOp::kEq || op == CmpOp::kNe || op == CmpOp::kIn; }

EvttypeSet names_to_set(const std::vector<Value>& values) {
  EvttypeSet s = EvttypeSet::none();
  for (const auto& v : values) {
    if (auto code = evttype_code(v.text)) s.add(*code);
  }
  return s;
}

// One visitor step. `negated` says an odd number of `not`s sit above.
EvttypeSet visit(const Expr& e, bool negated, int depth) {
  if (depth > kMaxConditionDepth) return EvttypeSet::all();
  switch (e.kind) {
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      // De Morgan: under negation, and ↔ or.
      bool conjunction = (e.kind == ExprKind::kAnd) != negated;
      EvttypeSet acc = conjunction ? EvttypeSet::all() : EvttypeSet::none();
      for (const auto& c : e.children) {
        EvttypeSet cs = visit(*c, negated, depth + 1);
        if (conjunction) {
          acc.intersect(cs);
        } else {
          acc.merge(cs);
        }
      }
      return acc;
    }
    case ExprKind::kNot: return visit(*e.children[0], !negated, depth + 1);
    case ExprKind::kMacroRef: return EvttypeSet::all();
    case ExprKind::kCheck: break;
  }
  bool evttype_field = e.left.field == "evt.type" && !e.left.arg && e.left.transformers.empty();
  if (evttype_field && e.op == CmpOp::kExists) return negated ? EvttypeSet::none() : EvttypeSet::all();
  if (!evttype_field || !is_evttype_operator(e.op) || e.rhs == RhsKind::kField || e.rhs == RhsKind::kNone) {
    return EvttypeSet::all();  // neutral, also under negation
  }
  EvttypeSet s = names_to_set(e.values);
  bool invert = negated != (e.op == CmpOp::kNe);
  return invert ? s.complement() : s;
}

}  // namespace

std::optional<size_t> evttype_code(std::string_view name) {
  const auto& u = universe();
  auto it = u.codes.find(name);
  if (it == u.codes.end()) return std::nullopt;
  return it->second;
}

size_t evttype_universe_size() { return universe().names.size(); }

EvttypeSet EvttypeSet::none() {
  EvttypeSet s;
  s.bits_.assign((evttype_universe_size() + 63) / 64, 0);
  return s;
}

EvttypeSet EvttypeSet::all() {
  EvttypeSet s = none();
  for (size_t i = 0; i < evttype_universe_size(); ++i) s.add(i);
  return s;
}

void EvttypeSet::add(size_t code) { bits_[code / 64] |= uint64_t{1} << (code % 64); }
bool EvttypeSet::contains(size_t code) const { return bits_[code / 64] & (uint64_t{1} << (code % 64)); }

size_t EvttypeSet::count() const {
  size_t n = 0;
  for (auto w : bits_) n += std::popcount(w);
  return n;
}

bool EvttypeSet::is_all() const { return count() == evttype_universe_size(); }

EvttypeSet& EvttypeSet::intersect(const EvttypeSet& o) {
  for (size_t i = 0; i < bits_.size(); ++i) bits_[i] &= o.bits_[i];
  return *this;
}

EvttypeSet& EvttypeSet::merge(const EvttypeSet& o) {
  for (size_t i = 0; i < bits_.size(); ++i) bits_[i] |= o.bits_[i];
  return *this;
}

EvttypeSet EvttypeSet::complement() const {
  EvttypeSet s = none();
  for (size_t i = 0; i < evttype_universe_size(); ++i) {
    if (!contains(i)) s.add(i);
  }
  return s;
}

std::vector<std::string> EvttypeSet::names() const {
  if (is_all()) return {"all"};
  std::vector<std::string> out;
  for (size_t i = 0; i < evttype_universe_size(); ++i) {
    if (contains(i)) out.push_back(universe().names[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint16_t> EvttypeSet::kestrel_types() const {
  std::vector<uint16_t> out;
  for (size_t i = 0; i < evttype_universe_size(); ++i) {
    if (contains(i) && universe().kestrel_type[i]) out.push_back(*universe().kestrel_type[i]);
  }
  return out;
}

std::vector<std::string> EvttypeSet::generic_syscalls() const {
  std::vector<std::string> out;
  if (is_all()) return out;
  for (size_t i = 0; i < evttype_universe_size(); ++i) {
    if (contains(i) && universe().generic_syscall[i]) out.push_back(universe().names[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

EvttypeSet condition_evttypes(const Expr& e) { return visit(e, false, 0); }

bool matches_too_many_evttypes(const EvttypeSet& s) { return s.empty() || s.count() > 100; }

}  // namespace kestrel::engine
