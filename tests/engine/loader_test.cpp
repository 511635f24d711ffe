// Reader, collector and resolver behaviour: append/override semantics,
// exceptions to condition text, lists and macros, warnings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/resolve.h"
#include "engine/rule_reader.h"
#include "engine/rule_set.h"

namespace kestrel::engine {
namespace {

struct Loaded {
  RuleSet set;
  LoadResult result;
  const LoadedRule* rule(const std::string& name) const {
    for (const auto& r : set.rules) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }
  bool has(const std::string& code) const {
    for (const auto& m : result.messages()) {
      if (m.code == code) return true;
    }
    return false;
  }
  std::string first_error() const {
    auto e = result.filtered(true);
    return e.empty() ? "" : e[0].code + ": " + e[0].message;
  }
};

Loaded load(const std::string& yaml, const FieldRegistry& fields = builtin_field_registry()) {
  Loaded out;
  RuleCollection c;
  if (read_rules_content("test.yaml", yaml, c, out.result, fields)) out.set = build_rule_set(c, out.result, fields);
  return out;
}

std::string cond(const Loaded& l, const std::string& rule) {
  const LoadedRule* r = l.rule(rule);
  return r ? expr_to_string(*r->condition) : "<no rule " + rule + ">";
}

const char* kBase = R"(
- list: bins
  items: [cat, ls]
- macro: is_bin
  condition: proc.name in (bins)
- rule: r1
  desc: d1
  condition: evt.type=open and is_bin
  output: "out %proc.name"
  priority: WARNING
  tags: [a]
)";

TEST(Loader, ListsAndMacrosAreResolved) {
  Loaded l = load(kBase);
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_EQ(cond(l, "r1"), "(evt.type = open and proc.name in (cat, ls))");
  EXPECT_EQ(l.rule("r1")->priority, Priority::kWarning);
  EXPECT_EQ(l.rule("r1")->source, "syscall");
  EXPECT_EQ(l.rule("r1")->evttypes.names(), std::vector<std::string>{"open"});
}

TEST(Loader, AppendTrueExtendsListsMacrosAndRules) {
  Loaded l = load(std::string(kBase) + R"(
- list: bins
  items: [vi]
  append: true
- macro: is_bin
  condition: or proc.name=sh
  append: true
- rule: r1
  condition: and fd.name=/etc/passwd
  append: true
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_EQ(cond(l, "r1"), "(evt.type = open and (proc.name in (cat, ls, vi) or proc.name = sh) and fd.name = /etc/passwd)");
}

TEST(Loader, OverrideAppendAndReplace) {
  Loaded l = load(std::string(kBase) + R"(
- list: bins
  items: [vi]
  override:
    items: append
- rule: r1
  condition: and proc.pid > 1
  desc: more
  tags: [b]
  override:
    condition: append
    desc: append
    tags: append
- rule: r1
  priority: ERROR
  output: "new %proc.pid"
  enabled: false
  override:
    priority: replace
    output: replace
    enabled: replace
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  const LoadedRule* r = l.rule("r1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(cond(l, "r1"), "(evt.type = open and proc.name in (cat, ls, vi) and proc.pid > 1)");
  EXPECT_EQ(r->desc, "d1 more");
  EXPECT_EQ(r->tags, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(r->priority, Priority::kError);
  EXPECT_EQ(r->output, "new %proc.pid");
  EXPECT_FALSE(r->enabled);
}

TEST(Loader, OverrideReplaceOfListAndMacro) {
  Loaded l = load(std::string(kBase) + R"(
- list: bins
  items: [vi]
  override:
    items: replace
- macro: is_bin
  condition: proc.name in (bins) and proc.pid=1
  override:
    condition: replace
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_EQ(cond(l, "r1"), "(evt.type = open and (proc.name in (vi) and proc.pid = 1))");
}

TEST(Loader, OverrideKeyRules) {
  // priority can be replaced but not appended to.
  Loaded a = load(std::string(kBase) + "- rule: r1\n  priority: ERROR\n  override:\n    priority: append\n");
  EXPECT_EQ(a.first_error(), "LOAD_ERR_YAML_VALIDATE: Key 'priority' cannot be appended to, use 'replace' instead");
  // a key given without an override entry.
  Loaded b = load(std::string(kBase) + "- rule: r1\n  desc: x\n  output: y\n  override:\n    desc: replace\n");
  EXPECT_EQ(b.first_error(),
            "LOAD_ERR_YAML_VALIDATE: Unexpected key 'output': no corresponding entry under 'override' is defined.");
  // an override entry without its key.
  Loaded c = load(std::string(kBase) + "- rule: r1\n  desc: x\n  override:\n    desc: replace\n    output: replace\n");
  EXPECT_EQ(c.first_error(),
            "LOAD_ERR_YAML_VALIDATE: An replace override for 'output' was specified but 'output' is not defined");
  // append: true and override together.
  Loaded d = load(std::string(kBase) + "- list: bins\n  items: [x]\n  append: true\n  override:\n    items: append\n");
  EXPECT_FALSE(d.result.ok());
  // unknown operation.
  Loaded e = load(std::string(kBase) + "- macro: is_bin\n  condition: x\n  override:\n    condition: merge\n");
  EXPECT_EQ(e.first_error(),
            "LOAD_ERR_YAML_VALIDATE: Invalid override operation for key 'condition': 'merge'. Allowed values are: "
            "append replace ");
}

TEST(Loader, OverrideExceptionsAndFlags) {
  const std::string base = std::string(kBase) + R"(
- rule: r1
  exceptions:
    - name: e1
      fields: [proc.pid]
      comps: [=]
      values: [[1]]
  override:
    exceptions: append
)";
  Loaded appended = load(base);
  ASSERT_TRUE(appended.result.ok()) << appended.first_error();
  EXPECT_EQ(cond(appended, "r1"), "((evt.type = open and proc.name in (cat, ls)) and not proc.pid = 1)");
  Loaded replaced = load(base + R"(
- rule: r1
  exceptions:
    - name: e2
      fields: [proc.pid]
      comps: [=]
      values: [[2]]
  warn_evttypes: false
  skip-if-unknown-filter: true
  override:
    exceptions: replace
    warn_evttypes: replace
    skip-if-unknown-filter: replace
)");
  ASSERT_TRUE(replaced.result.ok()) << replaced.first_error();
  EXPECT_EQ(cond(replaced, "r1"), "((evt.type = open and proc.name in (cat, ls)) and not proc.pid = 2)");
  Loaded other_source = load(std::string(kBase) +
                             "- rule: r1\n  desc: d\n  condition: ka.verb=get\n  output: o\n  priority: info\n"
                             "  source: k8s_audit\n");
  EXPECT_EQ(other_source.first_error(), "LOAD_ERR_VALIDATE: Rule has been re-defined with a different source");
}

TEST(Loader, RedefinitionReplacesInPlace) {
  Loaded l = load(std::string(kBase) + R"(
- rule: r0
  desc: d
  condition: evt.type=execve
  output: o
  priority: info
- rule: r1
  desc: d2
  condition: evt.type=connect
  output: o2
  priority: debug
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  ASSERT_EQ(l.set.rules.size(), 2u);
  EXPECT_EQ(l.set.rules[0].name, "r1");  // keeps its first position
  EXPECT_EQ(cond(l, "r1"), "evt.type = connect");
  EXPECT_EQ(l.rule("r0")->priority, Priority::kInformational);
}

TEST(Loader, EnabledOnlyItemTogglesARule) {
  Loaded off = load(std::string(kBase) + "- rule: r1\n  enabled: false\n");
  ASSERT_TRUE(off.result.ok()) << off.first_error();
  EXPECT_FALSE(off.rule("r1")->enabled);
  Loaded missing = load(std::string(kBase) + "- rule: nope\n  enabled: true\n");
  EXPECT_EQ(missing.first_error(),
            "LOAD_ERR_VALIDATE: Rule has 'enabled' key but no rule by that name already exists");
}

TEST(Loader, AllPrioritiesCaseInsensitive) {
  const std::pair<const char*, Priority> cases[] = {
      {"EMERGENCY", Priority::kEmergency}, {"Alert", Priority::kAlert},
      {"critical", Priority::kCritical},   {"ERROR", Priority::kError},
      {"warning", Priority::kWarning},     {"Notice", Priority::kNotice},
      {"INFORMATIONAL", Priority::kInformational}, {"info", Priority::kInformational},
      {"DeBuG", Priority::kDebug}};
  for (const auto& [text, p] : cases) {
    EXPECT_EQ(parse_priority(text), p) << text;
  }
  EXPECT_FALSE(parse_priority("loud").has_value());
  Loaded bad = load("- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: loud\n");
  EXPECT_EQ(bad.first_error(), "LOAD_ERR_YAML_VALIDATE: Invalid priority");
}

TEST(Loader, ExceptionForms) {
  RuleInfo r;
  r.cond = "evt.type=open";
  auto scalar = [](std::string s) {
    ExceptionEntry e;
    e.defined = true;
    e.item = std::move(s);
    return e;
  };
  auto list = [](std::vector<ExceptionEntry> items) {
    ExceptionEntry e;
    e.defined = true;
    e.is_list = true;
    e.items = std::move(items);
    return e;
  };
  ExceptionInfo multi;
  multi.name = "m";
  multi.fields = list({scalar("proc.name"), scalar("fd.name")});
  multi.comps = list({scalar("="), scalar("in")});
  multi.values = {list({scalar("cat"), scalar("my_files")}), list({scalar("my prog"), list({scalar("/a"), scalar("/b c")})})};
  ExceptionInfo single;
  single.name = "s";
  single.fields = scalar("proc.pname");
  single.comps = scalar("in");
  single.values = {scalar("bash"), scalar("my shell")};
  ExceptionInfo empty;
  empty.name = "e";
  empty.fields = list({scalar("proc.name")});
  empty.comps = list({scalar("=")});
  r.exceptions = {multi, single, empty};
  std::optional<ExceptionConditionError> err;
  EXPECT_EQ(build_exception_condition(r, err),
            "(evt.type=open) and not (( proc.name = cat and  fd.name in (my_files)) or ( proc.name = \"my prog\" and  "
            "fd.name in (/a, \"/b c\"))) and not (proc.pname in (bash, \"my shell\"))");
  EXPECT_FALSE(err);
  r.exceptions[0].values.push_back(list({scalar("only one")}));
  build_exception_condition(r, err);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message, "Fields and values lists must have equal length");
}

TEST(Loader, ExceptionsFromYamlWithListReferences) {
  Loaded l = load(R"(
- list: paths
  items: [/tmp, "/var/my dir"]
- rule: r
  desc: d
  condition: evt.type=open
  output: o
  priority: info
  exceptions:
    - name: by_name
      fields: [proc.name, fd.directory]
      comps: [=, in]
      values:
        - [cat, paths]
    - name: single
      fields: proc.pname
      values: [sh]
- rule: r
  exceptions:
    - name: single
      values: [bash]
    - name: added
      fields: [proc.pid]
      comps: [">"]
      values: [[100]]
  append: true
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_EQ(cond(l, "r"),
            "(evt.type = open and not (proc.name = cat and fd.directory in (/tmp, \"/var/my dir\")) and not "
            "proc.pname in (sh, bash) and not proc.pid > 100)");
}

TEST(Loader, ExceptionErrors) {
  const std::string head = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n";
  Loaded single_bad_comp = load(head + "  exceptions:\n    - name: x\n      fields: proc.name\n      comps: =\n");
  EXPECT_EQ(single_bad_comp.first_error(),
            "LOAD_ERR_VALIDATE: When fields is a single value, comps must be one of (in, pmatch, intersects)");
  Loaded dup = load(head + "  exceptions:\n    - name: x\n      fields: [proc.name]\n    - name: x\n      fields: [proc.name]\n");
  EXPECT_EQ(dup.first_error(), "LOAD_ERR_YAML_VALIDATE: Exceptions names in the same object must be unique");
  Loaded append_fields = load(head + "  exceptions:\n    - name: x\n      fields: [proc.name]\n" +
                              "- rule: r\n  exceptions:\n    - name: x\n      fields: [proc.pid]\n      values: [[1]]\n  append: true\n");
  EXPECT_EQ(append_fields.first_error(),
            "LOAD_ERR_VALIDATE: Can not append exception fields to existing exception, only values");
}

TEST(Loader, NestedListsExpandLikeFalco) {
  // b refers to a (visible): expanded when b is compiled. c is defined after
  // d refers to it, so d keeps the name "c", which the condition then
  // expands because c comes after d in list order.
  Loaded l = load(R"(
- list: a
  items: [x, y]
- list: b
  items: [a, z]
- list: d
  items: [c]
- list: c
  items: [w]
- rule: r
  desc: d
  condition: proc.name in (b, d)
  output: o
  priority: info
  warn_evttypes: false
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_EQ(cond(l, "r"), "proc.name in (x, y, z, w)");
  EXPECT_FALSE(l.has("LOAD_NO_EVTTYPE"));
  EXPECT_FALSE(l.has("LOAD_UNUSED_LIST"));
}

// Falco's list_sub_bare/list_sub_whitespace: a one-item list named as a
// single value becomes that item; a longer list or a quoted name stays the
// literal value.
TEST(Loader, AOneItemListNamedAsAValueIsItsItem) {
  Loaded l = load(R"(
- list: one
  items: [cat]
- list: two
  items: [cat, ls]
- rule: bare
  desc: d
  condition: evt.type=open and proc.name=one
  output: o
  priority: info
- rule: spaced
  desc: d
  condition: evt.type=open and (proc.name= one or proc.name=nopey)
  output: o
  priority: info
- rule: longer
  desc: d
  condition: evt.type=open and proc.name=two
  output: o
  priority: info
- rule: quoted
  desc: d
  condition: evt.type=open and proc.name="one"
  output: o
  priority: info
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_EQ(cond(l, "bare"), "(evt.type = open and proc.name = cat)");
  EXPECT_EQ(cond(l, "spaced"), "(evt.type = open and (proc.name = cat or proc.name = nopey))");
  EXPECT_EQ(cond(l, "longer"), "(evt.type = open and proc.name = two)");
  EXPECT_EQ(cond(l, "quoted"), "(evt.type = open and proc.name = \"one\")");
}

// A syscall with no Kestrel event type (madvise) is warned about: live
// capture delivers it only as a generic event, with -A.
TEST(Loader, SyscallWithoutAKestrelTypeIsWarnedAbout) {
  Loaded l = load(R"(
- rule: m
  desc: d
  condition: evt.type=madvise and evt.dir=<
  output: o
  priority: info
- rule: o
  desc: d
  condition: evt.type=open
  output: o
  priority: info
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  std::vector<std::string> warned;
  for (const auto& m : l.result.filtered(false))
    if (m.code == "LOAD_GENERIC_SYSCALL") warned.push_back(m.item_name);
  EXPECT_EQ(warned, std::vector<std::string>{"m"});
  EXPECT_EQ(l.rule("m")->evttypes.generic_syscalls(), std::vector<std::string>{"madvise"});
}

TEST(Loader, MacroVisibility) {
  // m1 refers to m2 before m2 exists: an error even though m2 comes later.
  Loaded l = load(R"(
- macro: m1
  condition: m2
- macro: m2
  condition: proc.name=x
- rule: r
  desc: d
  condition: evt.type=open and m1
  output: o
  priority: info
)");
  EXPECT_EQ(l.first_error(), "LOAD_ERR_VALIDATE: Undefined macro 'm2' used in filter.");
  // Redefining m1 after m2 makes m2 visible to it.
  Loaded ok = load(R"(
- macro: m1
  condition: m2
- macro: m2
  condition: proc.name=x
- macro: m1
  condition: m2 and proc.pid=1
- rule: r
  desc: d
  condition: evt.type=open and m1
  output: o
  priority: info
)");
  ASSERT_TRUE(ok.result.ok()) << ok.first_error();
  EXPECT_EQ(cond(ok, "r"), "(evt.type = open and (proc.name = x and proc.pid = 1))");
}

TEST(Loader, MacroBombIsStopped) {
  std::string yaml = "- macro: m0\n  condition: proc.name=x\n";
  for (int i = 1; i < 40; ++i) {
    yaml += "- macro: m" + std::to_string(i) + "\n  condition: m" + std::to_string(i - 1) + " or m" +
            std::to_string(i - 1) + "\n";
  }
  yaml += "- rule: r\n  desc: d\n  condition: evt.type=open and m39\n  output: o\n  priority: info\n";
  Loaded l = load(yaml);
  EXPECT_FALSE(l.result.ok());
  EXPECT_NE(l.first_error().find("too many macro expansions"), std::string::npos) << l.first_error();
}

TEST(Loader, Warnings) {
  Loaded l = load(R"(
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: proc.name=a
- something_else: 1
- rule: wide
  priorty: typo
  desc: d
  condition: proc.name=a
  output: o
  priority: info
- rule: plugin_rule
  desc: d
  condition: foo.bar=1
  output: o
  priority: info
  source: no_such_source
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_TRUE(l.has("LOAD_UNUSED_LIST"));
  EXPECT_TRUE(l.has("LOAD_UNUSED_MACRO"));
  EXPECT_TRUE(l.has("LOAD_UNKNOWN_ITEM"));
  EXPECT_TRUE(l.has("LOAD_NO_EVTTYPE"));
  EXPECT_TRUE(l.has("LOAD_UNKNOWN_SOURCE"));
  EXPECT_TRUE(l.has("LOAD_UNKNOWN_KEY"));
  EXPECT_EQ(l.rule("plugin_rule"), nullptr);
}

TEST(Loader, UnsafeNaCheckOnPluginFields) {
  Loaded l = load(R"(
- rule: k
  desc: d
  condition: ka.verb=create and ka.target.name != "<NA>"
  output: o
  priority: info
  source: k8s_audit
- rule: s
  desc: d
  condition: evt.type=open and proc.name != "<NA>"
  output: o
  priority: info
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  auto warnings = l.result.filtered(false);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "LOAD_UNSAFE_NA_CHECK");
  EXPECT_EQ(warnings[0].item_name, "k");
}

TEST(Loader, SkipIfUnknownFilter) {
  Loaded l = load(R"(
- rule: r
  desc: d
  condition: evt.type=open and proc.nobody=1
  output: o
  priority: info
  skip-if-unknown-filter: true
- rule: r2
  desc: d
  condition: evt.type=open
  output: "%proc.nobody"
  priority: info
  skip-if-unknown-filter: true
)");
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_TRUE(l.has("LOAD_UNKNOWN_FILTER"));
  EXPECT_TRUE(l.set.rules.empty());
}

TEST(Loader, TypeAndValueErrorsAtLoadTime) {
  auto err = [](const std::string& condition) {
    return load("- rule: r\n  desc: d\n  condition: " + condition + "\n  output: o\n  priority: info\n").first_error();
  };
  EXPECT_EQ(err("evt.type=open and proc.pid contains 1"),
            "LOAD_ERR_COMPILE_CONDITION: operator 'contains' is not supported on type INT64 for field proc.pid");
  EXPECT_EQ(err("evt.type=open and proc.pid = abc"),
            "LOAD_ERR_COMPILE_CONDITION: could not parse 'abc' as a value of type INT64 for field proc.pid");
  EXPECT_EQ(err("evt.type=open and fd.sip = 1.2.3"),
            "LOAD_ERR_COMPILE_CONDITION: could not parse '1.2.3' as a value of type IPADDR for field fd.sip");
  EXPECT_EQ(err("evt.type=open and fd.snet in (10.0.0.0/33)"),
            "LOAD_ERR_COMPILE_CONDITION: could not parse '10.0.0.0/33' as a value of type IPNET for field fd.snet");
  EXPECT_EQ(err("evt.type=open and proc.name regex \"a(b\""),
            "LOAD_ERR_COMPILE_CONDITION: invalid regular expression 'a(b': missing ): a(b");
  EXPECT_EQ(err("evt.type=open and evt.buffer bcontains xyz"),
            "LOAD_ERR_COMPILE_CONDITION: operator 'bcontains' needs a hex byte string, got 'xyz'");
  EXPECT_EQ(err("evt.type=nosuchevent"), "LOAD_ERR_COMPILE_CONDITION: unknown event type nosuchevent");
  EXPECT_EQ(err("evt.type=open and len(proc.pid) > 1"),
            "LOAD_ERR_COMPILE_CONDITION: transformer 'len' is not supported on field proc.pid of type INT64");
  EXPECT_EQ(err("evt.type=open and proc.aname[x] = a"),
            "LOAD_ERR_COMPILE_CONDITION: field proc.aname needs a numeric index argument, got 'x'");
  EXPECT_EQ(err("evt.type=open and proc.name[1] = a"),
            "LOAD_ERR_COMPILE_CONDITION: field proc.name does not take an argument");
  EXPECT_EQ(err("evt.type=open and fd.sip in (10.0.0.0/8, ::1) and evt.arg.flags contains O_RDWR and "
                "len(proc.name) > 3 and fd.name = val(proc.cwd) and proc.aname[2] = bash"),
            "");
}

TEST(Loader, DirectoriesLoadInNameOrderAndMultipleDocuments) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("kestrel_loader_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "- rule: r\n  desc: d\n  condition: and proc.name=x\n  append: true\n";
  std::ofstream(dir / "a.yaml") << "---\n- macro: m\n  condition: evt.type=open\n---\n"
                                   "- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: info\n";
  std::ofstream(dir / "c.txt") << "not rules";
  Loaded l;
  RuleCollection scratch;
  ASSERT_TRUE(read_rules_path(dir.string(), scratch, l.result));
  EXPECT_EQ(scratch.rules.all().size(), 1u);  // c.txt is not read
  l.set = load_rules({dir.string()}, l.result);
  fs::remove_all(dir);
  ASSERT_TRUE(l.result.ok()) << l.first_error();
  EXPECT_EQ(cond(l, "r"), "(evt.type = open and proc.name = x)");
  Loaded missing;
  load_rules({"/nonexistent/rules.yaml"}, missing.result);
  EXPECT_EQ(missing.result.filtered(true).at(0).code, "LOAD_ERR_FILE_READ");
}

TEST(Loader, ErrorsNameFileLineAndColumn) {
  Loaded l = load("- rule: r\n  desc: d\n  condition: evt.type=open and\n    proc.nobody=1\n  output: o\n  priority: info\n");
  auto errors = l.result.filtered(true);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].item_type, "rule");
  EXPECT_EQ(errors[0].item_name, "r");
  EXPECT_EQ(errors[0].where.file, "test.yaml");
  EXPECT_EQ(errors[0].where.line, 4);  // the physical line, though YAML folded the scalar
  EXPECT_EQ(errors[0].where.column, 5);
  // Block scalars, and the "(" that exceptions add in front.
  Loaded block = load("- rule: r\n  desc: d\n  condition: >\n    evt.type=open and\n      proc.name=x and fd.nobody=2\n"
                      "  output: o\n  priority: info\n  exceptions:\n    - name: e\n      fields: [proc.pid]\n"
                      "      values: [[1]]\n");
  errors = block.result.filtered(true);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "filter_check called with nonexistent field fd.nobody");
  EXPECT_EQ(errors[0].where.line, 5);
  EXPECT_EQ(errors[0].where.column, 23);
  Loaded quoted = load("- macro: m\n  condition: \"evt.type=open and (\"\n");
  errors = quoted.result.filtered(true);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where.line, 2);
  EXPECT_EQ(errors[0].where.column, 34);  // just past the "(", where the parser gave up
}

}  // namespace
}  // namespace kestrel::engine

namespace kestrel::engine {
namespace {

TEST(Loader, ErrorsInsideMacrosPointIntoTheMacro) {
  Loaded l = load("- macro: m\n  condition: proc.name=x and fd.nobody=1\n"
                  "- rule: r\n  desc: d\n  condition: evt.type=open and m\n  output: o\n  priority: info\n");
  auto errors = l.result.filtered(true);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].item_type, "rule");  // found while compiling the rule, as in Falco
  EXPECT_EQ(errors[0].item_name, "r");
  EXPECT_EQ(errors[0].where.line, 2);      // but located in the macro's text
  EXPECT_EQ(errors[0].where.column, 30);
}

// Rules are loaded against the registry they are given: an app that loaded
// a plugin accepts its fields and source, one that did not (another
// registry in the same process, or the built-in one) does not.
TEST(Loader, RulesAreCheckedAgainstTheRegistryTheyAreGiven) {
  const RegisteredField dummy[] = {{"dummy.value", FieldType::kUint64, FieldArg::kNone, false, "a plugin field"}};
  const RegisteredField github[] = {
      {"github.only_plugin", FieldType::kString, FieldArg::kNone, false, "only the plugin declares it"}};
  FieldRegistry with_plugins;
  with_plugins.add_plugin_fields("dummy", "dummy", "dummy plugin fields (loaded)", dummy);
  with_plugins.add_plugin_fields("github", "github", "github plugin fields (loaded)", github);
  const FieldRegistry without_plugins;
  const std::string rules = R"(
- rule: dummy big
  desc: d
  condition: dummy.value > 10
  output: "value=%dummy.value"
  priority: WARNING
  source: dummy
- rule: github plugin field
  desc: d
  condition: github.only_plugin = x
  output: "v=%github.only_plugin"
  priority: WARNING
  source: github
)";
  Loaded loaded = load(rules, with_plugins);
  EXPECT_TRUE(loaded.result.ok()) << loaded.first_error();
  EXPECT_TRUE(loaded.rule("dummy big"));
  EXPECT_TRUE(loaded.rule("github plugin field"));

  for (const FieldRegistry* other : {&without_plugins, &builtin_field_registry()}) {
    Loaded refused = load(rules, *other);
    EXPECT_TRUE(refused.has("LOAD_UNKNOWN_SOURCE"));  // dummy is nobody's source here
    EXPECT_FALSE(refused.result.ok());
    EXPECT_NE(refused.first_error().find("github.only_plugin"), std::string::npos) << refused.first_error();
  }
}

}  // namespace
}  // namespace kestrel::engine
