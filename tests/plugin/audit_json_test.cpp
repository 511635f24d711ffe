// The bounded JSON path every untrusted k8s audit input takes
// (plugins/bounded_json.h, plugins/k8saudit/audit_json.h),
// in process: depth limits at and past the bound, brackets inside strings,
// document order, JSON lines with the offending line named, event size.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "plugins/bounded_json.h"
#include "plugins/k8saudit/audit_json.h"

namespace kestrel::k8saudit {
namespace {

using json_bounds::kMaxJsonDepth;

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(size_t depth) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

TEST(BoundedJson, AcceptsTheBoundAndRefusesOneMore) {
  nlohmann::json doc;
  EXPECT_EQ(json_bounds::parse(nested_arrays(kMaxJsonDepth), doc).refusal, json_bounds::JsonRefusal::kNone);
  auto e = json_bounds::parse(nested_arrays(kMaxJsonDepth + 1), doc);
  EXPECT_EQ(e.refusal, json_bounds::JsonRefusal::kTooDeep);
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.column, kMaxJsonDepth + 1);
  EXPECT_TRUE(doc.is_discarded());
}

TEST(BoundedJson, BracketsInsideStringsDoNotCount) {
  std::string s = "{\"a\":\"" + std::string(1000, '[') + "\\\"[[[\"}";
  nlohmann::json doc;
  EXPECT_EQ(json_bounds::parse(s, doc).refusal, json_bounds::JsonRefusal::kNone);
  EXPECT_EQ(doc["a"].get<std::string>().size(), 1004u);
}

TEST(BoundedJson, SyntaxErrorsNameLineAndColumn) {
  nlohmann::json doc;
  auto e = json_bounds::parse("{\"a\": 1,\n  \"b\": }", doc);
  EXPECT_EQ(e.refusal, json_bounds::JsonRefusal::kNotJson);
  EXPECT_EQ(e.line, 2u) << e.message;
}

TEST(AuditJson, TwentyThousandNestedArraysAreRefusedNotRecursed) {
  AuditParse r = parse_audit_events(nested_arrays(20000), AuditLimits{});
  EXPECT_EQ(r.refusal, AuditRefusal::kTooDeep);
  EXPECT_NE(r.error.find("nested deeper than 128"), std::string::npos) << r.error;
  EXPECT_TRUE(r.events.empty());
}

TEST(AuditJson, HundredThousandNestedObjectsAreRefused) {
  AuditParse r = parse_audit_events(nested_objects(100000), AuditLimits{});
  EXPECT_EQ(r.refusal, AuditRefusal::kTooDeep);
}

TEST(AuditJson, DeepButAllowedArraysOfEventsKeepDocumentOrder) {
  // Events inside arrays nested 100 deep, and an EventList: order kept.
  std::string events = R"({"kind":"Event","auditID":"1"},{"kind":"EventList","items":[{"auditID":"2"},{"auditID":"3"}]},{"auditID":"4"})";
  std::string text = std::string(100, '[') + events + std::string(100, ']');
  AuditParse r = parse_audit_events(text, AuditLimits{});
  ASSERT_EQ(r.refusal, AuditRefusal::kNone) << r.error;
  ASSERT_EQ(r.events.size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_NE(r.events[i].first.find("\"auditID\":\"" + std::to_string(i + 1) + "\""), std::string::npos)
        << r.events[i].first;
}

TEST(AuditJson, JsonLinesNameTheHostileLine) {
  std::string text = "{\"auditID\":\"1\"}\n\n" + nested_arrays(5000) + "\n{\"auditID\":\"2\"}\n";
  AuditLimits limits;
  limits.json_lines = true;
  AuditParse r = parse_audit_events(text, limits);
  EXPECT_EQ(r.refusal, AuditRefusal::kTooDeep);
  EXPECT_EQ(r.line, 3u);
  EXPECT_NE(r.error.find("line 3"), std::string::npos) << r.error;
  EXPECT_TRUE(r.events.empty());

  AuditParse bad = parse_audit_events("{\"auditID\":\"1\"}\n{nope\n", limits);
  EXPECT_EQ(bad.refusal, AuditRefusal::kNotJson);
  EXPECT_NE(bad.error.find("line 2"), std::string::npos) << bad.error;
}

TEST(AuditJson, WebhookBodiesAreOneDocument) {
  AuditParse r = parse_audit_events("{\"auditID\":\"1\"}\n{\"auditID\":\"2\"}\n", AuditLimits{});
  EXPECT_EQ(r.refusal, AuditRefusal::kNotJson);
}

TEST(AuditJson, AnEventAboveMaxEventSizeRefusesTheWholeInput) {
  AuditLimits limits;
  limits.max_event_bytes = 100;
  std::string big = "[{\"auditID\":\"1\"},{\"auditID\":\"" + std::string(200, 'x') + "\"}]";
  AuditParse r = parse_audit_events(big, limits);
  EXPECT_EQ(r.refusal, AuditRefusal::kTooLarge);
  EXPECT_TRUE(r.events.empty());
}

TEST(AuditJson, EveryRegressionAuditFileParses) {
  for (const char* name : {"create_nginx_pod_privileged.json", "create_deployment.json",
                           "create_configmap_sensitive_values.json", "attach_cluster_admin_role.json"}) {
    std::ifstream in(std::string(KESTREL_SHARED_DIR) + "/falco-regression/trace_files/k8s_audit/" + name);
    ASSERT_TRUE(in) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    AuditLimits limits;
    limits.json_lines = true;
    AuditParse r = parse_audit_events(ss.str(), limits);
    EXPECT_EQ(r.refusal, AuditRefusal::kNone) << name << ": " << r.error;
    EXPECT_FALSE(r.events.empty()) << name;
  }
}

}  // namespace
}  // namespace kestrel::k8saudit
