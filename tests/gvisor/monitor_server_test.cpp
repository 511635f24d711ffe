// MonitorServer against hostile peers, driven by hand (this test calls
// poll_once itself and plays every client): connections that never send a
// handshake are closed at the deadline, one process cannot hold more than
// max_connections_per_peer, the total limit refuses with a count, and each
// refusal names the process. Also PeerReport's lines and their rate limit.
#include "gvisor/monitor_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gvisor/peer_report.h"
#include "gvisor/wire.h"
#include "seqpacket_client.h"

namespace kestrel::gvisor {
namespace {

using namespace std::chrono_literals;

using kestrel::testing::connect_to;

// True when the server closed `fd` (recv returns 0); false if it is still
// open (nothing to read within the timeout).
bool closed_by_server(int fd) {
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  uint8_t b[64];
  return recv(fd, b, sizeof b, 0) == 0;
}

class MonitorServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kestrel-monsrv-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.socket_path = dir_ + "/gvisor.sock";
  }
  void TearDown() override {
    for (int fd : clients_) close(fd);
    if (server_) server_->close();
    std::filesystem::remove_all(dir_);
  }
  void start() {
    server_ = std::make_unique<MonitorServer>(options_);
    Status s = server_->open();
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  int client() {
    int fd = connect_to(options_.socket_path);
    if (fd >= 0) clients_.push_back(fd);
    return fd;
  }
  // Polls until nothing is left to accept (a few rounds of short waits).
  void drain() {
    for (int i = 0; i < 5; ++i) server_->poll_once(20, decoder_, out_);
  }

  std::string dir_;
  ServerOptions options_;
  std::unique_ptr<MonitorServer> server_;
  MessageDecoder decoder_;
  RecordArena out_;
  std::vector<int> clients_;
};

TEST_F(MonitorServerTest, AConnectionWithoutHandshakeIsClosedAtTheDeadline) {
  options_.handshake_timeout = 300ms;
  start();
  int idle = client(), real = client();
  ASSERT_GE(idle, 0);
  ASSERT_GE(real, 0);
  drain();
  ASSERT_EQ(server_->open_connections(), 2u);
  auto hs = encode_handshake(1);
  ASSERT_EQ(send(real, hs.data(), hs.size(), 0), ssize_t(hs.size()));
  drain();
  uint8_t reply[64];
  ASSERT_GT(recv(real, reply, sizeof reply, 0), 0);
  // One long wait: poll_once must wake by itself for the deadline (nothing
  // else happens on the socket), close the idle connection and count it.
  auto before = std::chrono::steady_clock::now();
  while (server_->counters().handshake_timeouts == 0 && std::chrono::steady_clock::now() - before < 20s)
    server_->poll_once(10000, decoder_, out_);
  EXPECT_EQ(server_->counters().handshake_timeouts, 1u);
  EXPECT_TRUE(closed_by_server(idle));
  EXPECT_FALSE(closed_by_server(real));  // the handshake was in time: no deadline for it
  EXPECT_EQ(server_->open_connections(), 1u);
  // Only counted, not listed as a sandbox; the real one is listed, open.
  auto sb = server_->sandbox_stats();
  ASSERT_EQ(sb.size(), 1u);
  EXPECT_TRUE(sb[0].open);
  EXPECT_EQ(sb[0].peer.pid, getpid());
}

TEST_F(MonitorServerTest, OneProcessGetsAtMostItsShareAndTheRefusalNamesIt) {
  options_.max_connections_per_peer = 3;
  start();
  for (int i = 0; i < 10; ++i) ASSERT_GE(client(), 0);
  drain();
  EXPECT_EQ(server_->open_connections(), 3u);
  EXPECT_EQ(server_->counters().refused_per_peer, 7u);
  EXPECT_EQ(server_->counters().refused_max_connections, 0u);
  for (size_t i = 0; i < clients_.size(); ++i) EXPECT_EQ(closed_by_server(clients_[i]), i >= 3) << i;
  auto refused = server_->take_refusals();
  ASSERT_EQ(refused.size(), 1u);  // one line's worth: same pid, same reason
  EXPECT_EQ(refused[0].peer.pid, getpid());
  EXPECT_EQ(refused[0].peer.uid, getuid());
  EXPECT_EQ(refused[0].reason, "per_peer");
  EXPECT_EQ(refused[0].count, 7u);
  EXPECT_TRUE(server_->take_refusals().empty());

  // Another process still gets in (and completes its handshake) while this
  // one is at its limit.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int fd = connect_to(options_.socket_path);
    auto hs = encode_handshake(1);
    if (fd < 0 || send(fd, hs.data(), hs.size(), 0) != ssize_t(hs.size())) _exit(2);
    uint8_t reply[64];
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    _exit(n > 0 && parse_handshake({reply, size_t(n)}).ok() ? 0 : 1);
  }
  int status = -1;
  for (int i = 0; i < 500 && waitpid(child, &status, WNOHANG) == 0; ++i) server_->poll_once(20, decoder_, out_);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // Closing one of ours frees its slot for us.
  close(clients_[0]);
  clients_.erase(clients_.begin());
  drain();
  ASSERT_GE(client(), 0);
  drain();
  EXPECT_FALSE(closed_by_server(clients_.back()));
  EXPECT_EQ(server_->counters().refused_per_peer, 7u);
}

TEST_F(MonitorServerTest, TheTotalLimitRefusesWithACount) {
  options_.max_connections = 2;
  options_.max_connections_per_peer = 100;
  start();
  for (int i = 0; i < 4; ++i) ASSERT_GE(client(), 0);
  drain();
  EXPECT_EQ(server_->open_connections(), 2u);
  EXPECT_EQ(server_->counters().refused_max_connections, 2u);
  EXPECT_EQ(server_->counters().accepted, 2u);
  auto refused = server_->take_refusals();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].reason, "max_connections");
  EXPECT_EQ(refused[0].count, 2u);
}

// A sandbox's counters stay in the totals after it closes, even when more
// closed connections than the listed bound came after it.
TEST_F(MonitorServerTest, TotalsKeepWhatClosedConnectionsCounted) {
  options_.max_connections_per_peer = 1000;
  start();
  int s = client();
  auto hs = encode_handshake(1);
  ASSERT_EQ(send(s, hs.data(), hs.size(), 0), ssize_t(hs.size()));
  drain();
  auto pkt = encode_wire_packet(200, 0xffffffffu, {});  // unknown type, forged drop count
  ASSERT_EQ(send(s, pkt.data(), pkt.size(), 0), ssize_t(pkt.size()));
  drain();
  close(s);
  clients_.clear();
  drain();
  for (int round = 0; round < 3; ++round) {  // 300 bad handshakes, more than the list keeps
    for (int i = 0; i < 100; ++i) {
      int fd = client();
      ASSERT_GE(fd, 0);
      uint8_t junk[2000] = {};
      send(fd, junk, sizeof junk, 0);
    }
    drain();
    for (int fd : clients_) close(fd);
    clients_.clear();
    drain();
  }
  SandboxStats t = server_->sandbox_totals();
  EXPECT_EQ(t.sandbox_dropped, kMaxDropsPerPacket);
  EXPECT_EQ(t.drop_claims_clamped, 1u);
  EXPECT_EQ(t.unknown_type, 1u);
}

// Out of fds, accept4 fails while the connection stays queued and the
// listening socket stays readable: the server counts it and rests instead
// of retrying on every poll, then accepts once fds are back.
TEST_F(MonitorServerTest, OutOfFdsTheServerRestsThenAcceptsAgain) {
  start();
  for (int i = 0; i < 3; ++i) ASSERT_GE(client(), 0);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int lowest_free = dup(0);
  ASSERT_GE(lowest_free, 0);
  close(lowest_free);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(lowest_free);  // no new fd can be made
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  const auto first = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) server_->poll_once(50, decoder_, out_);
  const auto elapsed = std::chrono::steady_clock::now() - first;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(server_->open_connections(), 0u);
  EXPECT_GE(server_->counters().accept_failed, 1u);
  // One failure per rest period (1 s), not one per poll.
  EXPECT_LE(server_->counters().accept_failed,
            1u + static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count()));
  for (int i = 0; i < 50 && server_->open_connections() < 3; ++i) server_->poll_once(200, decoder_, out_);
  EXPECT_EQ(server_->open_connections(), 3u);
}

TEST(ProcessCmdline, NamesAProcessBoundedAndPrintable) {
  std::string self = process_cmdline(getpid());
  EXPECT_NE(self.find("gvisor_test"), std::string::npos) << self;
  EXPECT_EQ(process_cmdline(0), "(pid unknown)");
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(process_cmdline(child), "(exited)");
  // A child whose argv holds a newline and a huge argument.
  std::string huge(10000, 'x');
  child = fork();
  if (child == 0) {
    execl("/bin/sh", "/bin/sh", "-c", "sleep 5", "line\nbreak", huge.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string shown;
  for (int i = 0; i < 100; ++i) {
    shown = process_cmdline(child);
    if (shown.starts_with("/bin/sh")) break;
    usleep(20000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(shown.starts_with("/bin/sh -c sleep 5 line?break x")) << shown;
  EXPECT_EQ(shown.size(), kMaxCmdlineShown + 3);
  EXPECT_EQ(shown.find('\n'), std::string::npos);
}

TEST(PeerReport, NamesRefusedPeersAndSandboxDropClaimsAtMostOncePerInterval) {
  std::vector<std::string> lines;
  PeerReport report([&](const std::string& l) { lines.push_back(l); }, std::chrono::seconds(10));
  const auto t0 = std::chrono::steady_clock::now();
  report.add_refusals({{{getpid(), 0}, "per_peer", 1096}});
  SandboxStats sb;
  sb.domain = 4;
  sb.container_id = "abc";
  sb.peer.pid = 77;
  sb.sandbox_dropped = kMaxDropsPerPacket;
  sb.drop_claims_clamped = 1;
  report.flush({sb}, t0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("refused 1096 connection(s) from pid " + std::to_string(getpid())), std::string::npos);
  EXPECT_NE(lines[0].find("gvisor_test"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("sandbox 4 (container abc, connected from pid 77) reports 65536"), std::string::npos)
      << lines[1];
  // More of both within the interval: held back, then reported together.
  report.add_refusals({{{getpid(), 0}, "per_peer", 4}});
  sb.sandbox_dropped += 10;
  report.flush({sb}, t0 + std::chrono::seconds(1));
  EXPECT_EQ(lines.size(), 2u);
  report.flush({sb}, t0 + std::chrono::seconds(11));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[2].find("refused 4 connection(s)"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("(10 new"), std::string::npos) << lines[3];
  // Nothing new: nothing logged.
  report.flush({sb}, t0 + std::chrono::seconds(30));
  EXPECT_EQ(lines.size(), 4u);
}

}  // namespace
}  // namespace kestrel::gvisor
