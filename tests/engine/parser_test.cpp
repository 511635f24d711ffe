#include "engine/parser.h"

#include <gtest/gtest.h>

#include "engine/lexer.h"

namespace kestrel::engine {
namespace {

std::string canon(const std::string& text) {
  ParseOutcome p = parse_condition(text);
  if (!p.ok()) return "ERROR: " + p.error.message;
  return expr_to_string(*p.expr);
}

const Expr& parsed(const ParseOutcome& p) {
  EXPECT_TRUE(p.ok()) << p.error.message;
  return *p.expr;
}

TEST(Parser, EveryComparisonOperator) {
  for (const char* op : {"=", "==", "!=", "contains", "icontains", "startswith", "endswith", "glob", "iglob",
                         "regex"}) {
    ParseOutcome p = parse_condition(std::string("proc.name ") + op + " abc");
    const Expr& e = parsed(p);
    EXPECT_EQ(e.kind, ExprKind::kCheck) << op;
    EXPECT_EQ(e.op, parse_cmp_op(op));
    EXPECT_EQ(e.left.field, "proc.name");
    ASSERT_EQ(e.rhs, RhsKind::kValue) << op;
    EXPECT_EQ(e.values.at(0).text, "abc");
  }
  for (const char* op : {"<", "<=", ">", ">="}) {
    ParseOutcome p = parse_condition(std::string("proc.pid ") + op + " 0x1F");
    EXPECT_EQ(parsed(p).op, parse_cmp_op(op));
    EXPECT_EQ(parsed(p).values.at(0).text, "0x1F");
  }
  for (const char* op : {"bcontains", "bstartswith"}) {
    ParseOutcome p = parse_condition(std::string("evt.buffer ") + op + " 0a0b");
    EXPECT_EQ(parsed(p).op, parse_cmp_op(op));
  }
  // Symbol operators need no blanks; word operators need one after them.
  EXPECT_EQ(canon("proc.pid>=10"), "proc.pid >= 10");
  EXPECT_EQ(canon("evt.type=open"), "evt.type = open");
  EXPECT_EQ(canon("proc.name containsabc"), "ERROR: expected a valid check operator: one of '=', '==', '!=', "
                                             "'<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', "
                                             "'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', "
                                             "'regex', 'in', 'intersects', 'pmatch', 'exists'");
  // Numeric operators take numbers only.
  EXPECT_EQ(canon("proc.pid > abc"), "ERROR: expected a number value or a field with a valid transformer");
}

TEST(Parser, ListOperatorsAndListValues) {
  EXPECT_EQ(canon("proc.name in (cat, \"my prog\", 'x')"), "proc.name in (cat, \"my prog\", \"x\")");
  EXPECT_EQ(canon("proc.name intersects (a,b)"), "proc.name intersects (a, b)");
  EXPECT_EQ(canon("fd.name pmatch (/etc, /usr/bin)"), "fd.name pmatch (/etc, /usr/bin)");
  EXPECT_EQ(canon("evt.type in(open,openat)"), "evt.type in (open, openat)");
  EXPECT_EQ(canon("proc.name in ()"), "proc.name in ()");
  // A bare identifier after a list operator is a list reference.
  ParseOutcome p = parse_condition("proc.name in shell_binaries");
  EXPECT_EQ(parsed(p).rhs, RhsKind::kList);
  EXPECT_EQ(parsed(p).values.at(0).text, "shell_binaries");
  EXPECT_EQ(canon("proc.name in (a,"), "ERROR: expected a string value");
  EXPECT_EQ(canon("proc.name in (a b)"), "ERROR: expected a ')' token");
}

TEST(Parser, ExistsAndFieldArguments) {
  EXPECT_EQ(canon("proc.aname[2] exists"), "proc.aname[2] exists");
  EXPECT_EQ(canon("evt.arg[0] = 3"), "evt.arg[0] = 3");
  EXPECT_EQ(canon("evt.arg.flags contains O_CREAT"), "evt.arg.flags contains O_CREAT");
  EXPECT_EQ(canon("container.mount.dest[/proc*] != \"N/A\""), "container.mount.dest[/proc*] != \"N/A\"");
  EXPECT_EQ(canon("ka.uri.param[\"a b\"] = x"), "ka.uri.param[a b] = x");
  EXPECT_EQ(canon("proc.aname[2 = x"), "ERROR: expected a ']' token");
}

TEST(Parser, EveryTransformer) {
  for (const char* t : {"tolower", "toupper", "b64", "basename", "len"}) {
    std::string text = std::string(t) + "(proc.name) = x";
    EXPECT_EQ(canon(text), text) << t;
  }
  EXPECT_EQ(canon("toupper(tolower(proc.name)) = X"), "toupper(tolower(proc.name)) = X");
  ParseOutcome v = parse_condition("fd.name = val(proc.cwd)");
  ASSERT_EQ(parsed(v).rhs, RhsKind::kField);
  EXPECT_EQ(parsed(v).rhs_field->field, "proc.cwd");
  EXPECT_EQ(parsed(v).rhs_field->transformers, std::vector<Transformer>{Transformer::kVal});
  EXPECT_EQ(canon("proc.name = tolower(proc.pname)"), "proc.name = tolower(proc.pname)");
  EXPECT_EQ(canon("tolower(proc.name = x"), "ERROR: expected a ')' token closing the transformer");
  // val() only exists on the right-hand side; on the left `val` is a macro
  // name followed by junk, as in Falco.
  EXPECT_EQ(canon("val(proc.name) = x"), "ERROR: unexpected token after 'val', expecting 'or', 'and'");
}

TEST(Parser, BooleanStructureAndMacros) {
  EXPECT_EQ(canon("a and b or c"), "((a and b) or c)");
  EXPECT_EQ(canon("a and (b or c)"), "(a and (b or c))");
  EXPECT_EQ(canon("not a and not not b"), "(not a and b)");
  EXPECT_EQ(canon("not(a)"), "not a");
  EXPECT_EQ(canon("a and(b)"), "(a and b)");
  EXPECT_EQ(canon("a or(b)"), "(a or b)");
  EXPECT_EQ(canon("not_a_macro"), "not_a_macro");
  ParseOutcome p = parse_condition("spawned_process and proc.name=cat");
  const Expr& e = parsed(p);
  ASSERT_EQ(e.kind, ExprKind::kAnd);
  EXPECT_EQ(e.children[0]->kind, ExprKind::kMacroRef);
  EXPECT_EQ(e.children[0]->macro, "spawned_process");
}

TEST(Parser, QuotedStringsAndEscapes) {
  ParseOutcome p = parse_condition(R"(proc.cmdline = "say \"hi\"\n\\ and 'x'")");
  EXPECT_EQ(parsed(p).values.at(0).text, "say \"hi\"\n\\ and 'x'");
  EXPECT_TRUE(parsed(p).values.at(0).quoted);
  ParseOutcome q = parse_condition(R"(proc.name = 'it\'s')");
  EXPECT_EQ(parsed(q).values.at(0).text, "it's");
  EXPECT_EQ(unescape_string(R"(\x41\q)"), "A\\q");
  EXPECT_EQ(canon("proc.name = \"unterminated"), "ERROR: expected a string value or a field with a valid transformer");
}

TEST(Parser, NumbersLexLikeFalco) {
  Lexer a("-12.5e+3x");
  EXPECT_EQ(a.number(), "-12.5e+3");
  Lexer b("0xffZ ");
  EXPECT_EQ(b.hex_number(), "0xffZ");
  Lexer c("x1");
  EXPECT_FALSE(c.number().has_value());
  EXPECT_EQ(c.pos().offset, 0u);  // a failed scan consumes nothing
}

TEST(Parser, PositionsOnEveryNode) {
  ParseOutcome p = parse_condition("evt.type=open and\n  proc.name in (a, b)");
  const Expr& e = parsed(p);
  ASSERT_EQ(e.kind, ExprKind::kAnd);
  const Expr& second = *e.children[1];
  EXPECT_EQ(second.pos.line, 2);
  EXPECT_EQ(second.pos.column, 3);
  EXPECT_EQ(second.left.pos.column, 3);
  EXPECT_EQ(second.values[1].pos.line, 2);
  EXPECT_EQ(second.values[1].pos.column, 20);
  EXPECT_EQ(e.children[0]->values[0].pos.column, 10);
}

TEST(Parser, ErrorsCarryFalcoMessagesAndPositions) {
  ParseOutcome p = parse_condition("evt.type=execve foo");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error.message, "unexpected token after 'execve', expecting 'or', 'and'");
  EXPECT_EQ(p.error.pos.column, 17);  // at "foo"
  EXPECT_EQ(canon(""), "ERROR: filter input string is empty");
  EXPECT_EQ(canon("a andb"), "ERROR: expected blank or '(' after 'and'");
  EXPECT_EQ(canon("(a or b"), "ERROR: expected a ')' token");
  EXPECT_EQ(canon("proc.name"), "ERROR: expected a valid check operator: one of '=', '==', '!=', '<', '<=', '>', "
                                "'>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', "
                                "'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch', 'exists'");
}

TEST(Parser, DepthIsCapped) {
  std::string deep(5000, '(');
  deep += "a";
  deep += std::string(5000, ')');
  ParseOutcome p = parse_condition(deep);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error.message.find("exceeded max depth limit"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_TRUE(parse_condition(nots + "a").ok());  // iterative, not recursive
  std::string ok_depth(50, '(');
  EXPECT_TRUE(parse_condition(ok_depth + "a" + std::string(50, ')')).ok());
}

TEST(Parser, CloneIsDeepAndBounded) {
  ParseOutcome p = parse_condition("a and (b or not proc.name in (x, y))");
  ExprPtr copy = clone_expr(*p.expr);
  ASSERT_TRUE(copy);
  EXPECT_EQ(expr_to_string(*copy), expr_to_string(*p.expr));
  EXPECT_EQ(clone_expr(*p.expr, kMaxConditionDepth), nullptr);
}

}  // namespace
}  // namespace kestrel::engine
