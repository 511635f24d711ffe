#include "gvisor/pod_init_config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace kestrel::gvisor {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(PodInitConfig, PointsForSelectedTypes) {
  EventTypeSet types;
  types.set(KE_EXECVE).set(KE_OPENAT).set(KE_CONNECT).set(KE_CLONE).set(KE_PROCEXIT).set(KE_LISTEN).set(KE_PREADV);
  auto points = points_for(types);
  EXPECT_TRUE(has(points, "container/start"));
  EXPECT_TRUE(has(points, "sentry/execve"));
  EXPECT_TRUE(has(points, "sentry/clone"));
  EXPECT_TRUE(has(points, "sentry/task_exit"));
  EXPECT_TRUE(has(points, "syscall/openat/exit"));
  EXPECT_TRUE(has(points, "syscall/connect/exit"));
  EXPECT_TRUE(has(points, "syscall/preadv/exit"));
  EXPECT_TRUE(has(points, "syscall/preadv2/exit"));
  EXPECT_TRUE(has(points, "syscall/sysno/50/exit"));  // listen on x86_64: raw point
  EXPECT_FALSE(has(points, "syscall/open/exit"));     // not asked for
  EXPECT_EQ(points.size(), 9u);
}

TEST(PodInitConfig, UnsupportedTypesAreReported) {
  EventTypeSet types;
  types.set(KE_OPENAT2).set(KE_UNLINKAT).set(KE_OPENAT);
  EventTypeSet un = unsupported_types(types);
  EXPECT_TRUE(un.test(KE_OPENAT2));
  EXPECT_TRUE(un.test(KE_UNLINKAT));
  EXPECT_FALSE(un.test(KE_OPENAT));
}

TEST(PodInitConfig, JsonHasSessionPointsAndRemoteSink) {
  EventTypeSet types;
  types.set(KE_OPENAT);
  PodInitConfigOptions opt;
  opt.endpoint = "/tmp/k.sock";
  opt.ignore_setup_error = false;
  auto doc = nlohmann::json::parse(pod_init_config_json(types, opt));
  const auto& session = doc.at("trace_session");
  EXPECT_EQ(session.at("name"), "Default");
  ASSERT_EQ(session.at("points").size(), 2u);
  bool saw_openat = false;
  for (const auto& p : session.at("points")) {
    auto fields = p.at("context_fields").get<std::vector<std::string>>();
    EXPECT_TRUE(has(fields, "container_id"));
    EXPECT_TRUE(has(fields, "thread_id"));
    EXPECT_TRUE(has(fields, "process_name"));
    EXPECT_EQ(fields.size(), 9u);
    saw_openat = saw_openat || p.at("name") == "syscall/openat/exit";
  }
  EXPECT_TRUE(saw_openat);
  ASSERT_EQ(session.at("sinks").size(), 1u);
  const auto& sink = session.at("sinks")[0];
  EXPECT_EQ(sink.at("name"), "remote");
  EXPECT_EQ(sink.at("config").at("endpoint"), "/tmp/k.sock");
  EXPECT_EQ(sink.at("ignore_setup_error"), false);
}

}  // namespace
}  // namespace kestrel::gvisor
