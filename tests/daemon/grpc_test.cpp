// The gRPC outputs service with a C++ client built from our .proto files:
// `get` and `version` against a server fed directly, the one shared queue
// `get` and `sub` drain, and `sub` against the real collector replaying a
// capture (-e, in-process). tests/daemon/node/ checks the wire with a
// client built from Falco's own .proto files.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <sstream>
#include <thread>

#include "app/cli.h"
#include "engine/engine_version.h"
#include "outputs/alert_format.h"
#include "outputs/grpc/grpc_server.h"
#include "outputs/grpc/outputs.grpc.pb.h"
#include "outputs/grpc/version.grpc.pb.h"
#include "tests/daemon/scenario.h"

namespace kestrel {
namespace {

std::string socket_address(const char* tag) {
  return "unix:///tmp/kestrel_grpc_" + std::string(tag) + "_" + std::to_string(getpid()) + ".sock";
}

engine::Alert alert(int n, engine::Priority p) {
  engine::Alert a;
  a.time_ns = 1764417418000000000ull + n;
  a.rule = "rule " + std::to_string(n);
  a.priority = p;
  a.hostname = "h";
  a.output = "out " + std::to_string(n);
  a.output_fields = {{"proc.name", std::string("cat")}, {"proc.pid", int64_t{7}}, {"fd.name", std::monostate{}}};
  a.tags = {"a", "b"};
  return a;
}

engine::HubAlert queued(engine::Alert a) {
  std::string line = engine::format_alert(a, {});
  return {std::move(a), std::move(line), false};
}

std::vector<falco::outputs::response> get_all(falco::outputs::service::Stub& stub) {
  grpc::ClientContext ctx;
  falco::outputs::request req;
  auto reader = stub.get(&ctx, req);
  std::vector<falco::outputs::response> out;
  for (falco::outputs::response r; reader->Read(&r);) out.push_back(r);
  EXPECT_TRUE(reader->Finish().ok());
  return out;
}

TEST(GrpcService, GetReturnsWhatWasRaisedSinceTheLastGet) {
  auto hub = std::make_shared<engine::AlertHub>();
  const std::string address = socket_address("get");
  auto server = engine::start_grpc_server({.bind_address = address, .version = "1.2.3-rc1+g42"}, hub);
  ASSERT_TRUE(server.ok()) << server.status().to_string();
  setenv("TZ", "UTC", 1);
  tzset();
  hub->publish(queued(alert(1, engine::Priority::kWarning)));
  auto plugin_alert = alert(2, engine::Priority::kEmergency);
  plugin_alert.source = "k8s_audit";
  hub->publish(queued(plugin_alert));
  plugin_alert.source = "cloudtrail";
  hub->publish(queued(plugin_alert));

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = falco::outputs::service::NewStub(channel);
  auto got = get_all(*stub);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].rule(), "rule 1");
  EXPECT_EQ(got[0].priority(), falco::schema::WARNING);
  EXPECT_EQ(got[0].time().seconds(), 1764417418);
  EXPECT_EQ(got[0].time().nanos(), 1);
  // Falco's `output`: the alert line its outputs print.
  EXPECT_EQ(got[0].output(), "11:56:58.000000001: Warning out 1");
  EXPECT_EQ(got[0].output_fields().at("evt.time"), "11:56:58.000000001");
  EXPECT_EQ(got[0].hostname(), "h");
  EXPECT_EQ(got[0].source(), "syscall");
  EXPECT_EQ(got[0].source_deprecated(), falco::schema::SYSCALL);
  EXPECT_EQ(got[0].output_fields().at("proc.name"), "cat");
  EXPECT_EQ(got[0].output_fields().at("proc.pid"), "7");
  EXPECT_EQ(got[0].output_fields().at("fd.name"), "<NA>");
  ASSERT_EQ(got[0].tags_size(), 2);
  EXPECT_EQ(got[0].tags(1), "b");
  EXPECT_EQ(got[1].priority(), falco::schema::EMERGENCY);
  EXPECT_EQ(got[1].source_deprecated(), falco::schema::K8S_AUDIT);
  // A plugin's source: PLUGIN (3), its name in `source`.
  EXPECT_EQ(got[2].source_deprecated(), falco::schema::PLUGIN);
  EXPECT_EQ(static_cast<int>(got[2].source_deprecated()), 3);
  EXPECT_EQ(got[2].source(), "cloudtrail");
  EXPECT_TRUE(get_all(*stub).empty());  // taken by the first get

  auto version_stub = falco::version::service::NewStub(channel);
  grpc::ClientContext ctx;
  falco::version::response v;
  ASSERT_TRUE(version_stub->version(&ctx, falco::version::request(), &v).ok());
  EXPECT_EQ(v.version(), "1.2.3-rc1+g42");
  EXPECT_EQ(v.major(), 1u);
  EXPECT_EQ(v.minor(), 2u);
  EXPECT_EQ(v.patch(), 3u);
  EXPECT_EQ(v.prerelease(), "rc1");
  EXPECT_EQ(v.build(), "g42");
  EXPECT_EQ(v.engine_version(), engine::kEngineVersion.to_string());
  EXPECT_EQ(v.engine_minor(), engine::kEngineVersion.minor);
  (*server)->stop(std::chrono::milliseconds(500));
}

// One queue, as Falco's: an alert goes to one consumer. A `sub` stream
// and `get` split what is published; nothing is delivered twice or lost.
TEST(GrpcService, SubAndGetDrainOneSharedQueue) {
  auto hub = std::make_shared<engine::AlertHub>();
  const std::string address = socket_address("shared");
  auto server = engine::start_grpc_server({.bind_address = address}, hub);
  ASSERT_TRUE(server.ok()) << server.status().to_string();
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = falco::outputs::service::NewStub(channel);
  grpc::ClientContext sub_ctx;
  auto stream = stub->sub(&sub_ctx);
  ASSERT_TRUE(hub->wait_for_subscribers(1, std::chrono::seconds(10)));
  constexpr int kAlerts = 40;
  for (int i = 0; i < kAlerts / 2; ++i) hub->publish(queued(alert(i, engine::Priority::kNotice)));
  std::set<std::string> seen;
  falco::outputs::response r;
  ASSERT_TRUE(stream->Read(&r));  // the stream is taking from the queue
  seen.insert(r.rule());
  for (int i = kAlerts / 2; i < kAlerts; ++i) hub->publish(queued(alert(i, engine::Priority::kNotice)));
  // `get` returns what the stream has not taken, never what it has.
  for (const auto& g : get_all(*stub)) EXPECT_TRUE(seen.insert(g.rule()).second) << g.rule() << " delivered twice";
  // The rest reaches the stream; close() ends it once the queue is empty.
  hub->close();
  while (stream->Read(&r)) EXPECT_TRUE(seen.insert(r.rule()).second) << r.rule() << " delivered twice";
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kAlerts));
  EXPECT_EQ(hub->stats().published, static_cast<uint64_t>(kAlerts));
  EXPECT_EQ(hub->stats().queue_drops, 0u);
  (*server)->stop(std::chrono::milliseconds(500));
}

TEST(GrpcService, AFullQueueDropsTheOldestAndCountsIt) {
  engine::AlertHub hub({.capacity = 2});
  for (int i = 0; i < 3; ++i) hub.publish(queued(alert(i, engine::Priority::kNotice)));
  auto all = hub.take_all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].alert.rule, "rule 1");
  EXPECT_EQ(hub.stats().queue_drops, 1u);
}

TEST(GrpcService, TcpWithoutTlsIsRefused) {
  auto server = engine::start_grpc_server({.bind_address = "127.0.0.1:0"}, std::make_shared<engine::AlertHub>());
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("TLS"), std::string::npos);
}

TEST(GrpcService, SubscriberReceivesTheAlertsOfAReplayedCapture) {
  const std::string capture = testing::write_alert_scenario("grpc_sub");
  const std::string address = socket_address("sub");
  std::string err_text;
  int code = -1;
  std::thread collector([&] {
    std::vector<std::string> args = {"kestrel", "-e", capture, "-o", "stdout_output.enabled=false",
                                     "-o", "grpc.enabled=true", "-o", "grpc_output.enabled=true",
                                     "-o", "grpc.bind_address=" + address, "-o", "outputs.grpc.wait_subscribers=1",
                                     "-o", "outputs.grpc.wait_timeout=20s"};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    code = run_kestrel(static_cast<int>(argv.size()), argv.data(), out, err);
    err_text = err.str();
  });
  // Connect once the socket exists; the collector waits for us.
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  ASSERT_TRUE(channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20)));
  auto stub = falco::outputs::service::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->sub(&ctx);
  std::vector<falco::outputs::response> got;
  for (falco::outputs::response r; stream->Read(&r);) got.push_back(r);
  grpc::Status status = stream->Finish();
  collector.join();
  unlink(capture.c_str());
  ASSERT_EQ(code, kExitOk) << err_text;
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.size(), static_cast<size_t>(testing::kScenarioAlerts)) << err_text;
  EXPECT_EQ(got[0].rule(), "Sensitive File Read By Untrusted Program");
  EXPECT_EQ(got[0].priority(), falco::schema::WARNING);
  EXPECT_EQ(got[0].output_fields().at("fd.name"), "/etc/shadow");
  EXPECT_EQ(got[0].output().find(": Warning "), 18u) << got[0].output();
  EXPECT_EQ(got[1].rule(), "Shell Spawned By Network Service");
  EXPECT_EQ(got[1].priority(), falco::schema::CRITICAL);
}

}  // namespace
}  // namespace kestrel
