// Compiled conditions evaluated against real event records. Every check is
// asserted both ways (an event that must match and one that must not), so a
// predicate that always returns true or false fails.
#include <gtest/gtest.h>

#include "tests/oracle/compile.h"
#include "engine/condition_check.h"
#include "engine/parser.h"
#include "tests/oracle/rule_index.h"
#include "engine/rule_reader.h"
#include "sources/event/event_builder.h"

namespace kestrel::engine {
namespace {
using namespace kestrel::engine::reference;

// openat(dirfd=-100, name, O_RDWR|O_CREAT, 0644) returning `fd`, by tid/tgid.
std::vector<uint8_t> openat_event(std::string_view name, int64_t fd, uint32_t tid = 42, uint32_t tgid = 42) {
  return EventBuilder(KE_OPENAT, 1'700'000'000'123'456'789ull, tid, tgid)
      .put_int(KPARAM(OPENAT, fd), fd)
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name), name)
      .put_int(KPARAM(OPENAT, flags), 2 | 0100)
      .put_int(KPARAM(OPENAT, mode), 0644)
      .put_int(KPARAM(OPENAT, dev), 7)
      .put_int(KPARAM(OPENAT, ino), 1234)
      .finish_or_throw();
}

struct Event {
  std::vector<uint8_t> bytes;
  EventView view;
  explicit Event(std::vector<uint8_t> b) : bytes(std::move(b)) {
    auto v = EventView::parse(bytes);
    EXPECT_TRUE(v.ok()) << v.status().to_string();
    if (v.ok()) view = *v;
  }
};

bool eval(const std::string& cond, const Event& ev, uint64_t num = 1) {
  ParseOutcome p = parse_condition(cond);
  EXPECT_TRUE(p.ok()) << cond << ": " << p.error.message;
  if (!p.ok()) return false;
  auto check = check_condition(*p.expr, "syscall");
  EXPECT_FALSE(check.has_value()) << cond << ": " << (check ? check->message : "");
  CompileOutcome c = compile_condition(*p.expr, "syscall");
  EXPECT_TRUE(c.program.has_value()) << cond << ": " << c.error.message;
  if (!c.program) return false;
  EvalContext ctx{ev.view, num, "syscall"};
  return c.program->matches(ctx);
}

class Evaluate : public ::testing::Test {
 protected:
  Event passwd{openat_event("/etc/passwd", 3)};
  Event failed{openat_event("/tmp/Secret.TXT", -2, 43, 42)};
};

TEST_F(Evaluate, EqualityAndNumbers) {
  EXPECT_TRUE(eval("evt.type = openat", passwd));
  EXPECT_FALSE(eval("evt.type = open", passwd));
  EXPECT_TRUE(eval("evt.type != open", passwd));
  EXPECT_FALSE(eval("evt.type != openat", passwd));
  EXPECT_TRUE(eval("evt.rawres = 3", passwd));
  EXPECT_TRUE(eval("evt.rawres >= 0x3", passwd));
  EXPECT_FALSE(eval("evt.rawres > 3", passwd));
  EXPECT_TRUE(eval("evt.rawres < 0", failed));
  EXPECT_TRUE(eval("evt.rawres <= -2", failed));
  EXPECT_FALSE(eval("evt.rawres < -2", failed));
  EXPECT_TRUE(eval("proc.pid = 42 and thread.tid = 43", failed));
  EXPECT_FALSE(eval("thread.ismain = true", failed));
  EXPECT_TRUE(eval("thread.ismain = true", passwd));
  EXPECT_TRUE(eval("evt.num = 7", passwd, 7));
  EXPECT_TRUE(eval("evt.rawtime.s = 1700000000 and evt.rawtime.ns = 123456789", passwd));
}

TEST_F(Evaluate, ResultFields) {
  EXPECT_TRUE(eval("evt.res = SUCCESS and evt.failed = false", passwd));
  EXPECT_TRUE(eval("evt.res = ENOENT and evt.failed = true", failed));
  EXPECT_FALSE(eval("evt.res = SUCCESS", failed));
}

TEST_F(Evaluate, StringOperators) {
  EXPECT_TRUE(eval("evt.arg.name contains passw", passwd));
  EXPECT_FALSE(eval("evt.arg.name contains shadow", passwd));
  EXPECT_TRUE(eval("evt.arg.name icontains secret", failed));
  EXPECT_FALSE(eval("evt.arg.name contains secret", failed));
  EXPECT_TRUE(eval("evt.arg.name startswith /etc/", passwd));
  EXPECT_FALSE(eval("evt.arg.name startswith /tmp", passwd));
  EXPECT_TRUE(eval("evt.arg.name endswith .TXT", failed));
  EXPECT_FALSE(eval("evt.arg.name endswith .txt", failed));
  EXPECT_TRUE(eval("evt.arg.name glob /etc/p*", passwd));
  EXPECT_FALSE(eval("evt.arg.name glob /etc/s*", passwd));
  EXPECT_TRUE(eval("evt.arg.name iglob /tmp/secret.*", failed));
  EXPECT_FALSE(eval("evt.arg.name glob /tmp/secret.*", failed));
  EXPECT_TRUE(eval("evt.arg.name regex \"/etc/pass.*\"", passwd));
  EXPECT_FALSE(eval("evt.arg.name regex \"pass\"", passwd));  // full match
  EXPECT_TRUE(eval("evt.arg.name bcontains 2f706173", passwd));  // "/pas"
  EXPECT_FALSE(eval("evt.arg.name bcontains 2f7368", passwd));
  EXPECT_TRUE(eval("evt.arg.name bstartswith 2f657463", passwd));  // "/etc"
  EXPECT_FALSE(eval("evt.arg.name bstartswith 2f746d70", passwd));
}

TEST_F(Evaluate, ListOperators) {
  EXPECT_TRUE(eval("evt.type in (open, openat, openat2)", passwd));
  EXPECT_FALSE(eval("evt.type in (open, creat)", passwd));
  EXPECT_TRUE(eval("evt.rawres in (1, 2, 3)", passwd));
  EXPECT_FALSE(eval("evt.rawres in (4, 5)", passwd));
  EXPECT_TRUE(eval("evt.arg.name pmatch (/usr, /etc)", passwd));
  EXPECT_FALSE(eval("evt.arg.name pmatch (/et, /usr)", passwd));  // components, not characters
  EXPECT_TRUE(eval("evt.arg.name pmatch (/)", passwd));
  EXPECT_TRUE(eval("evt.arg.name intersects (/etc/passwd, x)", passwd));
  EXPECT_FALSE(eval("evt.arg.name intersects (x, y)", passwd));
}

TEST_F(Evaluate, ArgumentsByNameIndexAndRaw) {
  EXPECT_TRUE(eval("evt.arg[2] = /etc/passwd", passwd));
  EXPECT_TRUE(eval("evt.arg.flags contains O_CREAT", passwd));
  EXPECT_FALSE(eval("evt.arg.flags contains O_TRUNC", passwd));
  EXPECT_TRUE(eval("evt.rawarg.ino = 1234", passwd));
  EXPECT_TRUE(eval("evt.rawarg.dirfd < 0", passwd));
  EXPECT_TRUE(eval("evt.arg.mode = 0644", passwd));
  EXPECT_TRUE(eval("evt.args contains \"name=/etc/passwd\"", passwd));
}

TEST_F(Evaluate, TransformersAndFieldComparisons) {
  EXPECT_TRUE(eval("tolower(evt.arg.name) = /tmp/secret.txt", failed));
  EXPECT_FALSE(eval("evt.arg.name = /tmp/secret.txt", failed));
  EXPECT_TRUE(eval("toupper(evt.arg.name) = /ETC/PASSWD", passwd));
  EXPECT_TRUE(eval("basename(evt.arg.name) = passwd", passwd));
  EXPECT_TRUE(eval("len(evt.arg.name) = 11", passwd));
  EXPECT_FALSE(eval("len(evt.arg.name) > 11", passwd));
  EXPECT_TRUE(eval("len(basename(evt.arg.name)) = 6", passwd));
  EXPECT_TRUE(eval("proc.pid = val(thread.tid)", passwd));
  EXPECT_FALSE(eval("proc.pid = val(thread.tid)", failed));
  Event b64{openat_event("L2V0Yy9zaGFkb3c=", 3)};
  EXPECT_TRUE(eval("b64(evt.arg.name) = /etc/shadow", b64));
}

TEST_F(Evaluate, BooleanLogicAndAbsentFields) {
  EXPECT_TRUE(eval("evt.type = openat and (evt.rawres = 99 or evt.arg.name = /etc/passwd)", passwd));
  EXPECT_FALSE(eval("evt.type = openat and not evt.arg.name = /etc/passwd", passwd));
  EXPECT_TRUE(eval("not (evt.type = open or evt.rawres < 0)", passwd));
  // No thread table in the context, so proc.name cannot be read: every
  // check on it is false, != too, and `exists` says so.
  EXPECT_FALSE(eval("proc.name = cat", passwd));
  EXPECT_FALSE(eval("proc.name != cat", passwd));
  EXPECT_TRUE(eval("not proc.name = cat", passwd));
  EXPECT_FALSE(eval("proc.name exists", passwd));
  EXPECT_TRUE(eval("evt.arg.name exists", passwd));
  EXPECT_FALSE(eval("evt.arg.nosuchparam exists", passwd));
}

TEST(RuleIndexTest, BucketsByEventTypeAndMatches) {
  const std::string yaml = R"(
- macro: opened
  condition: evt.type in (open, openat)
- rule: etc open
  desc: d
  condition: opened and evt.arg.name startswith /etc
  output: "open %evt.arg.name"
  priority: warning
- rule: any failure
  desc: d
  condition: evt.failed = true and evt.type != execve
  output: o
  priority: info
  warn_evttypes: false
- rule: disabled
  desc: d
  condition: opened
  output: o
  priority: info
  enabled: false
)";
  LoadResult result;
  RuleCollection c;
  ASSERT_TRUE(read_rules_content("t.yaml", yaml, c, result));
  RuleSet set = build_rule_set(c, result);
  ASSERT_TRUE(result.ok());
  RuleIndex index = RuleIndex::build(set, result);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(index.rules().size(), 2u);
  EXPECT_EQ(index.candidates("syscall", KE_OPENAT).size(), 2u);
  EXPECT_EQ(index.candidates("syscall", KE_EXECVE).size(), 0u);
  EXPECT_EQ(index.candidates("syscall", KE_CONNECT).size(), 1u);
  auto needed = index.needed_event_types();
  EXPECT_TRUE(std::find(needed.begin(), needed.end(), KE_OPEN) != needed.end());
  EXPECT_TRUE(std::find(needed.begin(), needed.end(), KE_EXECVE) == needed.end());

  Event passwd{openat_event("/etc/passwd", 3)};
  Event missing{openat_event("/etc/missing", -2)};
  Event tmp{openat_event("/tmp/x", 3)};
  EvalContext c1{passwd.view, 1, "syscall"};
  ASSERT_NE(index.match_first(c1), nullptr);
  EXPECT_EQ(index.match_first(c1)->name, "etc open");
  EvalContext c2{missing.view, 2, "syscall"};
  EXPECT_EQ(index.match_all(c2).size(), 2u);
  EvalContext c3{tmp.view, 3, "syscall"};
  EXPECT_EQ(index.match_first(c3), nullptr);
}

// "Filled" is now the production extractor's presence (the field table's
// row), so the oracle is held to the other direction: every field it can
// extract is one the production evaluator fills, so differential tests
// never compare against a field production reads as missing.
TEST(ExtractorCoverage, OracleExtractsOnlyFilledFields) {
  for (const FieldSet* set : syscall_field_sets()) {
    for (const auto& f : set->fields) {
      if (has_extractor(f.name)) {
        EXPECT_TRUE(f.filled()) << f.name;
      }
    }
  }
}

}  // namespace
}  // namespace kestrel::engine

#include "tests/oracle/format.h"

namespace kestrel::engine {
namespace {
using namespace kestrel::engine::reference;

TEST(Format, RendersFieldsAndNA) {
  Event ev{openat_event("/etc/passwd", 3)};
  std::string err;
  auto f = OutputFormat::compile("open %evt.arg.name (res=%evt.rawres pid=%proc.pid cmd=%proc.cmdline) %(evt.type).",
                                 "syscall", &err);
  ASSERT_TRUE(f) << err;
  EvalContext ctx{ev.view, 1, "syscall"};
  EXPECT_EQ(f->render(ctx), "open /etc/passwd (res=3 pid=42 cmd=<NA>) openat.");
  auto fields = f->output_fields(ctx);
  EXPECT_EQ(fields.at("evt.arg.name"), "/etc/passwd");
  EXPECT_EQ(fields.at("proc.cmdline"), "<NA>");
  EXPECT_EQ(fields.size(), 5u);
  EXPECT_FALSE(OutputFormat::compile("x %not_a_real_field", "syscall", &err));
  EXPECT_EQ(err, "invalid formatting token not_a_real_field");
  auto pct = OutputFormat::compile("100% sure", "syscall", &err);
  ASSERT_TRUE(pct);
  EXPECT_EQ(pct->render(ctx), "100% sure");
}

}  // namespace
}  // namespace kestrel::engine

namespace kestrel::engine {
namespace {
using namespace kestrel::engine::reference;

TEST_F(Evaluate, OpenFlags) {
  // openat_event opens O_RDWR|O_CREAT with mode 0644.
  EXPECT_TRUE(eval("evt.is_open_read = true and evt.is_open_write = true", passwd));
  EXPECT_FALSE(eval("evt.is_open_exec = true", passwd));
  Event ro{EventBuilder(KE_OPEN, 1, 1, 1)
               .put_int(KPARAM(OPEN, fd), 3)
               .put_str(KPARAM(OPEN, name), "/x")
               .put_int(KPARAM(OPEN, flags), 0)
               .put_int(KPARAM(OPEN, mode), 0)
               .put_int(KPARAM(OPEN, dev), 0)
               .put_int(KPARAM(OPEN, ino), 0)
               .finish_or_throw()};
  EXPECT_TRUE(eval("evt.is_open_read = true", ro));
  EXPECT_FALSE(eval("evt.is_open_write = true", ro));
  Event exe{EventBuilder(KE_CREAT, 1, 1, 1)
                .put_int(KPARAM(CREAT, fd), 3)
                .put_str(KPARAM(CREAT, name), "/x")
                .put_int(KPARAM(CREAT, mode), 0755)
                .put_int(KPARAM(CREAT, dev), 0)
                .put_int(KPARAM(CREAT, ino), 0)
                .finish_or_throw()};
  EXPECT_TRUE(eval("evt.is_open_exec = true and evt.is_open_write = true", exe));
  Event other{EventBuilder(KE_CONNECT, 1, 1, 1)
                  .put_int(KPARAM(CONNECT, res), 0)
                  .put_int(KPARAM(CONNECT, fd), 3)
                  .put_empty(KPARAM(CONNECT, tuple))
                  .put_empty(KPARAM(CONNECT, addr))
                  .finish_or_throw()};
  EXPECT_FALSE(eval("evt.is_open_read = true", other));
  // false, not absent, on non-open events (libsinsp sets 0; so does the engine)
  EXPECT_TRUE(eval("evt.is_open_read = false", other));
}

}  // namespace
}  // namespace kestrel::engine
