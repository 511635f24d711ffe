// The decoder on packets built from gVisor's own current point definitions
// (reference_protos.h: DynamicMessage over ../shared/reference/
// gvisor-seccheck), for what no runsc on this machine sends: listen (37),
// the context's parent and exec-session mark, ExecveInfo's binary facts.
// Expected values are stated here, from the reference's field meanings and
// events.def, not taken from the converter.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gvisor/message_decoder.h"
#include "gvisor/process_memory.h"
#include "gvisor/wire.h"
#include "sources/event/event_view.h"
#include "sources/event/sockaddr.h"
#include "state/process_params.h"
#include "state/state_updater.h"
#include "state/thread_table.h"
#include "tests/gvisor/reference_protos.h"
#include "tests/support/record_conformance.h"

namespace kestrel::gvisor {
namespace {

using google::protobuf::Message;
using google::protobuf::Reflection;

// Sets field `name` of `m` (by the reference's field names).
void set_i32(Message& m, const char* name, int32_t v) {
  m.GetReflection()->SetInt32(&m, m.GetDescriptor()->FindFieldByName(name), v);
}
void set_i64(Message& m, const char* name, int64_t v) {
  m.GetReflection()->SetInt64(&m, m.GetDescriptor()->FindFieldByName(name), v);
}
void set_u64(Message& m, const char* name, uint64_t v) {
  m.GetReflection()->SetUInt64(&m, m.GetDescriptor()->FindFieldByName(name), v);
}
void set_bool(Message& m, const char* name, bool v) {
  m.GetReflection()->SetBool(&m, m.GetDescriptor()->FindFieldByName(name), v);
}
void set_str(Message& m, const char* name, const std::string& v) {
  m.GetReflection()->SetString(&m, m.GetDescriptor()->FindFieldByName(name), v);
}
void add_str(Message& m, const char* name, const std::string& v) {
  m.GetReflection()->AddString(&m, m.GetDescriptor()->FindFieldByName(name), v);
}
Message& sub(Message& m, const char* name) {
  return *m.GetReflection()->MutableMessage(&m, m.GetDescriptor()->FindFieldByName(name));
}

// A context as newer gVisor fills it for a task of an exec session.
void fill_context(Message& cd, int tid, int tgid, int parent_tgid, bool exec_session) {
  set_i64(cd, "time_ns", 1'700'000'000'000'000'000);
  set_i32(cd, "thread_id", tid);
  set_i32(cd, "thread_group_id", tgid);
  set_i64(cd, "thread_group_start_time_ns", 1'600'000'000'000'000'000);
  set_str(cd, "container_id", "sandbox-ref");
  set_str(cd, "cwd", "/root");
  set_str(cd, "process_name", "sh");
  set_i32(cd, "parent_thread_group_id", parent_tgid);
  set_bool(cd, "is_exec_session", exec_session);
}

class ReferenceDecode : public ::testing::Test {
 protected:
  void SetUp() override {
    ref_ = test::ReferenceProtos::load();
    ASSERT_NE(ref_, nullptr) << test::ReferenceProtos::last_error();
  }
  std::unique_ptr<Message> make(const char* name) {
    auto m = ref_->make(name);
    EXPECT_NE(m, nullptr) << name;
    return m;
  }
  DecodeOutcome decode(uint16_t type, const Message& m) {
    std::string payload = m.SerializeAsString();
    auto pkt = encode_wire_packet(type, 0, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
    return decoder_.decode(pkt, sandbox_, out_);
  }
  std::vector<EventView> of_type(uint16_t type) const {
    std::vector<EventView> v;
    for (size_t i = 0; i < out_.size(); ++i) {
      auto ev = EventView::parse(out_.record(i));
      if (ev.ok() && ev->type() == type) v.push_back(*ev);
    }
    return v;
  }
  void TearDown() override {
    for (size_t i = 0; i < out_.size(); ++i) {
      auto problems = kestrel::test::record_problems(out_.record(i));
      EXPECT_TRUE(problems.empty()) << kestrel::test::describe_problems(problems);
    }
    EXPECT_EQ(sandbox_.param_mismatch, 0u);
    EXPECT_EQ(sandbox_.unknown_type, 0u);
    EXPECT_EQ(sandbox_.malformed, 0u);
  }
  std::unique_ptr<test::ReferenceProtos> ref_;
  MessageDecoder decoder_;
  SandboxState sandbox_{3};
  RecordArena out_;
};

TEST_F(ReferenceDecode, ListenBecomesTheListenRowWithItsAddress) {
  auto m = make("gvisor.syscall.Listen");
  fill_context(sub(*m, "context_data"), 21, 21, 1, false);
  set_i64(sub(*m, "exit"), "result", 0);
  set_u64(*m, "sysno", 50);  // listen on x86_64
  set_i32(*m, "fd", 3);
  set_str(*m, "fd_path", "socket:[77]");
  set_i32(*m, "backlog", 128);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(8080);
  sin.sin_addr.s_addr = htonl(0x7f000001);
  set_str(*m, "address", std::string(reinterpret_cast<const char*>(&sin), sizeof sin));
  set_i32(*m, "socket_family", AF_INET);
  set_i32(*m, "socket_type", SOCK_STREAM);
  ASSERT_EQ(decode(37, *m), DecodeOutcome::kOk);
  auto evs = of_type(KE_LISTEN);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].tid(), 21u);
  EXPECT_EQ(evs[0].param_int(KP_LISTEN_res), 0);
  EXPECT_EQ(evs[0].param_int(KP_LISTEN_fd), 3);
  EXPECT_EQ(evs[0].param_int(KP_LISTEN_backlog), 128);
  auto addr = decode_sockaddr(evs[0].param(KP_LISTEN_addr));
  ASSERT_TRUE(addr.has_value());
  EXPECT_EQ(addr->to_string(), "127.0.0.1:8080");
  EXPECT_EQ(sandbox_.by_type[37], 1u);

  // The state tables name the listening socket from it, with no bind seen.
  ThreadTable table;
  StateUpdater updater(table);
  updater.apply(evs[0], sandbox_.domain);
  const FdInfo* f = table.fd(sandbox_.domain, 21, 3);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->name, "127.0.0.1:8080");
  EXPECT_EQ(f->type, FdType::kIpv4);
  EXPECT_TRUE(f->listening);
}

TEST_F(ReferenceDecode, FailedListenKeepsItsErrnoAndAnUnknownAddress) {
  auto m = make("gvisor.syscall.Listen");
  set_i64(sub(*m, "exit"), "errorno", 98);  // EADDRINUSE
  set_i32(*m, "fd", 4);
  set_i32(*m, "backlog", 1);
  ASSERT_EQ(decode(37, *m), DecodeOutcome::kOk);
  auto evs = of_type(KE_LISTEN);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].param_int(KP_LISTEN_res), -98);
  EXPECT_FALSE(decode_sockaddr(evs[0].param(KP_LISTEN_addr)).has_value());
}

TEST_F(ReferenceDecode, ExecveInfoCarriesParentAndBinaryFacts) {
  auto m = make("gvisor.sentry.ExecveInfo");
  fill_context(sub(*m, "context_data"), 40, 40, 12, true);
  set_str(*m, "binary_path", "/tmp/dropped");
  add_str(*m, "argv", "./dropped");
  add_str(*m, "argv", "-x");
  set_bool(*m, "binary_overlayfs_upper", true);
  set_bool(*m, "binary_overlayfs_lower", false);
  set_u64(*m, "binary_ino", 9001);
  set_i64(sub(*m, "binary_ctime"), "sec", 1'650'000'000);
  set_i64(sub(*m, "binary_ctime"), "nsec", 250);
  set_str(*m, "binary_sha256", std::string(31, '\xab') + '\x01');
  set_str(*m, "binary_sha1", std::string(20, '\xcd'));  // carried by nothing: harmless
  set_str(*m, "execfn", "./dropped");
  set_bool(*m, "binary_in_memfd", true);
  ASSERT_EQ(decode(3, *m), DecodeOutcome::kOk);
  auto evs = of_type(KE_EXECVE);
  ASSERT_EQ(evs.size(), 1u);
  ThreadInfo t;
  read_process_params(evs[0], KP_EXECVE_exe, t);
  EXPECT_EQ(t.ptid, 12);  // parent_thread_group_id
  EXPECT_EQ(t.exepath, "/tmp/dropped");
  EXPECT_EQ(t.exe_flags, uint32_t{KESTREL_EXE_UPPER_LAYER | KESTREL_EXE_FROM_MEMFD});
  // binary_ino and binary_ctime (a Timespec) become the exe inode params;
  // ExecveInfo has no mtime, so that one is empty, not 0.
  read_exe_inode_params(evs[0], t);
  EXPECT_EQ(t.exe_ino, 9001u);
  EXPECT_EQ(t.exe_ino_ctime, 1'650'000'000'000'000'250u);
  EXPECT_FALSE(evs[0].has_param(KP_EXECVE_exe_ino_mtime));
  // binary_sha256's 32 bytes become exe_sha256, read as lower-case hex.
  EXPECT_EQ(evs[0].param(KP_EXECVE_exe_sha256).size(), 32u);
  std::string hex;
  for (int i = 0; i < 31; ++i) hex += "ab";
  EXPECT_EQ(t.exe_sha256, hex + "01");
  EXPECT_EQ(sandbox_.bad_exe_sha256, 0u);
}

TEST_F(ReferenceDecode, ExecveInfoWithADigestOfAnotherLengthKeepsTheExecWithoutIt) {
  auto m = make("gvisor.sentry.ExecveInfo");
  fill_context(sub(*m, "context_data"), 42, 42, 0, false);
  set_str(*m, "binary_path", "/bin/true");
  set_str(*m, "binary_sha256", std::string(20, '\x11'));  // a SHA-1's length
  ASSERT_EQ(decode(3, *m), DecodeOutcome::kOk);
  auto evs = of_type(KE_EXECVE);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_FALSE(evs[0].has_param(KP_EXECVE_exe_sha256));
  EXPECT_EQ(sandbox_.bad_exe_sha256, 1u);
}

TEST_F(ReferenceDecode, ExecveInfoWithoutBinaryFactsLeavesExeFlagsUnknown) {
  // runsc before the binary facts: exe_flags is not claimed to be 0.
  auto m = make("gvisor.sentry.ExecveInfo");
  fill_context(sub(*m, "context_data"), 41, 41, 0, false);
  set_str(*m, "binary_path", "/bin/true");
  ASSERT_EQ(decode(3, *m), DecodeOutcome::kOk);
  auto evs = of_type(KE_EXECVE);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_FALSE(evs[0].param_uint(KP_EXECVE_exe_flags).has_value());
  EXPECT_FALSE(evs[0].param_int(KP_EXECVE_ptid).has_value());
  EXPECT_FALSE(evs[0].has_param(KP_EXECVE_exe_ino));
  EXPECT_FALSE(evs[0].has_param(KP_EXECVE_exe_ino_ctime));
  EXPECT_FALSE(evs[0].has_param(KP_EXECVE_exe_sha256));  // Debian's runsc: <NA>
  ThreadInfo t;
  t.exe_sha256 = "stale";  // a previous image's
  read_exe_inode_params(evs[0], t);
  EXPECT_EQ(t.exe_sha256, "");
}

TEST_F(ReferenceDecode, ExecSessionProcessIsDescribedWithItsParent) {
  // A `runsc exec` process gets no clone point: its first point (a read
  // here) is all the source sees. Its context names the parent and marks
  // the session; the source's process memory answers for it, and the
  // state tables pass the mark to its children.
  auto m = make("gvisor.syscall.Read");
  fill_context(sub(*m, "context_data"), 50, 50, 1, true);
  set_i64(sub(*m, "exit"), "result", 0);
  set_u64(*m, "sysno", 0);
  set_i64(*m, "fd", 0);
  ASSERT_EQ(decode(9, *m), DecodeOutcome::kOk);
  ASSERT_GE(out_.size(), 1u);
  GvisorContext ctx = out_.context(out_.size() - 1);
  EXPECT_EQ(ctx.parent_tgid, 1);
  EXPECT_TRUE(ctx.is_exec_session);

  ProcessMemory memory;
  memory.remember(sandbox_.domain, ctx);
  ThreadTable table;
  StateUpdater updater(table);
  updater.set_resolver([&](DomainId d, int64_t pid) { return memory.describe(d, pid); });
  for (const EventView& ev : of_type(KE_READ)) updater.apply(ev, sandbox_.domain);
  const ThreadInfo* t = table.find(sandbox_.domain, 50);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ptid, 1);
  EXPECT_TRUE(t->exec_session);
  EXPECT_EQ(t->comm, "sh");

  // Its child (a sentry/clone point from the session's shell) inherits it.
  auto clone = make("gvisor.sentry.CloneInfo");
  fill_context(sub(*clone, "context_data"), 50, 50, 1, true);
  set_i32(*clone, "created_thread_id", 51);
  set_i32(*clone, "created_thread_group_id", 51);
  set_i64(*clone, "created_thread_start_time_ns", 1'700'000'000'000'000'100);
  ASSERT_EQ(decode(2, *clone), DecodeOutcome::kOk);
  for (const EventView& ev : of_type(KE_CLONE)) updater.apply(ev, sandbox_.domain);
  const ThreadInfo* child = table.find(sandbox_.domain, 51);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ptid, 50);
  EXPECT_TRUE(child->exec_session);

  // A task of the container's own init tree is not marked.
  auto other = make("gvisor.syscall.Read");
  fill_context(sub(*other, "context_data"), 60, 60, 1, false);
  set_i64(*other, "fd", 0);
  out_.clear();
  ASSERT_EQ(decode(9, *other), DecodeOutcome::kOk);
  memory.remember(sandbox_.domain, out_.context(out_.size() - 1));
  for (const EventView& ev : of_type(KE_READ)) updater.apply(ev, sandbox_.domain);
  const ThreadInfo* plain = table.find(sandbox_.domain, 60);
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->exec_session);
}

}  // namespace
}  // namespace kestrel::gvisor
