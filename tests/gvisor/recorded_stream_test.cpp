// The decoder on traffic recorded from the real runsc 0.0~20221219 running
// data/workload.sh (see data/README.md). Expectations come from what the
// workload does, not from the decoder.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gvisor/message_decoder.h"
#include "sources/event/event_view.h"
#include "state/process_params.h"
#include "stream_reader.h"
#include "tests/support/record_conformance.h"

namespace kestrel::gvisor {
namespace {

struct Decoded {
  SandboxState sandbox{1};
  RecordArena arena;
  std::vector<EventView> events;
  size_t packets = 0;

  std::vector<EventView> of_type(uint16_t t) const {
    std::vector<EventView> v;
    for (const EventView& e : events)
      if (e.type() == t) v.push_back(e);
    return v;
  }
};

void decode_file(const std::string& name, Decoded& d) {
  auto packets = testing::read_packet_stream(std::string(KESTREL_GVISOR_DATA) + "/" + name);
  ASSERT_GT(packets.size(), 100u) << name;
  MessageDecoder decoder;
  for (const auto& p : packets) decoder.decode(p, d.sandbox, d.arena);
  d.packets = packets.size();
  EXPECT_EQ(d.sandbox.param_mismatch, 0u) << name;
  for (size_t i = 0; i < d.arena.size(); ++i) {
    auto v = EventView::parse(d.arena.record(i));
    ASSERT_TRUE(v.ok());
    auto problems = test::record_problems(*v);
    EXPECT_TRUE(problems.empty()) << name << ": " << test::describe_problems(problems);
    d.events.push_back(*v);
  }
}

std::string str_or(std::optional<std::string_view> s) { return s ? std::string(*s) : std::string("<none>"); }

TEST(RecordedStream, WorkloadDecodesCompletely) {
  Decoded d;
  decode_file("runsc_workload.stream", d);
  EXPECT_EQ(d.sandbox.malformed, 0u);
  EXPECT_EQ(d.sandbox.unknown_type, 0u);
  EXPECT_EQ(d.sandbox.drops.total(), 0u);
  EXPECT_EQ(d.sandbox.packets, d.packets);

  // container/start: the sandbox's container, `runsc do` names it runsc-<n>.
  auto containers = d.of_type(KE_CONTAINER);
  ASSERT_EQ(containers.size(), 1u);
  std::string cid = str_or(containers[0].param_str(KP_CONTAINER_id));
  EXPECT_EQ(cid.rfind("runsc-", 0), 0u) << cid;
  EXPECT_EQ(d.sandbox.container_id, cid);
  // The recording holds the checkout path it was made in, not this one.
  auto args = split_string_array(containers[0].param(KP_CONTAINER_args));
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[0], "/bin/sh");
  EXPECT_TRUE(args[1].ends_with("/tests/gvisor/data/workload.sh")) << args[1];

  // exec of cat /etc/hostname, with its context.
  bool cat_exec = false;
  for (const EventView& e : d.of_type(KE_EXECVE)) {
    ThreadInfo t;
    read_process_params(e, KP_EXECVE_exe, t);
    if (t.exe == "cat" && t.args == std::vector<std::string>{"/etc/hostname"}) {
      cat_exec = true;
      EXPECT_EQ(t.comm, "cat");
      EXPECT_EQ(t.cwd, "/tmp");
      EXPECT_EQ(t.uid, 0u);
      EXPECT_GT(t.start_ts, 0u);
    }
  }
  EXPECT_TRUE(cat_exec);

  // open of /etc/hostname succeeded (fd >= 0).
  bool opened = false;
  for (const EventView& e : d.of_type(KE_OPENAT))
    if (str_or(e.param_str(KP_OPENAT_name)) == "/etc/hostname" && e.param_int(KP_OPENAT_fd).value_or(-1) >= 0)
      opened = true;
  EXPECT_TRUE(opened);

  // connect to 127.0.0.1:9 was refused.
  bool refused = false;
  for (const EventView& e : d.of_type(KE_CONNECT)) {
    auto a = e.param(KP_CONNECT_addr);
    if (a.size() == 7 && a[0] == KESTREL_AF_INET && a[1] == 127 && a[4] == 1) {
      uint16_t port;
      std::memcpy(&port, a.data() + 5, 2);
      if (port == 9 && e.param_int(KP_CONNECT_res) == -111) refused = true;
    }
  }
  EXPECT_TRUE(refused);

  // nc -l: bind, listen (a raw point), accept.
  EXPECT_FALSE(d.of_type(KE_BIND).empty());
  EXPECT_FALSE(d.of_type(KE_LISTEN).empty());
  EXPECT_TRUE(!d.of_type(KE_ACCEPT).empty() || !d.of_type(KE_ACCEPT4).empty());

  // workload.py: eventfd(5), timerfd 5 s, inotify on /tmp, socketpair, prlimit.
  bool eventfd5 = false;
  for (const EventView& e : d.of_type(KE_EVENTFD2)) eventfd5 = eventfd5 || e.param_uint(KP_EVENTFD2_initval) == 5u;
  for (const EventView& e : d.of_type(KE_EVENTFD)) eventfd5 = eventfd5 || e.param_uint(KP_EVENTFD_initval) == 5u;
  EXPECT_TRUE(eventfd5);
  auto settime = d.of_type(KE_TIMERFD_SETTIME);
  ASSERT_EQ(settime.size(), 1u);
  EXPECT_EQ(settime[0].param_uint(KP_TIMERFD_SETTIME_value), 5'000'000'000ull);
  auto watch = d.of_type(KE_INOTIFY_ADD_WATCH);
  ASSERT_EQ(watch.size(), 1u);
  EXPECT_EQ(str_or(watch[0].param_str(KP_INOTIFY_ADD_WATCH_path)), "/tmp");
  EXPECT_EQ(d.of_type(KE_SOCKETPAIR).size(), 1u);
  EXPECT_FALSE(d.of_type(KE_PRLIMIT64).empty());
  EXPECT_FALSE(d.of_type(KE_CLONE).empty());

  // The sandbox's init (sh, tid 1) exited with status 3.
  bool init_exit = false;
  for (const EventView& e : d.of_type(KE_PROCEXIT))
    if (e.tid() == 1 && e.param_int(KP_PROCEXIT_ret) == 3) init_exit = true;
  EXPECT_TRUE(init_exit);

  // Raw syscall points (mmap, mprotect, listen here) come without context
  // from this runsc; they still belong to the sandbox.
  EXPECT_EQ(d.of_type(KE_LISTEN)[0].tid(), 0u);
  // Every event is in the sandbox's domain and carries its container id.
  for (size_t i = 0; i < d.arena.size(); ++i) {
    ASSERT_EQ(d.arena.domain(i), 1u);
    EXPECT_EQ(d.arena.context(i).container_id, cid);
  }
}

TEST(RecordedStream, LifecyclePointsDecode) {
  Decoded d;
  decode_file("runsc_lifecycle.stream", d);
  EXPECT_EQ(d.sandbox.malformed, 0u);
  EXPECT_EQ(d.sandbox.unknown_type, 0u);
  // syscall/execve enter+exit, syscall/clone, syscall/fork, exit_notify_parent
  // were enabled in this recording.
  EXPECT_GT(d.sandbox.by_type[11], 0u);
  EXPECT_GT(d.sandbox.by_type[23], 0u);
  EXPECT_GT(d.sandbox.by_type[29], 0u);
  EXPECT_GT(d.sandbox.by_type[4], 0u);
  bool failed_exec = false;
  for (const EventView& e : d.of_type(KE_EXECVE)) {
    ThreadInfo t;
    read_process_params(e, KP_EXECVE_exe, t);
    if (e.param_int(KP_EXECVE_res) == -2 && t.exe == "/bin/nonexistent") failed_exec = true;
  }
  EXPECT_TRUE(failed_exec);
  EXPECT_FALSE(d.of_type(KE_FORK).empty() && d.of_type(KE_VFORK).empty());
}

}  // namespace
}  // namespace kestrel::gvisor
