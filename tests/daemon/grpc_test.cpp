// The gRPC outputs service with a C++ client built from our .proto files:
// `get` and `version` against a server fed directly, and `sub` against the
// real collector replaying a capture (-e, in-process).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "app/cli.h"
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

TEST(GrpcService, GetReturnsWhatWasRaisedSinceTheLastGet) {
  auto hub = std::make_shared<engine::AlertHub>();
  const std::string address = socket_address("get");
  auto server = engine::start_grpc_server({.bind_address = address, .version = "1.2.3-rc1+g42"}, hub);
  ASSERT_TRUE(server.ok()) << server.status().to_string();
  hub->publish(alert(1, engine::Priority::kWarning));
  hub->publish(alert(2, engine::Priority::kEmergency));

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = falco::outputs::service::NewStub(channel);
  auto read_all = [&] {
    grpc::ClientContext ctx;
    falco::outputs::request req;
    auto reader = stub->get(&ctx, req);
    std::vector<falco::outputs::response> out;
    for (falco::outputs::response r; reader->Read(&r);) out.push_back(r);
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  };
  auto got = read_all();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].rule(), "rule 1");
  EXPECT_EQ(got[0].priority(), falco::schema::WARNING);
  EXPECT_EQ(got[0].time().seconds(), 1764417418);
  EXPECT_EQ(got[0].time().nanos(), 1);
  EXPECT_EQ(got[0].output(), "out 1");
  EXPECT_EQ(got[0].hostname(), "h");
  EXPECT_EQ(got[0].source(), "syscall");
  EXPECT_EQ(got[0].source_deprecated(), falco::schema::SYSCALL);
  EXPECT_EQ(got[0].output_fields().at("proc.name"), "cat");
  EXPECT_EQ(got[0].output_fields().at("proc.pid"), "7");
  EXPECT_EQ(got[0].output_fields().at("fd.name"), "<NA>");
  ASSERT_EQ(got[0].tags_size(), 2);
  EXPECT_EQ(got[0].tags(1), "b");
  EXPECT_EQ(got[1].priority(), falco::schema::EMERGENCY);
  EXPECT_TRUE(read_all().empty());  // taken by the first get

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
  (*server)->stop(std::chrono::milliseconds(500));
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
  EXPECT_EQ(got[1].rule(), "Shell Spawned By Network Service");
  EXPECT_EQ(got[1].priority(), falco::schema::CRITICAL);
}

}  // namespace
}  // namespace kestrel
