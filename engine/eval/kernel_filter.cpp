#include "engine/eval/kernel_filter.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "engine/eval/extract.h"
#include "engine/output_check.h"
#include "sources/event/event_table.h"

namespace kestrel::engine::eval {
namespace {

using Alt = KernelFilterAlternative;
using Atoms = std::vector<KernelPathAtom>;

// What a (sub)condition requires of an event of the type being derived.
// `never`: it cannot hold. Dimensions left at their defaults require nothing.
struct Req {
  bool never = false;
  uint8_t res = Alt::kResAny;
  uint8_t acc = 0xF;
  std::optional<Atoms> path;
  bool socket_fd = false;  // holds only when the event's fd is an IP socket

  static Req impossible() {
    Req r;
    r.never = true;
    return r;
  }
};

bool is_open_family(uint16_t t) { return t == KE_OPEN || t == KE_OPENAT || t == KE_OPENAT2 || t == KE_CREAT; }

// State types whose state effect is on success only (StateUpdater::on_exec,
// on_directory return at once for a result other than 0): a failed one
// changes nothing but which threads are known, as every filtered event.
bool state_on_success_only(uint16_t t) {
  return t == KE_EXECVE || t == KE_EXECVEAT || t == KE_CHDIR || t == KE_FCHDIR || t == KE_CHROOT;
}

// Kernel cost and selectivity of a path disjunction, to pick one under `and`:
// atoms anchored at the start need one lookup, unanchored ones one per '/'.
size_t path_score(const Atoms& a) {
  bool anchored = std::all_of(a.begin(), a.end(), [](const auto& x) { return x.anchored; });
  size_t shortest = a.empty() ? 0 : SIZE_MAX;
  for (const auto& x : a) shortest = std::min(shortest, x.text.size() + (x.exact ? 1 : 0));
  return (anchored ? 100000 : 0) + shortest;
}

Req conj(Req a, const Req& b) {
  if (a.never || b.never) return Req::impossible();
  a.res &= b.res;
  a.acc &= b.acc;
  if (a.res == 0 || a.acc == 0) return Req::impossible();
  if (b.path && (!a.path || path_score(*b.path) > path_score(*a.path))) a.path = b.path;
  a.socket_fd = a.socket_fd || b.socket_fd;
  return a;
}

Req disj(Req a, const Req& b) {
  if (a.never) return b;
  if (b.never) return a;
  a.res |= b.res;
  a.acc |= b.acc;
  if (a.path && b.path) {
    a.path->insert(a.path->end(), b.path->begin(), b.path->end());
  } else {
    a.path.reset();
  }
  a.socket_fd = a.socket_fd && b.socket_fd;
  return a;
}

// A path as fd.name holds it: absolute and lexically normal.
bool canonical(std::string_view p) {
  if (p.empty() || p[0] != '/') return false;
  if (p == "/") return true;
  if (p.back() == '/') return false;
  if (p.find("//") != std::string_view::npos) return false;
  for (size_t i = p.find("/."); i != std::string_view::npos; i = p.find("/.", i + 1)) {
    std::string_view rest = p.substr(i + 2);
    if (rest.empty() || rest[0] == '/' || rest == "." || rest.substr(0, 2) == "./") return false;
  }
  return true;
}

std::optional<int64_t> as_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<bool> as_bool(std::string_view s) {
  if (s == "true" || s == "TRUE" || s == "True") return true;
  if (s == "false" || s == "FALSE" || s == "False") return false;
  return std::nullopt;
}

// The operator that holds exactly when `op` does not (for values present).
std::optional<CmpOp> complement(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return CmpOp::kNe;
    case CmpOp::kNe: return CmpOp::kEq;
    case CmpOp::kLt: return CmpOp::kGe;
    case CmpOp::kGe: return CmpOp::kLt;
    case CmpOp::kLe: return CmpOp::kGt;
    case CmpOp::kGt: return CmpOp::kLe;
    default: return std::nullopt;
  }
}

// Signs x may have when `x op k` holds.
uint8_t signs_of(CmpOp op, int64_t k) {
  constexpr uint8_t N = Alt::kResNegative, P = Alt::kResNonNegative, A = Alt::kResAny;
  switch (op) {
    case CmpOp::kEq: return k < 0 ? N : P;
    case CmpOp::kLt: return k <= 0 ? N : A;
    case CmpOp::kLe: return k < 0 ? N : A;
    case CmpOp::kGt: return k >= -1 ? P : A;
    case CmpOp::kGe: return k >= 0 ? P : A;
    default: return A;
  }
}

// The values of a check (one for kValue, the list for kList), or nullopt
// for a right-hand side that is no literal.
std::optional<std::vector<std::string_view>> literal_values(const Expr& e) {
  if (e.rhs != RhsKind::kValue && e.rhs != RhsKind::kList) return std::nullopt;
  std::vector<std::string_view> out;
  for (const auto& v : e.values) out.push_back(v.text);
  return out;
}

class Deriver {
 public:
  explicit Deriver(uint16_t type) : type_(type), roles_(param_roles(type)), name_(event_info(type).name) {}

  Req walk(const Expr& e, bool positive, int depth) const {
    if (depth > kMaxConditionDepth) return {};
    switch (e.kind) {
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        // Under `not`, De Morgan: and <-> or.
        const bool all = (e.kind == ExprKind::kAnd) == positive;
        Req acc = all ? Req{} : Req::impossible();
        for (const auto& c : e.children) {
          if (!c) return {};
          Req r = walk(*c, positive, depth + 1);
          acc = all ? conj(std::move(acc), r) : disj(std::move(acc), r);
        }
        return acc;
      }
      case ExprKind::kNot:
        if (e.children.size() != 1 || !e.children[0]) return {};
        return walk(*e.children[0], !positive, depth + 1);
      case ExprKind::kCheck:
        return check(e, positive);
      case ExprKind::kMacroRef:
        return {};
    }
    return {};
  }

 private:
  Req check(const Expr& e, bool positive) const {
    if (!e.left.transformers.empty()) return {};
    const std::string& f = e.left.field;
    if (f == "evt.type") return evt_type(e, positive);
    auto values = literal_values(e);
    if (!values) return {};
    // Exact complements: these fields always have a value where the kernel
    // judges them (it passes an event whose result or flags are missing).
    std::optional<CmpOp> op = positive ? std::optional<CmpOp>(e.op) : complement(e.op);
    if (!op && e.op != CmpOp::kIn) return {};
    if (f == "evt.rawres" || (f == "fd.num" && roles_.fd >= 0 && roles_.fd == roles_.res)) {
      if (!positive && e.op == CmpOp::kIn) return {};
      return result_signs(*values, positive ? e.op : *op);
    }
    if (f == "evt.res") return res_text(*values, positive ? e.op : *op);
    if (f == "evt.failed") return failed(*values, positive ? e.op : *op);
    if ((f == "evt.is_open_read" || f == "evt.is_open_write") && roles_.flags >= 0)
      return open_mode(f == "evt.is_open_write", *values, positive ? e.op : *op);
    if (!positive) return {};
    if (socket_only(f, e.op, *values)) {
      Req r;
      r.socket_fd = true;
      return r;
    }
    if (roles_.path < 0) return {};
    const bool raw_name = f == "fd.nameraw" || f == "evt.arg.name" || (f == "evt.arg" && e.left.arg == "name");
    if (f == "fd.name" || raw_name) return name_atoms(e.op, *values);
    if (f == "fd.directory") return directory_atoms(e.op, *values);
    if (f == "fd.filename") return filename_atoms(e.op, *values);
    return {};
  }

  Req evt_type(const Expr& e, bool positive) const {
    auto values = literal_values(e);
    if (!values || (e.op != CmpOp::kEq && e.op != CmpOp::kIn && e.op != CmpOp::kNe)) return {};
    bool named = std::find(values->begin(), values->end(), name_) != values->end();
    bool holds = e.op == CmpOp::kNe ? !named : named;
    return holds == positive ? Req{} : Req::impossible();
  }

  Req result_signs(const std::vector<std::string_view>& values, CmpOp op) const {
    if (roles_.res < 0) return {};
    Req r;
    r.res = 0;
    if (op == CmpOp::kIn) {
      for (auto v : values) {
        auto k = as_int(v);
        if (!k) return {};
        r.res |= signs_of(CmpOp::kEq, *k);
      }
      return r.res == 0 ? Req::impossible() : r;
    }
    if (values.size() != 1) return {};
    auto k = as_int(values[0]);
    if (!k) return {};
    r.res = signs_of(op, *k);
    return r;
  }

  Req res_text(const std::vector<std::string_view>& values, CmpOp op) const {
    if (roles_.res < 0 || values.size() != 1) return {};
    Req r;
    const bool success = values[0] == "SUCCESS";
    if (op == CmpOp::kEq) r.res = success ? Alt::kResNonNegative : Alt::kResNegative;
    else if (op == CmpOp::kNe && success) r.res = Alt::kResNegative;
    return r;
  }

  Req failed(const std::vector<std::string_view>& values, CmpOp op) const {
    if (roles_.res < 0 || values.size() != 1) return {};
    auto b = as_bool(values[0]);
    if (!b || (op != CmpOp::kEq && op != CmpOp::kNe)) return {};
    const bool want_failed = (op == CmpOp::kEq) == *b;
    Req r;
    r.res = want_failed ? Alt::kResNegative : Alt::kResNonNegative;
    return r;
  }

  // Access modes 0..3 (O_RDONLY, O_WRONLY, O_RDWR, 3) as the extractors
  // (extract_evt.cpp) read them: read = {0, 2}, write = {1, 2}.
  Req open_mode(bool write, const std::vector<std::string_view>& values, CmpOp op) const {
    if (values.size() != 1) return {};
    auto b = as_bool(values[0]);
    if (!b || (op != CmpOp::kEq && op != CmpOp::kNe)) return {};
    const uint8_t yes = write ? 0b0110 : 0b0101;
    Req r;
    r.acc = ((op == CmpOp::kEq) == *b) ? yes : static_cast<uint8_t>(0xF & ~yes);
    return r;
  }

  // Checks only an IP socket fd can pass: on any other fd (or none) the
  // field has no value, or a file's, and the check is false.
  static bool socket_only(const std::string& f, CmpOp op, const std::vector<std::string_view>& values) {
    static const std::set<std::string, std::less<>> kIpFields = {
        "fd.sip", "fd.cip", "fd.rip", "fd.lip", "fd.sport", "fd.cport", "fd.rport", "fd.lport"};
    const bool eq_like = op == CmpOp::kEq || op == CmpOp::kIn;
    if (kIpFields.count(f)) return eq_like && !values.empty();
    if (f == "fd.typechar" || f == "fd.type") {
      if (!eq_like || values.empty()) return false;
      for (auto v : values)
        if (v != "4" && v != "6" && v != "ipv4" && v != "ipv6") return false;
      return true;
    }
    return false;
  }

  static Req atoms(Atoms a) {
    Req r;
    if (a.empty()) return Req::impossible();
    r.path = std::move(a);
    return r;
  }

  Req name_atoms(CmpOp op, const std::vector<std::string_view>& values) const {
    Atoms a;
    for (auto v : values) {
      switch (op) {
        case CmpOp::kEq:
        case CmpOp::kIn:
          if (!canonical(v)) return {};
          a.push_back({std::string(v), true, true});
          break;
        case CmpOp::kPMatch:
          // pmatch compares without trailing '/'s (compare.cpp): "/mnt/b/"
          // matches "/mnt/b" and below.
          while (v.size() > 1 && v.back() == '/') v.remove_suffix(1);
          [[fallthrough]];
        case CmpOp::kStartsWith:
          if (v.empty() || v[0] != '/') return {};
          a.push_back({std::string(v), true, false});
          break;
        case CmpOp::kGlob: {
          auto lit = v.substr(0, v.find_first_of("*?[\\"));
          if (lit.empty() || lit[0] != '/') return {};
          a.push_back({std::string(lit), true, false});
          break;
        }
        case CmpOp::kEndsWith:
          if (v.empty() || v[0] != '/') return {};
          a.push_back({std::string(v), false, true});
          break;
        case CmpOp::kContains: {
          auto slash = v.find('/');
          if (slash == std::string_view::npos) return {};
          a.push_back({std::string(v.substr(slash)), false, false});
          break;
        }
        default:
          return {};
      }
    }
    return atoms(std::move(a));
  }

  // fd.directory is the name itself for a directory fd, else the name up
  // to its last '/' ("/" for a file in the root).
  Req directory_atoms(CmpOp op, const std::vector<std::string_view>& values) const {
    Atoms a;
    for (auto v : values) {
      switch (op) {
        case CmpOp::kEq:
        case CmpOp::kIn:
          if (!canonical(v)) return {};
          if (v == "/") {
            a.push_back({"/", true, false});
          } else {
            a.push_back({std::string(v), true, true});
            a.push_back({std::string(v) + "/", true, false});
          }
          break;
        case CmpOp::kStartsWith:
          if (v.empty() || v[0] != '/') return {};
          a.push_back({std::string(v), true, false});
          break;
        case CmpOp::kEndsWith:
          if (v.empty() || v[0] != '/' || v == "/") return {};
          a.push_back({std::string(v), false, true});
          a.push_back({std::string(v) + "/", false, false});
          break;
        default:
          return {};
      }
    }
    return atoms(std::move(a));
  }

  // fd.filename: what follows the name's last '/'.
  Req filename_atoms(CmpOp op, const std::vector<std::string_view>& values) const {
    Atoms a;
    for (auto v : values) {
      if (v.find('/') != std::string_view::npos) return {};
      switch (op) {
        case CmpOp::kEq:
        case CmpOp::kIn:
          a.push_back({"/" + std::string(v), false, true});
          break;
        case CmpOp::kStartsWith:
          a.push_back({"/" + std::string(v), false, false});
          break;
        default:
          return {};
      }
    }
    return atoms(std::move(a));
  }

  uint16_t type_;
  const EventParamRoles& roles_;
  std::string_view name_;
};

bool loaded(const LoadedRule& r, std::string_view source, Priority min_priority) {
  return r.enabled && r.source == source && r.priority <= min_priority && r.condition;
}

// Fields whose value comes from fds other than the one the event itself
// creates: fd.* of events acting on an existing fd, and the process's
// standard streams on any event.
struct FdReads {
  bool fd_fields = false;  // fd.*
  bool process_fds = false;  // proc.std*, proc.fd*
  // Paths the state tables resolve through an existing fd: a relative
  // open's fd.name against its dirfd (fd.* but fd.nameraw / fd.num), the
  // cwd fchdir() sets from an fd and the executable execveat(fd, "",
  // AT_EMPTY_PATH) runs (proc.cwd, proc.exepath, evt.abspath*).
  bool open_paths = false;
  bool process_paths = false;
};

FdReads fd_reads(const LoadedRule& rule) {
  FdReads out;
  auto note = [&](std::string_view f) {
    if (f.starts_with("fd.")) out.fd_fields = true;
    if (f.starts_with("proc.std") || f.starts_with("proc.fd")) out.process_fds = true;
    if (f.starts_with("fd.") && f != "fd.nameraw" && f != "fd.num") out.open_paths = true;
    if (f == "proc.cwd" || f == "proc.exepath" || f.starts_with("evt.abspath")) out.process_paths = true;
  };
  std::vector<const Expr*> stack{rule.condition.get()};
  std::set<const Expr*> seen;
  while (!stack.empty()) {
    const Expr* e = stack.back();
    stack.pop_back();
    if (e == nullptr || !seen.insert(e).second) continue;
    if (e->kind == ExprKind::kCheck) {
      note(e->left.field);
      if (e->rhs_field) note(e->rhs_field->field);
    }
    for (const auto& c : e->children) stack.push_back(c.get());
  }
  for (const auto& token : output_field_tokens(rule.output)) {
    std::string_view t = token;
    if (!t.empty() && t.front() == '(') t.remove_prefix(1);
    note(t);
  }
  return out;
}

void add_alternative(std::vector<Alt>& alts, Alt a) {
  if (a.path) {
    std::sort(a.path->begin(), a.path->end());
    a.path->erase(std::unique(a.path->begin(), a.path->end()), a.path->end());
  }
  if (std::find(alts.begin(), alts.end(), a) == alts.end()) alts.push_back(std::move(a));
}

// Folds alternatives past the kernel's limit into the last one kept
// (their disjunction: what goes up only grows).
void cap_alternatives(std::vector<Alt>& alts) {
  while (alts.size() > kKernelFilterMaxAlternatives) {
    Alt extra = std::move(alts.back());
    alts.pop_back();
    Alt& into = alts.back();
    into.res |= extra.res;
    into.acc |= extra.acc;
    into.state_only = into.state_only && extra.state_only;
    if (into.path && extra.path) into.path->insert(into.path->end(), extra.path->begin(), extra.path->end());
    else into.path.reset();
  }
}

}  // namespace

KernelFilterSet derive_kernel_filters(const RuleSet& rules, std::string_view source, Priority min_priority,
                                      bool extra_outputs) {
  std::vector<std::vector<const LoadedRule*>> by_type(KE_COUNT);
  for (const auto& r : rules.rules) {
    if (!loaded(r, source, min_priority)) continue;
    for (uint16_t t : r.evttypes.kestrel_types())
      if (t < KE_COUNT) by_type[t].push_back(&r);
  }

  // Does some rule read fds the fd-creating events put in the table?
  bool fd_state_needed = extra_outputs;
  // May an open only the state needs wait in the kernel for the first
  // event that reads its fd (KernelEventFilter::defer_state)? Not when a
  // rule reads close events (a close of a kept fd is dropped) or the fd
  // table as a whole, nor when outputs take extra fields.
  bool defer_ok = !extra_outputs && by_type[KE_CLOSE].empty();
  for (const auto& r : rules.rules)
    if (loaded(r, source, min_priority) && fd_reads(r).process_fds) defer_ok = false;
  for (const auto& r : rules.rules) {
    if (!loaded(r, source, min_priority) || fd_state_needed) continue;
    FdReads reads = fd_reads(r);
    if (reads.process_fds) fd_state_needed = true;
    // A path resolved through the fd of a filtered open would be resolved
    // against nothing (and a cwd set by fchdir() on it lost): every
    // successful open goes up. The kernel is not asked which fds are
    // directories or executables.
    if (reads.process_paths) fd_state_needed = true;
    for (uint16_t t : r.evttypes.kestrel_types())
      if (reads.open_paths && is_open_family(t)) fd_state_needed = true;
    if (!reads.fd_fields) continue;
    for (uint16_t t : r.evttypes.kestrel_types()) {
      if (t >= KE_COUNT || is_open_family(t) || param_roles(t).fd < 0) continue;
      Req req = Deriver(t).walk(*r.condition, true, 0);
      if (!req.never && !req.socket_fd) fd_state_needed = true;
    }
  }

  KernelFilterSet out;
  for (uint16_t t = 0; t < KE_COUNT; ++t) {
    if (by_type[t].empty()) continue;
    const EventInfo& info = event_info(t);
    const bool creates_fd = info.flags & KEF_CREATES_FD;
    const bool success_state = state_on_success_only(t);
    if ((info.flags & KEF_STATE) && !creates_fd && !success_state) continue;
    const EventParamRoles& roles = param_roles(t);
    KernelEventFilter filter;
    filter.type = t;
    filter.res_param = roles.res;
    filter.path_param = roles.path;
    filter.flags_param = roles.flags;
    bool total = true;
    Deriver deriver(t);
    for (const LoadedRule* r : by_type[t]) {
      Req req = deriver.walk(*r->condition, true, 0);
      if (req.never) continue;
      Alt a;
      if (roles.res >= 0) a.res = req.res;
      if (roles.flags >= 0) a.acc = req.acc;
      if (roles.path >= 0) a.path = req.path;
      if (a.res == Alt::kResAny && a.acc == 0xF && !a.path) {
        total = false;  // this rule needs every event of the type
        break;
      }
      add_alternative(filter.alternatives, std::move(a));
    }
    if (!total || filter.alternatives.empty()) continue;
    if ((creates_fd && fd_state_needed) || success_state) {
      if (roles.res < 0) continue;
      Alt state;
      state.res = Alt::kResNonNegative;
      // Deferred: the opens, whose fd (the result) is the only state.
      if (creates_fd && is_open_family(t) && roles.fd >= 0 && roles.fd == roles.res && defer_ok) {
        state.state_only = true;
        filter.defer_state = true;
      }
      add_alternative(filter.alternatives, state);
    }
    cap_alternatives(filter.alternatives);
    out.push_back(std::move(filter));
  }
  // fcntl is captured for its F_DUPFD commands (StateUpdater::on_dup): with
  // no rule on it, the other commands and failures change nothing.
  if (by_type[KE_FCNTL].empty()) {
    KernelEventFilter fcntl;
    fcntl.type = KE_FCNTL;
    fcntl.res_param = KP_FCNTL_res;
    fcntl.fcntl_cmd_param = KP_FCNTL_cmd;
    Alt state;
    state.res = Alt::kResNonNegative;
    state.state_only = true;
    fcntl.alternatives.push_back(state);
    out.push_back(std::move(fcntl));
  }
  return out;
}

std::string kernel_filter_text(const KernelEventFilter& filter) {
  std::string out(event_info(filter.type).name);
  out += ":";
  for (size_t i = 0; i < filter.alternatives.size(); ++i) {
    const Alt& a = filter.alternatives[i];
    out += i ? " or (" : " (";
    std::string parts;
    auto add = [&](const std::string& p) { parts += (parts.empty() ? "" : ", ") + p; };
    if (a.res == Alt::kResNegative) add("res<0");
    if (a.res == Alt::kResNonNegative) add("res>=0");
    if (a.acc != 0xF) {
      std::string modes;
      for (int m = 0; m < 4; ++m)
        if (a.acc & (1 << m)) modes += (modes.empty() ? "" : ",") + std::to_string(m);
      add("acc {" + modes + "}");
    }
    if (a.path) {
      std::string atoms;
      for (const auto& p : *a.path)
        atoms += (atoms.empty() ? "" : " | ") + std::string(p.anchored ? "^" : "…") + p.text + (p.exact ? "$" : "");
      add("path " + atoms);
    }
    if (a.state_only) add(filter.defer_state ? "state only, deferred" : "state only");
    out += parts.empty() ? "any" : parts;
    out += ")";
  }
  if (filter.fcntl_cmd_param >= 0) out += " and cmd in (F_DUPFD, F_DUPFD_CLOEXEC)";
  return out;
}

}  // namespace kestrel::engine::eval
