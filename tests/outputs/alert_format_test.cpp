#include "outputs/alert_format.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kestrel::engine {
namespace {

Alert sample() {
  Alert a;
  a.time_ns = 1764417418123456789ull;  // 2025-11-29T11:56:58.123456789Z
  a.rule = "Read sensitive file";
  a.priority = Priority::kWarning;
  a.hostname = "host1";
  a.output = "file=/etc/shadow proc=cat";
  a.output_fields = {{"fd.name", std::string("/etc/shadow")},
                     {"proc.pid", int64_t{42}},
                     {"container.name", std::monostate{}},
                     {"evt.failed", false}};
  a.tags = {"filesystem", "mitre_credential_access"};
  return a;
}

TEST(AlertFormat, JsonHasFalcosKeysAndTypes) {
  setenv("TZ", "UTC", 1);
  tzset();
  auto j = nlohmann::json::parse(format_alert(sample(), {.json = true}));
  EXPECT_EQ(j["time"], "2025-11-29T11:56:58.123456789Z");
  EXPECT_EQ(j["rule"], "Read sensitive file");
  EXPECT_EQ(j["priority"], "Warning");
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_EQ(j["hostname"], "host1");
  // Falco's output is the whole text line; its leading time is an output field.
  EXPECT_EQ(j["output"], "11:56:58.123456789: Warning file=/etc/shadow proc=cat");
  EXPECT_EQ(j["output_fields"]["evt.time"], 1764417418123456789ull);
  EXPECT_EQ(j["output_fields"]["fd.name"], "/etc/shadow");
  EXPECT_EQ(j["output_fields"]["proc.pid"], 42);
  EXPECT_TRUE(j["output_fields"]["container.name"].is_null());
  EXPECT_EQ(j["output_fields"]["evt.failed"], false);
  EXPECT_EQ(j["tags"], nlohmann::json({"filesystem", "mitre_credential_access"}));
  EXPECT_EQ(j.size(), 8u);
}

TEST(AlertFormat, JsonCanLeaveOutOutputAndTags) {
  auto j = nlohmann::json::parse(format_alert(sample(), {.json = true, .include_output = false, .include_tags = false}));
  EXPECT_FALSE(j.contains("output"));
  EXPECT_FALSE(j.contains("tags"));
  EXPECT_TRUE(j.contains("output_fields"));
}

TEST(AlertFormat, JsonSurvivesInvalidUtf8) {
  Alert a = sample();
  a.output = std::string("proc=\xff\xfe");
  auto line = format_alert(a, {.json = true});
  EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

TEST(AlertFormat, TextIsTimePriorityMessage) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(format_alert(sample(), {}), "11:56:58.123456789: Warning file=/etc/shadow proc=cat");
  EXPECT_EQ(format_alert(sample(), {.iso_time = true}),
            "2025-11-29T11:56:58.123456789+0000: Warning file=/etc/shadow proc=cat");
}

// time_format_iso_8601 in JSON, as Falco: the output line carries the ISO
// time, output_fields name it evt.time.iso8601; `time` keeps its Z form.
TEST(AlertFormat, JsonWithIsoTimeIsFalcos) {
  auto j = nlohmann::json::parse(format_alert(sample(), {.json = true, .iso_time = true}));
  EXPECT_EQ(j["time"], "2025-11-29T11:56:58.123456789Z");
  EXPECT_EQ(j["output"], "2025-11-29T11:56:58.123456789+0000: Warning file=/etc/shadow proc=cat");
  EXPECT_EQ(j["output_fields"]["evt.time.iso8601"], 1764417418123456789ull);
  EXPECT_FALSE(j["output_fields"].contains("evt.time"));
}

}  // namespace
}  // namespace kestrel::engine
