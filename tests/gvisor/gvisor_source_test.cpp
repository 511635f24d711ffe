// GvisorSource over its real socket, with this test playing the sandbox:
// handshake rules, malformed-packet accounting and the close threshold,
// drop counters, and per-connection domains. (runsc itself: runsc_live_test.)
#include "gvisor/gvisor_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "gvisor/proto/syscall.pb.h"
#include "gvisor/wire.h"
#include "live_collect.h"

namespace kestrel::gvisor {
namespace {

class FakeSandbox {
 public:
  explicit FakeSandbox(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~FakeSandbox() { close(fd_); }
  bool connected() const { return connected_; }
  void send_bytes(const std::vector<uint8_t>& b) { ASSERT_EQ(send(fd_, b.data(), b.size(), 0), ssize_t(b.size())); }
  // Sends Handshake{version}; returns the version replied, or -1 when the
  // server closed the connection instead.
  int handshake(uint32_t version) {
    send_bytes(encode_handshake(version));
    uint8_t buf[64];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    auto v = parse_handshake({buf, size_t(n)});
    return v.ok() ? int(*v) : -1;
  }
  void send_close(int fd, int tid, uint32_t dropped = 0) {
    syscall::Close m;
    m.set_fd(fd);
    m.mutable_exit();
    m.mutable_context_data()->set_thread_id(tid);
    m.mutable_context_data()->set_thread_group_id(tid);
    m.mutable_context_data()->set_container_id("fake");
    std::string p = m.SerializeAsString();
    send_bytes(encode_wire_packet(8, dropped, {reinterpret_cast<const uint8_t*>(p.data()), p.size()}));
  }
  // True once the server has closed its end.
  bool server_closed() {
    uint8_t b;
    return recv(fd_, &b, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class GvisorSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kestrel-gvsrc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_.server.socket_path = dir_ + "/sub/gvisor.sock";
    config_.server.connection.max_malformed = 3;
  }
  void TearDown() override {
    if (src_) src_->close();
    std::filesystem::remove_all(dir_);
  }
  void start() {
    src_ = make_gvisor_source(config_);
    Status s = src_->open();
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  std::string dir_;
  GvisorSourceConfig config_;
  std::unique_ptr<GvisorSource> src_;
};

TEST_F(GvisorSourceTest, SocketIsSeqpacketWithMode0660) {
  start();
  struct stat st {};
  ASSERT_EQ(stat(config_.server.socket_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  src_->close();
  EXPECT_NE(access(config_.server.socket_path.c_str(), F_OK), 0);  // removed on close
}

TEST_F(GvisorSourceTest, RefusesAPathThatIsNotASocket) {
  std::filesystem::create_directories(dir_ + "/sub");
  { std::ofstream(config_.server.socket_path) << "precious"; }
  src_ = make_gvisor_source(config_);
  EXPECT_FALSE(src_->open().ok());
}

TEST_F(GvisorSourceTest, HandshakeVersionsAndDomainsPerConnection) {
  start();
  FakeSandbox old(config_.server.socket_path);
  ASSERT_TRUE(old.connected());
  EXPECT_EQ(old.handshake(0), -1);  // below the minimum: refused
  FakeSandbox a(config_.server.socket_path), b(config_.server.socket_path);
  EXPECT_EQ(a.handshake(1), int(kWireVersion));
  EXPECT_EQ(b.handshake(2), int(kWireVersion));  // newer sandboxes get our version
  a.send_close(3, 1);
  b.send_close(3, 1);
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] { return got.size() >= 4; }, std::chrono::seconds(10));
  std::set<DomainId> close_domains;
  for (const auto& c : got) {
    EXPECT_GT(c.domain, 0u);
    EXPECT_EQ(c.container_id, "fake");
    if (c.view().type() == KE_CLOSE) close_domains.insert(c.domain);
  }
  EXPECT_EQ(close_domains.size(), 2u);  // same tid 1, two domains
}

TEST_F(GvisorSourceTest, MalformedPacketsAreCountedThenTheConnectionIsClosed) {
  start();
  FakeSandbox s(config_.server.socket_path);
  ASSERT_EQ(s.handshake(1), 1);
  s.send_close(4, 7, /*dropped=*/2);
  s.send_bytes({1, 2, 3});                                    // shorter than a header
  s.send_bytes(encode_wire_packet(200, 5, {}));               // unknown type, 3 more drops
  s.send_bytes({8, 0, 7, 0, 5, 0, 0, 0, 0x0a, 0xff, 0x7f});   // truncated protobuf
  s.send_bytes({0x20, 0, 7, 0, 5, 0, 0, 0});                  // header size beyond packet
  EXPECT_TRUE(s.server_closed());  // third malformed packet reached max_malformed=3
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [] { return true; }, std::chrono::seconds(3));
  SourceStats st;
  for (int i = 0; i < 50; ++i) {  // the parser publishes stats asynchronously
    st = src_->stats();
    if (st.drops["malformed"] == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(st.drops["malformed"], 3u);
  EXPECT_EQ(st.drops["unknown_type"], 1u);
  EXPECT_EQ(st.drops["sandbox_reported"], 5u);
  auto sb = src_->sandbox_stats();
  ASSERT_EQ(sb.size(), 1u);
  EXPECT_FALSE(sb[0].open);
  EXPECT_EQ(sb[0].close_reason, "too_many_malformed");
  EXPECT_EQ(sb[0].container_id, "fake");
  int closes = 0;
  for (const auto& c : got) closes += c.view().type() == KE_CLOSE;
  EXPECT_EQ(closes, 1);
}

TEST_F(GvisorSourceTest, OversizedPacketsAreDroppedWhole) {
  config_.server.connection.max_packet = 1024;
  start();
  FakeSandbox s(config_.server.socket_path);
  ASSERT_EQ(s.handshake(1), 1);
  std::vector<uint8_t> big = encode_wire_packet(8, 0, std::vector<uint8_t>(5000, 0));
  s.send_bytes(big);
  s.send_close(5, 9);
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] { return !got.empty(); }, std::chrono::seconds(10));
  SourceStats st;
  for (int i = 0; i < 50 && st.drops["too_large"] == 0; ++i) {
    st = src_->stats();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(st.drops["too_large"], 1u);
  ASSERT_FALSE(got.empty());
}

// One 8-byte packet claiming 0xffffffff drops adds at most the per-packet
// bound, to that sandbox, under a reason the drop alarm leaves alone.
TEST_F(GvisorSourceTest, AForgedDropCountIsClampedAndMarkedUntrusted) {
  start();
  FakeSandbox s(config_.server.socket_path);
  ASSERT_EQ(s.handshake(1), 1);
  s.send_bytes(encode_wire_packet(8, 0xffffffffu, {}));  // a Close with no fields
  std::vector<testing::Collected> got;
  testing::collect(*src_, got, [&] { return !got.empty(); }, std::chrono::seconds(10));
  SourceStats st;
  for (int i = 0; i < 100 && st.drops["sandbox_reported"] == 0; ++i) {
    st = src_->stats();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(st.drops["sandbox_reported"], kMaxDropsPerPacket);
  EXPECT_TRUE(st.untrusted_reasons.contains("sandbox_reported"));
  EXPECT_TRUE(st.untrusted_reasons.contains("malformed"));
  EXPECT_TRUE(st.drops.contains("param_mismatch"));
  EXPECT_EQ(st.drops["param_mismatch"], 0u);
  EXPECT_TRUE(st.untrusted_reasons.contains("param_mismatch"));
  EXPECT_FALSE(st.untrusted_reasons.contains("attach_failed"));
  auto sb = src_->sandbox_stats();
  ASSERT_EQ(sb.size(), 1u);
  EXPECT_EQ(sb[0].sandbox_dropped, kMaxDropsPerPacket);
  EXPECT_EQ(sb[0].drop_claims_clamped, 1u);
  EXPECT_EQ(sb[0].peer.pid, getpid());
}

}  // namespace
}  // namespace kestrel::gvisor
