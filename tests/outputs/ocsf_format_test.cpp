// OCSF Security Finding mapping: the class/category/activity ids and the
// severity table are the OCSF 1.x values, written here from the spec.
#include "outputs/ocsf_format.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "outputs/alert_format.h"

namespace kestrel::engine {
namespace {

Alert sample(Priority p) {
  Alert a;
  a.time_ns = 1764417418123456789ull;
  a.rule = "Read sensitive file";
  a.priority = p;
  a.hostname = "h1";
  a.output = "cat read /etc/shadow";
  a.output_fields = {{"fd.name", std::string("/etc/shadow")}, {"proc.pid", int64_t{42}}};
  a.tags = {"filesystem", "mitre_credential_access"};
  return a;
}

TEST(Ocsf, SecurityFindingClassAndFields) {
  auto j = nlohmann::json::parse(format_ocsf(sample(Priority::kWarning)));
  EXPECT_EQ(j["class_uid"], 2001);
  EXPECT_EQ(j["category_uid"], 2);
  EXPECT_EQ(j["activity_id"], 1);
  EXPECT_EQ(j["type_uid"], 200101);
  EXPECT_EQ(j["severity_id"], 3);
  EXPECT_EQ(j["severity"], "Medium");
  EXPECT_EQ(j["time"], 1764417418123ull);  // ms
  EXPECT_EQ(j["finding"]["title"], "Read sensitive file");
  EXPECT_EQ(j["finding"]["desc"], "cat read /etc/shadow");
  EXPECT_EQ(j["finding"]["types"], nlohmann::json({"filesystem", "mitre_credential_access"}));
  EXPECT_EQ(j["metadata"]["product"]["name"], "Kestrel");
  EXPECT_EQ(j["unmapped"]["output_fields"]["fd.name"], "/etc/shadow");
  EXPECT_EQ(j["unmapped"]["output_fields"]["proc.pid"], 42);
}

TEST(Ocsf, SeverityMapping) {
  const std::pair<Priority, int> table[] = {
      {Priority::kDebug, 1},   {Priority::kInformational, 1}, {Priority::kNotice, 2},
      {Priority::kWarning, 3}, {Priority::kError, 4},         {Priority::kCritical, 5},
      {Priority::kAlert, 6},   {Priority::kEmergency, 6},
  };
  for (auto [p, id] : table) {
    EXPECT_EQ(ocsf_severity_id(p), id) << priority_name(p);
    EXPECT_EQ(nlohmann::json::parse(format_ocsf(sample(p)))["severity_id"], id);
  }
  EXPECT_EQ(ocsf_severity_name(6), "Fatal");
  EXPECT_EQ(ocsf_severity_name(1), "Informational");
}

TEST(Ocsf, FormatOptionSelectsOcsfOverFalcoJson) {
  auto line = format_alert(sample(Priority::kCritical), {.json = true, .ocsf = true});
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["class_uid"], 2001);
  EXPECT_FALSE(j.contains("output_fields"));
}

}  // namespace
}  // namespace kestrel::engine
