// The kestrel binary given a sandbox's executable digests (issue 17):
// ExecveInfo.binary_sha256 (field 8), which runsc sends with sentry/execve's
// optional field binary_info in releases that compute it. Debian's runsc
// 0.0~20221219 sends it empty (runsc_live_test checks that <NA> then), so
// this test plays the sandbox over the real socket, with messages built
// from our protos: the digest reaches proc.exe_sha256 as lower-case hex and
// a rule comparing it fires; a child cloned before its own exec inherits
// it; an exec without a digest (binary_sha1 only: carried by nothing) and
// one with a digest of the wrong length read <NA>, the latter counted.
// Needs no root and no runsc.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gvisor/proto/common.pb.h"
#include "gvisor/proto/sentry.pb.h"
#include "gvisor/proto/syscall.pb.h"
#include "gvisor/wire.h"
#include "tests/gvisor/pod_init_workdir.h"
#include "seqpacket_client.h"
#include "tests/support/kestrel_collector.h"

namespace kestrel::gvisor {
namespace {

using namespace std::chrono_literals;
using kestrel::testing::Collector;

// SHA-256("abc"), the FIPS 180-2 example: the digest the fake Sentry sends.
constexpr const char* kAbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string raw_of_hex(const std::string& hex) {
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return raw;
}

std::string rules_text() {
  return std::string(R"(
- rule: Sandbox Exec Of Known Digest
  desc: an executable whose SHA-256 is on a list ran in a sandbox
  condition: evt.type = execve and proc.exe_sha256 = ")") +
         kAbcSha256 + R"("
  output: "known %proc.name sha=%proc.exe_sha256"
  priority: WARNING
- rule: Sandbox Exec
  desc: any other exec in a sandbox (an event raises its first matching rule), with its digest
  condition: evt.type = execve and container.id != host
  output: "exec %proc.name sha=%proc.exe_sha256"
  priority: NOTICE
- rule: Sandbox Passwd Open
  desc: a sandboxed process opened /etc/passwd
  condition: evt.type in (open, openat) and fd.name = /etc/passwd and container.id != host
  output: "open tid=%thread.tid sha=%proc.exe_sha256"
  priority: NOTICE
)";
}

void fill_context(common::ContextData* cd, int tid, int tgid) {
  cd->set_time_ns(1'700'000'000'000'000'000 + tid);
  cd->set_thread_id(tid);
  cd->set_thread_group_id(tgid);
  cd->set_thread_start_time_ns(1'600'000'000'000'000'000);
  cd->set_thread_group_start_time_ns(1'600'000'000'000'000'000);
  cd->set_container_id("digest-box");
  cd->set_cwd("/");
  cd->set_process_name("sh");
}

class ExeSha256Binary : public ::testing::Test {
 protected:
  void SetUp() override { work_.create("gvsha", rules_text()); }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
    if (c_.pid > 0) {
      kill(c_.pid, SIGKILL);
      waitpid(c_.pid, nullptr, 0);
    }
    work_.remove();
  }
  void send_message(common::MessageType type, const google::protobuf::Message& m) {
    std::string p = m.SerializeAsString();
    auto pkt = encode_wire_packet(static_cast<uint16_t>(type), 0, {reinterpret_cast<const uint8_t*>(p.data()), p.size()});
    ASSERT_EQ(send(fd_, pkt.data(), pkt.size(), 0), ssize_t(pkt.size()));
  }
  void send_exec(int tid, const std::string& path, const std::string& sha256, const std::string& sha1 = "") {
    sentry::ExecveInfo m;
    fill_context(m.mutable_context_data(), tid, tid);
    m.set_binary_path(path);
    m.add_argv(path);
    if (!sha256.empty()) m.set_binary_sha256(sha256);
    if (!sha1.empty()) m.set_binary_sha1(sha1);
    send_message(common::MESSAGE_SENTRY_EXEC, m);
  }
  // The output of the first alert whose output contains `prefix`, or "".
  std::string alert_starting(const std::string& prefix) {
    for (const auto& a : c_.alerts())
      if (a["output"].get<std::string>().find(prefix) != std::string::npos) return a["output"];
    return "";
  }
  bool wait_for_alert(const std::string& prefix) {
    auto end = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < end) {
      if (!alert_starting(prefix).empty()) return true;
      if (c_.pid > 0 && waitpid(c_.pid, nullptr, WNOHANG) == c_.pid) {
        c_.pid = -1;
        return false;
      }
      c_.pump(100);
    }
    return false;
  }

  kestrel::testing::PodInitWorkdir work_;
  Collector c_;
  int fd_ = -1;
};

TEST_F(ExeSha256Binary, ASandboxDigestReachesProcExeSha256AndItsRule) {
  c_.start({KESTREL_BINARY, "-r", work_.rules, "-o", "json_output=true", "-o", "engine.kind=gvisor", "-o",
            "engine.gvisor.config=" + work_.config, "-M", "120", "--stats"});
  ASSERT_TRUE(c_.wait_for_stderr("kestrel: capturing", 60s)) << c_.err;
  fd_ = testing::connect_to(work_.socket);
  ASSERT_GE(fd_, 0);
  auto hs = encode_handshake(1);
  ASSERT_EQ(send(fd_, hs.data(), hs.size(), 0), ssize_t(hs.size()));
  uint8_t reply[64];
  ASSERT_GT(recv(fd_, reply, sizeof reply, 0), 0);

  send_exec(30, "/usr/bin/hashed", raw_of_hex(kAbcSha256));
  send_exec(31, "/usr/bin/nohash", "", std::string(20, '\x5a'));  // binary_sha1 only
  send_exec(32, "/usr/bin/badlen", std::string(20, '\x11'));      // not a SHA-256
  // 30 forks 33, which opens /etc/passwd before any exec of its own.
  sentry::CloneInfo clone;
  fill_context(clone.mutable_context_data(), 30, 30);
  clone.set_created_thread_id(33);
  clone.set_created_thread_group_id(33);
  clone.set_created_thread_start_time_ns(1'650'000'000'000'000'000);
  clone.set_flags(0x11);  // SIGCHLD, no CLONE_THREAD
  send_message(common::MESSAGE_SENTRY_CLONE, clone);
  syscall::Open open;
  fill_context(open.mutable_context_data(), 33, 33);
  open.mutable_exit()->set_result(3);
  open.set_sysno(257);  // openat on x86_64
  open.set_fd(-100);
  open.set_pathname("/etc/passwd");
  send_message(common::MESSAGE_SYSCALL_OPEN, open);

  ASSERT_TRUE(wait_for_alert("open tid=33")) << c_.out << c_.err;
  ASSERT_TRUE(wait_for_alert("exec badlen")) << c_.out << c_.err;
  size_t known = 0;
  for (const auto& a : c_.alerts()) known += a["rule"] == "Sandbox Exec Of Known Digest";
  EXPECT_EQ(known, 1u) << c_.out;
  EXPECT_NE(alert_starting("known hashed sha=" + std::string(kAbcSha256)), "") << c_.out;
  EXPECT_NE(alert_starting("exec nohash sha=<NA>"), "") << c_.out;
  EXPECT_NE(alert_starting("exec badlen sha=<NA>"), "") << c_.out;
  EXPECT_NE(alert_starting("open tid=33 sha=" + std::string(kAbcSha256)), "") << c_.out;

  EXPECT_EQ(c_.stop(), 0) << c_.err;
  EXPECT_NE(c_.err.find("   bad_exe_sha256: 1\n"), std::string::npos) << c_.err;
  EXPECT_EQ(c_.err.find("param_mismatch) "), std::string::npos) << c_.err;
}

}  // namespace
}  // namespace kestrel::gvisor
