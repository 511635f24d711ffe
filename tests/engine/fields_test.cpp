#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "engine/fields/field_registry.h"
#include "engine/output_check.h"

namespace kestrel::engine {
namespace {

TEST(Fields, LookupWithArguments) {
  const FieldRegistry& fields = builtin_field_registry();
  std::string err;
  auto flags = fields.lookup("syscall", "evt.arg.flags", std::nullopt, &err);
  ASSERT_TRUE(flags) << err;
  EXPECT_EQ(flags->info->name, "evt.arg");
  EXPECT_EQ(flags->arg, "flags");
  auto idx = fields.lookup("syscall", "evt.arg", std::string("0"), &err);
  ASSERT_TRUE(idx) << err;
  EXPECT_EQ(idx->arg, "0");
  EXPECT_TRUE(fields.lookup("syscall", "proc.aname", std::nullopt, &err));  // any ancestor
  EXPECT_TRUE(fields.lookup("syscall", "proc.aname", std::string("2"), &err));
  EXPECT_FALSE(fields.lookup("syscall", "evt.arg", std::nullopt, &err));
  EXPECT_EQ(err, "field evt.arg requires an argument");
  EXPECT_FALSE(fields.lookup("syscall", "proc.nobody", std::nullopt, &err));
  EXPECT_EQ(err, "filter_check called with nonexistent field proc.nobody");
  // proc.exe_ino.ctime is its own field, not proc.exe_ino with an argument.
  auto ctime = fields.lookup("syscall", "proc.exe_ino.ctime", std::nullopt, &err);
  ASSERT_TRUE(ctime);
  EXPECT_EQ(ctime->info->type, FieldType::kAbsTime);
}

TEST(Fields, TypesFollowFalco) {
  auto type_of = [&fields = builtin_field_registry()](const char* source, const char* name) {
    auto f = fields.lookup(source, name, std::nullopt, nullptr);
    return f ? f->info->type : FieldType::kBytes;
  };
  EXPECT_EQ(type_of("syscall", "fd.sip"), FieldType::kIpAddr);
  EXPECT_EQ(type_of("syscall", "fd.snet"), FieldType::kIpNet);
  EXPECT_EQ(type_of("syscall", "fd.sport"), FieldType::kPort);
  EXPECT_EQ(type_of("syscall", "proc.pid"), FieldType::kInt64);
  EXPECT_EQ(type_of("syscall", "user.uid"), FieldType::kUint64);
  EXPECT_EQ(type_of("syscall", "evt.is_open_write"), FieldType::kBool);
  EXPECT_EQ(type_of("syscall", "fd.name"), FieldType::kPath);
  EXPECT_EQ(type_of("syscall", "evt.rawtime"), FieldType::kAbsTime);
  EXPECT_EQ(type_of("syscall", "proc.duration"), FieldType::kRelTime);
  EXPECT_EQ(type_of("k8s_audit", "ka.req.pod.containers.image"), FieldType::kStringList);
}

TEST(Fields, SourcesHaveTheirOwnFieldSets) {
  const FieldRegistry& fields = builtin_field_registry();
  for (auto s : {"syscall", "k8s_audit", "aws_cloudtrail", "github", "okta"}) EXPECT_TRUE(fields.is_known_source(s)) << s;
  EXPECT_FALSE(fields.is_known_source("nope"));
  EXPECT_TRUE(fields.is_field_defined("k8s_audit", "ka.verb"));
  EXPECT_TRUE(fields.is_field_defined("k8s_audit", "jevt.value[/requestObject/spec]"));
  EXPECT_TRUE(fields.is_field_defined("aws_cloudtrail", "ct.name"));
  EXPECT_TRUE(fields.is_field_defined("aws_cloudtrail", "json.value[/x]"));
  EXPECT_TRUE(fields.is_field_defined("okta", "okta.mfa.failure.countlast[60]"));
  EXPECT_TRUE(fields.is_field_defined("github", "github.type"));
  EXPECT_TRUE(fields.is_field_defined("okta", "evt.num"));
  EXPECT_FALSE(fields.is_field_defined("syscall", "ka.verb"));
  EXPECT_FALSE(fields.is_field_defined("k8s_audit", "proc.name"));
  EXPECT_FALSE(fields.is_field_defined("okta", "okta.mfa.failure.countlast"));  // needs [N]
}

TEST(Fields, NamesAreUniquePerSource) {
  for (auto src : known_sources()) {
    std::set<std::string_view> seen;
    auto sets = src == "syscall" ? syscall_field_sets() : plugin_field_sets(src);
    for (const FieldSet* set : sets) {
      for (const auto& f : set->fields) {
        EXPECT_TRUE(seen.insert(f.name).second) << src << " " << f.name;
        EXPECT_FALSE(f.description.empty()) << f.name;
      }
    }
  }
}

TEST(Fields, ListPrinter) {
  const FieldRegistry& fields = builtin_field_registry();
  std::ostringstream all;
  fields.print_field_list(all, "");
  EXPECT_NE(all.str().find("proc.aname[N]"), std::string::npos);
  EXPECT_NE(all.str().find("fd.sip"), std::string::npos);
  EXPECT_NE(all.str().find("IPADDR"), std::string::npos);
  EXPECT_NE(all.str().find("ka.verb"), std::string::npos);
  std::ostringstream okta;
  fields.print_field_list(okta, "okta");
  EXPECT_NE(okta.str().find("okta.actor.name"), std::string::npos);
  EXPECT_EQ(okta.str().find("proc.name"), std::string::npos);
}

// A loaded plugin's declaration of a field wins over the static copy: its
// type and argument form, filled (by the plugin), listed once.
TEST(Fields, PluginDeclaredFieldsWinOverStaticCopies) {
  FieldRegistry fields;  // this app instance's, which loads the plugin
  auto before = fields.lookup("github", "github.type", std::nullopt, nullptr);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->info->type, FieldType::kString);
  EXPECT_FALSE(before->info->filled());
  const RegisteredField declared[] = {
      {"github.type", FieldType::kUint64, FieldArg::kNone, false, "declared by the loaded plugin"},
      {"github.extra", FieldType::kString, FieldArg::kKey, true, "only the plugin declares it"}};
  fields.add_plugin_fields("github", "github", "github plugin fields (loaded)", declared);
  auto after = fields.lookup("github", "github.type", std::nullopt, nullptr);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->info->type, FieldType::kUint64);
  EXPECT_TRUE(after->info->filled());
  EXPECT_TRUE(fields.is_field_defined("github", "github.extra[x]"));
  EXPECT_TRUE(fields.is_field_defined("github", "github.repo"));  // the static copy still answers the rest
  std::ostringstream list;
  fields.print_field_list(list, "github");
  const std::string text = list.str();
  size_t first = text.find("\ngithub.type ");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("\ngithub.type ", first + 1), std::string::npos);  // listed once
  EXPECT_NE(text.find("declared by the loaded plugin"), std::string::npos);
}

// The registry is a value: two in one process (two tests, a reload with
// another plugin set) each answer with their own plugins' fields, and the
// built-in one with the static tables only.
TEST(Fields, TwoRegistriesWithDifferentPluginFieldsDoNotInterfere) {
  const RegisteredField as_uint[] = {
      {"github.type", FieldType::kUint64, FieldArg::kNone, false, "first plugin's github.type"},
      {"github.only_first", FieldType::kString, FieldArg::kNone, false, "only the first plugin declares it"}};
  const RegisteredField as_bool[] = {
      {"github.type", FieldType::kBool, FieldArg::kNone, false, "second plugin's github.type"}};
  const RegisteredField dummy[] = {{"dummy.value", FieldType::kUint64, FieldArg::kNone, false, "a new source"}};
  FieldRegistry first;
  first.add_plugin_fields("github", "github", "github plugin fields (loaded)", as_uint);
  FieldRegistry second;
  second.add_plugin_fields("github", "github", "github plugin fields (loaded)", as_bool);
  second.add_plugin_fields("dummy", "dummy", "dummy plugin fields (loaded)", dummy);
  const FieldRegistry& builtin = builtin_field_registry();

  auto type_in = [](const FieldRegistry& r) { return r.lookup("github", "github.type", std::nullopt, nullptr)->info->type; };
  EXPECT_EQ(type_in(first), FieldType::kUint64);
  EXPECT_EQ(type_in(second), FieldType::kBool);
  EXPECT_EQ(type_in(builtin), FieldType::kString);
  EXPECT_TRUE(first.is_field_defined("github", "github.only_first"));
  EXPECT_FALSE(second.is_field_defined("github", "github.only_first"));
  EXPECT_FALSE(builtin.is_field_defined("github", "github.only_first"));
  EXPECT_TRUE(second.is_known_source("dummy"));
  EXPECT_TRUE(second.is_field_defined("dummy", "dummy.value"));
  EXPECT_TRUE(second.is_field_defined("dummy", "evt.num"));  // the plugin sources' evt.* rows
  EXPECT_FALSE(first.is_known_source("dummy"));
  EXPECT_FALSE(builtin.is_known_source("dummy"));

  // A moved registry keeps answering with the same rows (compiled rules
  // point into them).
  const FieldInfo* row = second.lookup("dummy", "dummy.value", std::nullopt, nullptr)->info;
  FieldRegistry moved = std::move(second);
  EXPECT_EQ(moved.lookup("dummy", "dummy.value", std::nullopt, nullptr)->info, row);
  std::ostringstream list;
  moved.print_field_list(list, "dummy");
  EXPECT_NE(list.str().find("dummy.value"), std::string::npos);
}

TEST(Fields, OutputTokens) {
  EXPECT_EQ(output_field_tokens("a %proc.name (%fd.name) %proc.aname[2]:%evt.arg.flags %(user.name)x end %fd.name."),
            (std::vector<std::string>{"proc.name", "fd.name", "proc.aname[2]", "evt.arg.flags", "user.name",
                                      "fd.name"}));
  EXPECT_FALSE(check_output("x=%proc.name y=%jevt.value[/a/b]", "syscall") == std::nullopt);
  EXPECT_EQ(check_output("x=%proc.name", "syscall"), std::nullopt);
  EXPECT_EQ(check_output("x=%ka.verb %jevt.value[/a/b]", "k8s_audit"), std::nullopt);
  EXPECT_EQ(check_output("%not_a_real_field", "syscall"), "invalid formatting token not_a_real_field");
}

}  // namespace
}  // namespace kestrel::engine

#include "engine/validate.h"

namespace kestrel::engine {
namespace {

TEST(Printing, MessagesAndVerdict) {
  LoadMessage m{true, "LOAD_ERR_VALIDATE", "macro", "some macro", ItemLocation{"r.yaml", 2, 14},
                "Undefined macro 'foo' used in filter."};
  std::ostringstream one;
  print_load_message(one, m);
  EXPECT_EQ(one.str(),
            "r.yaml:2:14: ERROR macro 'some macro': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception "
            "objects): Undefined macro 'foo' used in filter.\n");
  ValidationResult v;
  v.paths = {"a.yaml"};
  v.result.add_warning(LoadWarning::kUnusedList, "list", "l", ItemLocation{"a.yaml", 1, 3},
                       "List not referred to by any other rule/macro");
  v.rule_count = 2;
  std::ostringstream all;
  print_validation(all, v);
  EXPECT_EQ(all.str(),
            "1 Warnings:\na.yaml:1:3: WARNING list 'l': LOAD_UNUSED_LIST (Unused list): List not referred to by any "
            "other rule/macro\na.yaml: Ok (2 rules, 0 macros, 0 lists, 1 warnings)\n");
}

}  // namespace
}  // namespace kestrel::engine
