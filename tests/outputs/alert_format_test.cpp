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

// json_include_message_property: the rule's output alone, under "message";
// json_include_output_fields_property=false: no output_fields at all.
TEST(AlertFormat, JsonMessageAndOutputFieldsFollowTheirOptions) {
  auto j = nlohmann::json::parse(format_alert(sample(), {.json = true, .include_message = true}));
  EXPECT_EQ(j["message"], "file=/etc/shadow proc=cat");
  EXPECT_EQ(j.size(), 9u);
  auto k = nlohmann::json::parse(format_alert(sample(), {.json = true, .include_output_fields = false}));
  EXPECT_FALSE(k.contains("output_fields"));
  EXPECT_FALSE(k.contains("message"));  // off by default, as falco.yaml's
  EXPECT_TRUE(k.contains("output"));
}

// Falco's JSON is an nlohmann object: keys sorted, so the line is
// byte-for-byte Falco's for the same alert.
TEST(AlertFormat, JsonBytesAreFalcos) {
  setenv("TZ", "UTC", 1);
  tzset();
  Alert a = sample();
  a.output_fields = {{"proc.name", std::string("cat")}};
  a.tags = {"filesystem"};
  EXPECT_EQ(format_alert(a, {.json = true}),
            R"({"hostname":"host1","output":"11:56:58.123456789: Warning file=/etc/shadow proc=cat",)"
            R"("output_fields":{"evt.time":1764417418123456789,"proc.name":"cat"},"priority":"Warning",)"
            R"("rule":"Read sensitive file","source":"syscall","tags":["filesystem"],)"
            R"("time":"2025-11-29T11:56:58.123456789Z"})");
}

// Internal alerts as Falco's handle_msg shapes them.
TEST(AlertFormat, InternalAlertsAreShapedAsFalcos) {
  setenv("TZ", "UTC", 1);
  tzset();
  Alert a;
  a.time_ns = 1764417418000000005ull;
  a.rule = "Falco internal: syscall event drop";
  a.priority = Priority::kCritical;
  a.source = kInternalSource;
  a.hostname = "host1";
  a.output = "Falco internal: syscall event drop. 3 system calls dropped in last second.";
  a.output_fields = {{"n_evts", uint64_t{100}}, {"n_drops", uint64_t{3}}, {"ebpf_enabled", int64_t{1}},
                     {"engine", std::string("modern_bpf")}};
  a.tags = {"ignored"};
  // Text: the fields after the message, sorted, values as JSON; the clock
  // time even with time_format_iso_8601, as Falco's.
  const std::string text = "11:56:58.000000005: Critical Falco internal: syscall event drop. 3 system calls dropped "
                           "in last second. (ebpf_enabled=1 engine=\"modern_bpf\" n_drops=3 n_evts=100)";
  EXPECT_EQ(format_alert(a, {}), text);
  EXPECT_EQ(format_alert(a, {.iso_time = true}), text);
  EXPECT_EQ(format_alert(a, {.json = true}),
            R"({"hostname":"host1","output":"Falco internal: syscall event drop. 3 system calls dropped in last second.",)"
            R"("output_fields":{"ebpf_enabled":1,"engine":"modern_bpf","n_drops":3,"n_evts":100},)"
            R"("priority":"Critical","rule":"Falco internal: syscall event drop","source":"internal",)"
            R"("time":"2025-11-29T11:56:58.000000005Z"})");
}

}  // namespace
}  // namespace kestrel::engine
