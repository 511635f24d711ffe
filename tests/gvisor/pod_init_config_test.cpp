#include "gvisor/pod_init_config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "gvisor/runsc_output.h"

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
  EXPECT_FALSE(sink.at("config").contains("retries"));  // runsc's default: drop at once
}

TEST(PodInitConfig, SinkRetriesAndBackoffAreRunscKeys) {
  EventTypeSet types;
  types.set(KE_OPENAT);
  PodInitConfigOptions opt;
  opt.retries = 3;
  opt.backoff = "50us";
  opt.backoff_max = "2ms";
  auto sink = nlohmann::json::parse(pod_init_config_json(types, opt)).at("trace_session").at("sinks")[0];
  EXPECT_EQ(sink.at("config").at("retries"), 3);
  EXPECT_EQ(sink.at("config").at("backoff"), "50us");
  EXPECT_EQ(sink.at("config").at("backoff_max"), "2ms");
}

TEST(PodInitConfig, NewerRunscGetsSchematizedMmapAndPtrace) {
  EventTypeSet types;
  types.set(KE_MMAP).set(KE_PTRACE).set(KE_LISTEN).set(KE_OPENAT);
  // Without metadata (runsc 0.0~20221219): raw points on x86_64.
  auto old = points_for(types);
  EXPECT_TRUE(has(old, "syscall/sysno/9/exit"));
  EXPECT_TRUE(has(old, "syscall/sysno/101/exit"));
  EXPECT_FALSE(has(old, "syscall/mmap/exit"));
  // A runsc that lists syscall/mmap and syscall/ptrace gets those instead.
  std::set<std::string> newer = {"container/start", "syscall/openat/exit", "syscall/mmap/exit",
                                 "syscall/ptrace/exit", "syscall/sysno/50/exit", "syscall/sysno/9/exit",
                                 "syscall/sysno/101/exit"};
  auto pts = points_for(types, newer);
  EXPECT_TRUE(has(pts, "syscall/mmap/exit"));
  EXPECT_TRUE(has(pts, "syscall/ptrace/exit"));
  EXPECT_FALSE(has(pts, "syscall/sysno/9/exit"));
  EXPECT_TRUE(has(pts, "syscall/sysno/50/exit"));  // listen: this runsc has no listen point
  EXPECT_EQ(pts.size(), 5u);
  // One that lists syscall/listen (newer gVisor) gets it, with the address.
  newer.insert("syscall/listen/exit");
  auto with_listen = points_for(types, newer);
  EXPECT_TRUE(has(with_listen, "syscall/listen/exit"));
  EXPECT_FALSE(has(with_listen, "syscall/sysno/50/exit"));
}

TEST(PodInitConfig, NeverNamesAPointTheRunscDoesNotList) {
  EventTypeSet types;
  types.set(KE_OPENAT).set(KE_CONNECT).set(KE_EXECVE);
  std::set<std::string> known = {"container/start", "syscall/openat/exit"};
  auto pts = points_for(types, known);
  EXPECT_EQ(pts, (std::vector<std::string>{"container/start", "syscall/openat/exit"}));
}

TEST(PodInitConfig, MetadataListingIsParsed) {
  auto names = parse_trace_metadata(
      "POINTS (3)\n"
      "Name: container/start, optional fields: [env], context fields: [time|thread_id]\n"
      "Name: syscall/sysno/9/exit, optional fields: [], context fields: [time]\n"
      "Name: sentry/mmap, optional fields: [], context fields: []\n"
      "\nSINKS (2)\nName: null\nName: remote\n");
  EXPECT_EQ(names, (std::set<std::string>{"container/start", "sentry/mmap", "syscall/sysno/9/exit"}));
}

// The runsc installed here (Debian 0.0~20221219): everything the source can
// use must be accepted by it, and it has none of the newer points.
TEST(PodInitConfig, InstalledRunscAcceptsEveryPointWeName) {
  auto known = installed_runsc_points("/usr/bin/runsc");
  ASSERT_TRUE(known.ok()) << known.status().to_string() << " (the Debian package runsc is required)";
  EXPECT_GT(known->size(), 100u);
  EXPECT_TRUE(known->count("syscall/openat/exit"));
  EventTypeSet all;
  all.set();
  all &= ~unsupported_types(all);
  all.reset(KE_NONE);
  auto limited = points_for(all, *known);
  EXPECT_EQ(limited, points_for(all)) << "a point runsc 0.0~20221219 lacks is named by default";
  for (const auto& p : limited) EXPECT_TRUE(known->count(p)) << p;
}

// The one optional field, container/start's env, follows the capture
// request: asked for only when the rules read the process environment.
TEST(PodInitConfig, ContainerEnvFollowsTheRequestedProcessParams) {
  auto container_start = [](const PodInitConfigOptions& options) {
    EventTypeSet types;
    types.set(KE_EXECVE);
    auto doc = nlohmann::json::parse(pod_init_config_json(types, options));
    for (const auto& p : doc["trace_session"]["points"])
      if (p["name"] == "container/start") return p;
    return nlohmann::json();
  };
  PodInitConfigOptions without;
  request_fields(without, ProcessParamSet{.env = false, .cwd = true, .cgroups = false, .exe_sha256 = false});
  EXPECT_FALSE(container_start(without).contains("optional_fields"));
  PodInitConfigOptions with;
  request_fields(with, ProcessParamSet{.env = true, .cwd = true, .cgroups = false, .exe_sha256 = false});
  EXPECT_EQ(container_start(with)["optional_fields"], nlohmann::json::array({"env"}));
  // Every context field stays: the state tables read each.
  EXPECT_EQ(container_start(without)["context_fields"].size(), context_fields().size());
}

// binary_info (the Sentry reads each executable whole for its digest) is
// asked of sentry/execve only when a rule reads proc.exe_sha256.
TEST(PodInitConfig, ExecveBinaryInfoOnlyWhenTheDigestIsRead) {
  auto execve_point = [](const PodInitConfigOptions& options) {
    EventTypeSet types;
    types.set(KE_EXECVE);
    auto doc = nlohmann::json::parse(pod_init_config_json(types, options));
    for (const auto& p : doc["trace_session"]["points"])
      if (p["name"] == "sentry/execve") return p;
    return nlohmann::json();
  };
  PodInitConfigOptions without;
  request_fields(without, ProcessParamSet{.env = true, .cwd = true, .cgroups = true, .exe_sha256 = false});
  ASSERT_FALSE(execve_point(without).is_null());
  EXPECT_FALSE(execve_point(without).contains("optional_fields"));
  PodInitConfigOptions with;
  request_fields(with, ProcessParamSet{.env = false, .cwd = true, .cgroups = false, .exe_sha256 = true});
  EXPECT_EQ(execve_point(with)["optional_fields"], nlohmann::json::array({"binary_info"}));
}

}  // namespace
}  // namespace kestrel::gvisor
