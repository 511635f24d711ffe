// The compiled engine against the test oracle (tests/oracle/: a plain
// compile → evaluate with its own extractors, reading state straight from
// the thread table) on randomly generated conditions and events (seeded,
// so failures reproduce). Conditions go through the real loader; each
// batch of rules is compiled into one engine with rule_matching: all, and
// for every event the set of rules the engine raises must equal the set the
// oracle says match. Event-type buckets are part of what is checked: every
// rule is evaluated by the oracle on every event, so a rule the bucket index
// skips must be one the oracle says cannot match.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tests/eval/rule_harness.h"
#include "tests/oracle/compile.h"

namespace kestrel::engine::eval::testing {
namespace {

namespace oracle = ::kestrel::engine::reference;

enum class Cls { kString, kNumber, kUnsigned, kBool, kIp };

struct FieldGen {
  const char* name;
  Cls cls;
};

const FieldGen kFields[] = {
    {"proc.name", Cls::kString},      {"proc.pname", Cls::kString},     {"proc.aname[2]", Cls::kString},
    {"proc.aname", Cls::kString},     {"proc.cmdline", Cls::kString},   {"proc.args", Cls::kString},
    {"proc.exepath", Cls::kString},   {"proc.cwd", Cls::kString},       {"fd.name", Cls::kString},
    {"fd.directory", Cls::kString},   {"fd.filename", Cls::kString},    {"fd.typechar", Cls::kString},
    {"fd.l4proto", Cls::kString},     {"evt.type", Cls::kString},       {"evt.dir", Cls::kString},
    {"evt.res", Cls::kString},        {"evt.arg.flags", Cls::kString},  {"evt.arg[1]", Cls::kString},
    {"container.id", Cls::kString},   {"user.name", Cls::kString},      {"proc.pid", Cls::kNumber},
    {"proc.ppid", Cls::kNumber},      {"user.uid", Cls::kUnsigned},       {"evt.rawres", Cls::kNumber},
    {"fd.num", Cls::kNumber},         {"proc.tty", Cls::kUnsigned},       {"fd.sport", Cls::kUnsigned},
    {"fd.lport", Cls::kUnsigned},       {"thread.tid", Cls::kNumber},     {"user.loginuid", Cls::kNumber},
    {"evt.rawarg.fd", Cls::kNumber},  {"evt.is_open_read", Cls::kBool}, {"evt.failed", Cls::kBool},
    {"fd.is_server", Cls::kBool},     {"fd.sip", Cls::kIp},             {"fd.rip", Cls::kIp},
    {"fd.ip", Cls::kIp},
};

const char* kWords[] = {
    "python3", "bash", "sshd", "systemd", "nginx", "curl", "/etc/shadow", "/etc", "/etc/", "/home/alice",
    "/tmp", "shadow", "openat", "execve", "connect", "read", "close", "<", ">", "SUCCESS", "ENOENT", "host",
    "abcdef012345", "root", "O_RDONLY", "O_WRONLY", "O_CLOEXEC", "f", "4", "tcp", "app.py", "--port 8080",
    "/usr/bin/curl", "/usr/bin/python3", "alice", "py", "SH", "/", "x", "",
};
const char* kGlobs[] = {"*", "/etc/*", "*shadow", "py*", "?ash", "/home/*/x", "[bs]*", "*[0-9]*", "/etc/[!p]*"};
const char* kRegexes[] = {"py.*", "/etc/.*", "(bash|sh)", ".*[0-9]+.*", "[a-z]+", "s.*d"};
const char* kNumbers[] = {"0", "1", "3", "5", "100", "200", "300", "400", "443", "1000", "-1", "-2", "0x12c",
                          "34816", "45000", "80"};
const char* kIps[] = {"10.0.0.5", "93.184.216.34", "10.0.0.0/8", "93.184.0.0/16", "192.168.1.9", "0.0.0.0/0",
                      "192.168.0.0/16"};
const char* kHex[] = {"2f657463", "736861", "7079", "41"};

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  std::string condition(int depth) {
    unsigned r = pick(10);
    if (depth <= 0 || r < 4) return check();
    if (r < 6) return "not " + paren(condition(depth - 1));
    const char* op = r < 8 ? " and " : " or ";
    return paren(condition(depth - 1)) + op + paren(condition(depth - 1));
  }

 private:
  unsigned pick(unsigned n) { return static_cast<unsigned>(rng_() % n); }
  template <typename T, size_t N>
  const T& any(const T (&a)[N]) {
    return a[pick(N)];
  }
  static std::string paren(const std::string& s) { return "(" + s + ")"; }
  static std::string quote(const std::string& s) { return "\"" + s + "\""; }

  std::string list(Cls cls) {
    std::string out = "(";
    unsigned n = pick(4);
    for (unsigned i = 0; i < n; ++i) {
      if (i) out += ", ";
      out += value(cls);
    }
    return out + ")";
  }

  std::string value(Cls cls) {
    if (evttype_) {
      static const char* kTypes[] = {"openat", "execve", "connect", "read", "close", "setuid", "accept", "open"};
      return any(kTypes);
    }
    switch (cls) {
      case Cls::kString: {
        std::string w = any(kWords);
        if (w.empty()) return "\"\"";
        return quote(w);
      }
      case Cls::kNumber: return any(kNumbers);
      case Cls::kUnsigned: {
        std::string n = any(kNumbers);
        return n[0] == '-' ? n.substr(1) : n;
      }
      case Cls::kBool: return pick(2) ? "true" : "false";
      case Cls::kIp: return any(kIps);
    }
    return "";
  }

  std::string check() {
    const FieldGen& f = any(kFields);
    std::string field = f.name;
    Cls cls = f.cls;
    if (cls == Cls::kString && pick(6) == 0) {
      static const char* kTr[] = {"tolower", "toupper", "basename", "len"};
      std::string tr = any(kTr);
      field = tr + "(" + field + ")";
      if (tr == "len") cls = Cls::kUnsigned;
    }
    // evt.type =/!=/in values must be event names (the loader checks).
    evttype_ = field == "evt.type";
    if (pick(12) == 0) return field + " exists";
    switch (cls) {
      case Cls::kString: {
        static const char* kOps[] = {"=",          "!=",        "contains", "icontains", "startswith",
                                     "endswith",   "glob",      "iglob",    "regex",     "in",
                                     "intersects", "pmatch",    "bcontains", "bstartswith", "=="};
        std::string op = any(kOps);
        if (op == "in" || op == "intersects" || op == "pmatch") return field + " " + op + " " + list(cls);
        if (op == "glob" || op == "iglob") return field + " " + op + " " + quote(any(kGlobs));
        if (op == "regex") return field + " " + op + " " + quote(any(kRegexes));
        if (op == "bcontains" || op == "bstartswith") return field + " " + op + " " + any(kHex);
        if (pick(10) == 0 && (op == "=" || op == "!=")) return field + " " + op + " val(proc.name)";
        return field + " " + op + " " + value(cls);
      }
      case Cls::kNumber:
      case Cls::kUnsigned: {
        static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">=", "in"};
        std::string op = any(kOps);
        if (op == "in") return field + " in " + list(cls);
        if (pick(10) == 0 && op != "in" && field.find("rawarg") == std::string::npos) {
          return field + " " + op + " val(proc.ppid)";
        }
        return field + " " + op + " " + value(cls);
      }
      case Cls::kBool: {
        static const char* kOps[] = {"=", "!=", "in"};
        std::string op = any(kOps);
        if (op == "in") return field + " in " + list(cls);
        return field + " " + op + " " + value(cls);
      }
      case Cls::kIp: {
        static const char* kOps[] = {"=", "!=", "in"};
        std::string op = any(kOps);
        if (op == "in") return field + " in " + list(cls);
        return field + " " + op + " " + value(cls);
      }
    }
    return "";
  }

  std::mt19937 rng_;
  bool evttype_ = false;
};

// A stream of events over the seeded world; each is applied to the table
// as it is produced, and evaluated right after.
std::vector<const Event*> make_events(World& w, std::mt19937& rng, size_t n) {
  std::vector<const Event*> out;
  const int64_t tids[] = {1, 100, 200, 300, 400, 999};
  const char* files[] = {"/etc/shadow", "/etc/passwd", "/tmp/x.py", "relative.txt", "/home/alice/.ssh/id_rsa",
                         "/", "/etc/"};
  const uint8_t a[4] = {10, 0, 0, 5}, b[4] = {93, 184, 216, 34}, c[4] = {192, 168, 1, 9};
  for (size_t i = 0; i < n; ++i) {
    int64_t tid = tids[rng() % std::size(tids)];
    switch (rng() % 9) {
      case 0: {
        static const char* kExe[][2] = {{"/usr/bin/curl", "curl"}, {"/usr/bin/bash", "bash"}, {"/bin/sh", "sh"}};
        auto& e = kExe[rng() % 3];
        out.push_back(&w.execve(tid, e[0], {"-c", "x" + std::to_string(rng() % 3)}, e[1]));
        break;
      }
      case 1:
      case 2: {
        int64_t fd = rng() % 4 == 0 ? -2 : 3 + static_cast<int64_t>(rng() % 4);
        uint32_t flags = rng() % 2 ? O_RDONLY : O_WRONLY | O_CREAT;
        out.push_back(&w.openat(tid, fd, files[rng() % std::size(files)], flags));
        break;
      }
      case 3: out.push_back(&w.read(tid, 3 + static_cast<int64_t>(rng() % 5), 10)); break;
      case 4: out.push_back(&w.write(tid, 3 + static_cast<int64_t>(rng() % 5), -9)); break;
      case 5: out.push_back(&w.close(tid, 3 + static_cast<int64_t>(rng() % 5))); break;
      case 6:
        w.socket(tid, 7, 2, 1);
        out.push_back(&w.connect(tid, 7, a, 45000, rng() % 2 ? b : c, 443));
        break;
      case 7: out.push_back(&w.accept(tid, 8, c, 50000, a, 80)); break;
      case 8: out.push_back(&w.setuid(tid, 1000)); break;
    }
  }
  return out;
}

TEST(ReferenceTest, CompiledEngineAgreesWithOracle) {
  constexpr int kBatches = 25;
  constexpr int kRulesPerBatch = 120;
  constexpr size_t kEventsPerBatch = 40;
  size_t compared = 0, matched = 0;
  for (int batch = 0; batch < kBatches; ++batch) {
    Gen gen(1000 + static_cast<uint32_t>(batch));
    std::string yaml;
    std::vector<std::string> conditions;
    for (int r = 0; r < kRulesPerBatch; ++r) {
      conditions.push_back(gen.condition(3));
      yaml += rule_yaml("r" + std::to_string(r), conditions.back(), "%proc.name %fd.name");
    }
    RuleEngineOptions opt;
    opt.rule_matching = RuleMatching::kAll;
    Compiled c = compile_rules(yaml, opt);
    if (!c.error.empty()) {
      auto open = c.error.find("(r"), close = c.error.find(')', open);
      if (open != std::string::npos) {
        ADD_FAILURE() << conditions[std::stoul(c.error.substr(open + 2, close - open - 2))];
      }
    }
    ASSERT_EQ(c.error, "") << "batch " << batch << "\n" << yaml.substr(0, 0);
    if (!c.error.empty()) return;
    ASSERT_EQ(c.set.rules.size(), static_cast<size_t>(kRulesPerBatch));
    std::vector<oracle::Program> programs;
    for (const auto& rule : c.set.rules) {
      oracle::CompileOutcome p = oracle::compile_condition(*rule.condition, rule.source);
      ASSERT_TRUE(p.program) << rule.name << ": " << p.error.message;
      programs.push_back(std::move(*p.program));
    }

    World world;
    world.seed_tree();
    std::mt19937 rng(77 + static_cast<uint32_t>(batch));
    for (const Event* ev : make_events(world, rng, kEventsPerBatch)) {
      std::set<std::string> want;
      oracle::EvalContext ctx{ev->view, 1, "syscall", &world.table(), ev->domain};
      for (size_t r = 0; r < c.set.rules.size(); ++r) {
        if (programs[r].matches(ctx)) want.insert(c.set.rules[r].name);
      }
      std::set<std::string> got;
      for (const auto& a : run(*c.engine, *ev, world.table())) got.insert(a.rule);
      compared += c.set.rules.size();
      matched += want.size();
      if (want != got) {
        for (size_t r = 0; r < c.set.rules.size(); ++r) {
          const std::string& name = c.set.rules[r].name;
          if (want.count(name) != got.count(name)) {
            ADD_FAILURE() << "batch " << batch << " event " << ev->view.info().name << " tid " << ev->view.tid()
                          << ": oracle " << want.count(name) << " engine " << got.count(name)
                          << " for: " << conditions[r];
          }
        }
        return;
      }
    }
  }
  // The generator must produce both outcomes often enough to mean something.
  EXPECT_GT(compared, 50000u);
  EXPECT_GT(matched, compared / 20);
  EXPECT_LT(matched, compared - compared / 20);
  std::printf("compared %zu rule evaluations, %zu matches\n", compared, matched);
}

}  // namespace
}  // namespace kestrel::engine::eval::testing
