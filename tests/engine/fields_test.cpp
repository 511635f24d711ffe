#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "engine/fields/field_registry.h"
#include "engine/output_check.h"

namespace kestrel::engine {
namespace {

TEST(Fields, LookupWithArguments) {
  std::string err;
  auto flags = lookup_field("syscall", "evt.arg.flags", std::nullopt, &err);
  ASSERT_TRUE(flags) << err;
  EXPECT_EQ(flags->info->name, "evt.arg");
  EXPECT_EQ(flags->arg, "flags");
  auto idx = lookup_field("syscall", "evt.arg", std::string("0"), &err);
  ASSERT_TRUE(idx) << err;
  EXPECT_EQ(idx->arg, "0");
  EXPECT_TRUE(lookup_field("syscall", "proc.aname", std::nullopt, &err));  // any ancestor
  EXPECT_TRUE(lookup_field("syscall", "proc.aname", std::string("2"), &err));
  EXPECT_FALSE(lookup_field("syscall", "evt.arg", std::nullopt, &err));
  EXPECT_EQ(err, "field evt.arg requires an argument");
  EXPECT_FALSE(lookup_field("syscall", "proc.nobody", std::nullopt, &err));
  EXPECT_EQ(err, "filter_check called with nonexistent field proc.nobody");
  // proc.exe_ino.ctime is its own field, not proc.exe_ino with an argument.
  auto ctime = lookup_field("syscall", "proc.exe_ino.ctime", std::nullopt, &err);
  ASSERT_TRUE(ctime);
  EXPECT_EQ(ctime->info->type, FieldType::kAbsTime);
}

TEST(Fields, TypesFollowFalco) {
  auto type_of = [](const char* source, const char* name) {
    auto f = lookup_field(source, name, std::nullopt, nullptr);
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
  for (auto s : {"syscall", "k8s_audit", "aws_cloudtrail", "github", "okta"}) EXPECT_TRUE(is_known_source(s)) << s;
  EXPECT_FALSE(is_known_source("nope"));
  EXPECT_TRUE(is_field_defined("k8s_audit", "ka.verb"));
  EXPECT_TRUE(is_field_defined("k8s_audit", "jevt.value[/requestObject/spec]"));
  EXPECT_TRUE(is_field_defined("aws_cloudtrail", "ct.name"));
  EXPECT_TRUE(is_field_defined("aws_cloudtrail", "json.value[/x]"));
  EXPECT_TRUE(is_field_defined("okta", "okta.mfa.failure.countlast[60]"));
  EXPECT_TRUE(is_field_defined("github", "github.type"));
  EXPECT_TRUE(is_field_defined("okta", "evt.num"));
  EXPECT_FALSE(is_field_defined("syscall", "ka.verb"));
  EXPECT_FALSE(is_field_defined("k8s_audit", "proc.name"));
  EXPECT_FALSE(is_field_defined("okta", "okta.mfa.failure.countlast"));  // needs [N]
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
  std::ostringstream all;
  print_field_list(all, "");
  EXPECT_NE(all.str().find("proc.aname[N]"), std::string::npos);
  EXPECT_NE(all.str().find("fd.sip"), std::string::npos);
  EXPECT_NE(all.str().find("IPADDR"), std::string::npos);
  EXPECT_NE(all.str().find("ka.verb"), std::string::npos);
  std::ostringstream okta;
  print_field_list(okta, "okta");
  EXPECT_NE(okta.str().find("okta.actor.name"), std::string::npos);
  EXPECT_EQ(okta.str().find("proc.name"), std::string::npos);
}

// A loaded plugin's declaration of a field wins over the static copy: its
// type and argument form, filled (by the plugin), listed once.
TEST(Fields, PluginDeclaredFieldsWinOverStaticCopies) {
  auto before = lookup_field("github", "github.type", std::nullopt, nullptr);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->info->type, FieldType::kString);
  EXPECT_FALSE(before->info->filled());
  const RegisteredField declared[] = {
      {"github.type", FieldType::kUint64, FieldArg::kNone, false, "declared by the loaded plugin"},
      {"github.extra", FieldType::kString, FieldArg::kKey, true, "only the plugin declares it"}};
  register_plugin_fields("github", "github", "github plugin fields (loaded)", declared);
  auto after = lookup_field("github", "github.type", std::nullopt, nullptr);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->info->type, FieldType::kUint64);
  EXPECT_TRUE(after->info->filled());
  EXPECT_TRUE(is_field_defined("github", "github.extra[x]"));
  EXPECT_TRUE(is_field_defined("github", "github.repo"));  // the static copy still answers the rest
  std::ostringstream list;
  print_field_list(list, "github");
  const std::string text = list.str();
  size_t first = text.find("\ngithub.type ");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("\ngithub.type ", first + 1), std::string::npos);  // listed once
  EXPECT_NE(text.find("declared by the loaded plugin"), std::string::npos);
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
