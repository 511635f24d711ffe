// The compiled evaluator against a naive reference evaluator that
// interprets the condition text's AST directly over the plain values an
// event was built from (re2's testing/tester.h idea: run every engine on the
// same generated inputs and compare). Conditions and events are generated
// from a fixed seed, so failures reproduce.
#include <gtest/gtest.h>

#include <random>

#include "tests/oracle/compile.h"
#include "engine/parser.h"
#include "sources/event/event_builder.h"

namespace kestrel::engine {
namespace {
using namespace kestrel::engine::reference;

struct PlainEvent {
  std::string type;  // open, openat, connect
  int64_t res;
  std::string name;  // absent for connect
  uint32_t tid, tgid;
};

std::vector<uint8_t> build(const PlainEvent& e) {
  if (e.type == "open") {
    return EventBuilder(KE_OPEN, 1, e.tid, e.tgid)
        .put_int(KPARAM(OPEN, fd), e.res)
        .put_str(KPARAM(OPEN, name), e.name)
        .put_int(KPARAM(OPEN, flags), 0)
        .put_int(KPARAM(OPEN, mode), 0)
        .put_int(KPARAM(OPEN, dev), 0)
        .put_int(KPARAM(OPEN, ino), 0)
        .finish_or_throw();
  }
  if (e.type == "openat") {
    return EventBuilder(KE_OPENAT, 1, e.tid, e.tgid)
        .put_int(KPARAM(OPENAT, fd), e.res)
        .put_int(KPARAM(OPENAT, dirfd), -100)
        .put_str(KPARAM(OPENAT, name), e.name)
        .put_int(KPARAM(OPENAT, flags), 0)
        .put_int(KPARAM(OPENAT, mode), 0)
        .put_int(KPARAM(OPENAT, dev), 0)
        .put_int(KPARAM(OPENAT, ino), 0)
        .finish_or_throw();
  }
  return EventBuilder(KE_CONNECT, 1, e.tid, e.tgid)
      .put_int(KPARAM(CONNECT, res), e.res)
      .put_int(KPARAM(CONNECT, fd), 3)
      .put_empty(KPARAM(CONNECT, tuple))
      .put_empty(KPARAM(CONNECT, addr))
      .finish_or_throw();
}

// --- the reference: straightforward, independent of engine/evaluate.cpp ---

struct RefValue {
  bool present = false;
  bool is_num = false;
  std::string s;
  int64_t n = 0;
};

RefValue ref_field(const std::string& field, const PlainEvent& e) {
  RefValue v;
  v.present = true;
  if (field == "evt.type") {
    v.s = e.type;
  } else if (field == "evt.rawres") {
    v.is_num = true;
    v.n = e.res;
  } else if (field == "proc.pid") {
    v.is_num = true;
    v.n = e.tgid;
  } else if (field == "thread.tid") {
    v.is_num = true;
    v.n = e.tid;
  } else if (field == "evt.arg.name") {
    v.present = e.type != "connect";
    v.s = e.name;
  } else {
    v.present = false;
  }
  return v;
}

bool ref_check(const Expr& c, const PlainEvent& e) {
  const std::string op(cmp_op_name(c.op));  // the reference reads the spelling
  RefValue v = ref_field(c.left.field, e);
  if (op == "exists") return v.present;
  if (!v.present) return false;
  if (v.is_num) {
    auto num = [](const std::string& t) { return std::stoll(t, nullptr, 0); };
    if (op == "in") {
      for (const auto& x : c.values) {
        if (num(x.text) == v.n) return true;
      }
      return false;
    }
    int64_t b = num(c.values.at(0).text);
    if (op == "=" || op == "==") return v.n == b;
    if (op == "!=") return v.n != b;
    if (op == "<") return v.n < b;
    if (op == "<=") return v.n <= b;
    if (op == ">") return v.n > b;
    if (op == ">=") return v.n >= b;
    return false;
  }
  const std::string& s = v.s;
  if (op == "in") {
    for (const auto& x : c.values) {
      if (x.text == s) return true;
    }
    return false;
  }
  const std::string& b = c.values.at(0).text;
  if (op == "=" || op == "==") return s == b;
  if (op == "!=") return s != b;
  if (op == "contains") return s.find(b) != std::string::npos;
  if (op == "startswith") return s.rfind(b, 0) == 0;
  if (op == "endswith") return s.size() >= b.size() && s.compare(s.size() - b.size(), b.size(), b) == 0;
  return false;
}

bool ref_eval(const Expr& e, const PlainEvent& ev) {
  switch (e.kind) {
    case ExprKind::kAnd:
      for (const auto& c : e.children) {
        if (!ref_eval(*c, ev)) return false;
      }
      return true;
    case ExprKind::kOr:
      for (const auto& c : e.children) {
        if (ref_eval(*c, ev)) return true;
      }
      return false;
    case ExprKind::kNot: return !ref_eval(*e.children[0], ev);
    case ExprKind::kCheck: return ref_check(e, ev);
    case ExprKind::kMacroRef: return false;
  }
  return false;
}

// --- generators ---

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::string atom() {
    static const char* kNames[] = {"/etc/passwd", "/etc/shadow", "/tmp/x", "/usr/bin/ls"};
    static const char* kTypes[] = {"open", "openat", "connect"};
    switch (pick(6)) {
      case 0: return std::string("evt.type ") + (pick(2) ? "=" : "!=") + " " + kTypes[pick(3)];
      case 1: return std::string("evt.type in (") + kTypes[pick(3)] + ", " + kTypes[pick(3)] + ")";
      case 2: {
        static const char* ops[] = {"=", "!=", "<", "<=", ">", ">="};
        return std::string("evt.rawres ") + ops[pick(6)] + " " + std::to_string(static_cast<int>(pick(7)) - 3);
      }
      case 3: {
        static const char* ops[] = {"=", "!=", "contains", "startswith", "endswith"};
        static const char* vals[] = {"/etc/passwd", "/etc", "passwd", "x", "/tmp/x", "ls"};
        return std::string("evt.arg.name ") + ops[pick(5)] + " " + vals[pick(6)];
      }
      case 4: return std::string("evt.arg.name in (") + kNames[pick(4)] + ", " + kNames[pick(4)] + ")";
      default: return pick(2) ? "proc.pid = " + std::to_string(pick(3) + 1) : "thread.tid >= 2";
    }
  }

  std::string condition(int depth) {
    if (depth == 0 || pick(3) == 0) return pick(4) == 0 ? "not " + atom() : atom();
    std::string a = condition(depth - 1);
    std::string b = condition(depth - 1);
    switch (pick(3)) {
      case 0: return "(" + a + " and " + b + ")";
      case 1: return "(" + a + " or " + b + ")";
      default: return "not (" + a + " or " + b + ")";
    }
  }

  PlainEvent event() {
    static const char* kNames[] = {"/etc/passwd", "/etc/shadow", "/tmp/x", "/usr/bin/ls"};
    static const char* kTypes[] = {"open", "openat", "connect"};
    PlainEvent e;
    e.type = kTypes[pick(3)];
    e.res = static_cast<int64_t>(pick(7)) - 3;
    e.name = kNames[pick(4)];
    e.tgid = static_cast<uint32_t>(pick(3) + 1);
    e.tid = e.tgid + static_cast<uint32_t>(pick(2));
    return e;
  }

 private:
  std::mt19937 rng_;
};

TEST(Differential, CompiledEvaluatorAgreesWithReference) {
  Gen gen(20261129);
  std::vector<PlainEvent> events;
  std::vector<std::vector<uint8_t>> records;
  std::vector<EventView> views;
  for (int i = 0; i < 60; ++i) {
    events.push_back(gen.event());
    records.push_back(build(events.back()));
  }
  for (const auto& r : records) {
    auto v = EventView::parse(r);
    ASSERT_TRUE(v.ok());
    views.push_back(*v);
  }
  size_t trues = 0, total = 0;
  for (int i = 0; i < 400; ++i) {
    std::string cond = gen.condition(4);
    ParseOutcome p = parse_condition(cond);
    ASSERT_TRUE(p.ok()) << cond << ": " << p.error.message;
    CompileOutcome c = compile_condition(*p.expr, "syscall");
    ASSERT_TRUE(c.program) << cond << ": " << c.error.message;
    for (size_t k = 0; k < events.size(); ++k) {
      bool want = ref_eval(*p.expr, events[k]);
      EvalContext ctx{views[k], k, "syscall"};
      ASSERT_EQ(c.program->matches(ctx), want) << cond << " on " << events[k].type << " " << events[k].name
                                               << " res=" << events[k].res;
      trues += want;
      ++total;
    }
  }
  // The generator must exercise both outcomes substantially.
  EXPECT_GT(trues, total / 10);
  EXPECT_LT(trues, total - total / 10);
}

}  // namespace
}  // namespace kestrel::engine

namespace kestrel::engine {
namespace {
using namespace kestrel::engine::reference;

// Parser robustness: truncations and byte mutations of valid conditions
// must parse or fail cleanly (run under ASan with -DKESTREL_SANITIZE=ON).
TEST(ParserRobustness, MutatedConditionsNeverCrash) {
  const std::string seeds[] = {
      "evt.type in (open, openat) and not proc.name in (cat, \"a b\") or fd.name pmatch (/etc)",
      "tolower(proc.aname[2]) = 'x\\'y' and (a or not(b)) and evt.arg.flags contains O_CREAT",
      "fd.name = val(proc.cwd) and len(basename(fd.name)) > 0x10 and proc.pid exists",
  };
  std::mt19937 rng(7);
  size_t ok = 0, failed = 0;
  for (const auto& seed : seeds) {
    for (size_t cut = 0; cut <= seed.size(); ++cut) {
      parse_condition(seed.substr(0, cut)).ok() ? ++ok : ++failed;
    }
    for (int i = 0; i < 3000; ++i) {
      std::string s = seed;
      for (int m = 0; m < 3; ++m) {
        size_t at = rng() % s.size();
        switch (rng() % 3) {
          case 0: s[at] = static_cast<char>(rng() % 256); break;
          case 1: s.erase(at, 1); break;
          default: s.insert(at, 1, "()\"'[], \\"[rng() % 9]);
        }
      }
      ParseOutcome p = parse_condition(s);
      if (p.ok()) {
        ++ok;
        EXPECT_FALSE(expr_to_string(*p.expr).empty());
      } else {
        ++failed;
        EXPECT_FALSE(p.error.message.empty());
        EXPECT_LE(p.error.pos.offset, s.size());
      }
    }
  }
  EXPECT_GT(ok, 0u);
  EXPECT_GT(failed, 0u);
}

}  // namespace
}  // namespace kestrel::engine
