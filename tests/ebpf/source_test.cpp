// Live tests of the eBPF source: they load the real probe into this kernel
// and run real workloads. They must run as root on a kernel with BTF; if
// the probe cannot load they FAIL (a silent skip would hide a broken probe).
// This file: capabilities, filtering, drops, open() errors.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

TEST_F(EbpfLive, ReportsWhatItCanEmit) {
  const auto& caps = source_->capabilities();
  EXPECT_EQ(caps.name, "ebpf");
  EXPECT_TRUE(caps.live);
  for (uint16_t t : {KE_EXECVE, KE_CLONE, KE_PROCEXIT, KE_OPENAT, KE_CLOSE, KE_CONNECT, KE_ACCEPT4, KE_UNLINK,
                     KE_UNLINKAT, KE_MKDIR, KE_UMOUNT2, KE_SETUID, KE_PTRACE, KE_MMAP, KE_BPF, KE_SETNS,
                     KE_READ, KE_WRITEV, KE_SENDTO, KE_RECVMSG})
    EXPECT_TRUE(caps.event_types.test(t)) << event_info(t).name;
  // Not syscalls of their own: no program.
  EXPECT_FALSE(caps.event_types.test(KE_CONTAINER));
  EXPECT_FALSE(caps.event_types.test(KE_PLUGINEVENT));
  EXPECT_EQ(source_->attached_event_types(), caps.event_types);
}

TEST_F(EbpfLive, FilterAttachesOnlyTheSelectedTypes) {
  EventTypeSet only_openat;
  only_openat.set(KE_OPENAT);
  ASSERT_TRUE(source_->set_event_filter(only_openat).ok());
  EXPECT_EQ(source_->attached_event_types(), only_openat);
  // Detaching closes link fds, and close was still attached for some of
  // them: drain what the reconfiguration itself produced.
  drain(*source_);

  std::string dir = temp_path("filter-dir");
  ::rmdir(dir.c_str());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_EQ(::rmdir(dir.c_str()), 0);
  auto events = collect(*source_, {static_cast<uint32_t>(getpid())}, [&](const std::vector<OwnedEvent>& ev) {
    for (const auto& e : ev)
      if (e.type() == KE_OPENAT && e.s(KP_OPENAT_name) == dir) return true;
    return false;
  });
  EXPECT_EQ(count_type(events, KE_MKDIR) + count_type(events, KE_MKDIRAT), 0u);
  EXPECT_EQ(count_type(events, KE_RMDIR), 0u);
  EXPECT_EQ(count_type(events, KE_CLOSE), 0u);
  for (const auto& e : events) EXPECT_EQ(e.type(), KE_OPENAT) << e.view().info().name;
  EXPECT_GE(count_type(events, KE_OPENAT), 1u);

  // Widening the filter again attaches the programs back.
  only_openat.set(KE_MKDIR);
  ASSERT_TRUE(source_->set_event_filter(only_openat).ok());
  EXPECT_TRUE(source_->attached_event_types().test(KE_MKDIR));
}

// A buffer too small for a burst of events overflows; the loss is counted
// per reason and per CPU, never silent.
TEST_F(EbpfLive, DropsAreCountedWhenTheBufferIsFull) {
  EbpfOptions opt;
  opt.drop_own_events = false;
  opt.buffer_bytes = 4096;  // one page per CPU
  EbpfSource small(opt);
  EventTypeSet types;
  types.set(KE_OPENAT);
  ASSERT_TRUE(small.set_event_filter(types).ok());  // before open(): only openat is ever attached
  ASSERT_TRUE(small.open().ok());
  EXPECT_EQ(small.attached_event_types(), types);
  for (int i = 0; i < 2000; ++i) {
    int fd = ::open("/etc/hostname", O_RDONLY);
    if (fd >= 0) ::close(fd);
  }
  // The source sees the whole host's openat calls, so the counters keep
  // moving: the per-CPU split read first can only trail the total read after.
  uint64_t per_cpu_total = 0;
  for (const auto& [reason, cpus] : small.drops_per_cpu()) {
    if (reason != "buffer_full") continue;
    for (uint64_t n : cpus) per_cpu_total += n;
  }
  SourceStats st = small.stats();
  ASSERT_TRUE(st.drops.count("buffer_full")) << "no buffer_full drops after 2000 events into 4 KiB";
  EXPECT_GE(per_cpu_total, 1000u);  // at least half of ours cannot have fit
  EXPECT_LE(per_cpu_total, st.drops["buffer_full"]);
  // What did fit is still delivered, intact.
  auto events = collect(small, {static_cast<uint32_t>(getpid())},
                        [](const std::vector<OwnedEvent>& ev) { return ev.size() >= 10; });
  EXPECT_GE(events.size(), 10u);
  for (const auto& e : events) EXPECT_EQ(e.s(KP_OPENAT_name), "/etc/hostname");
  EXPECT_EQ(small.stats().drops.count("malformed"), 0u);
}

// The buffer_full drops are also counted by the type of what was lost (for
// Falco's drop categories). Only openat and mkdir are attached, and this
// process floods both: the drops are theirs and no other type's.
TEST_F(EbpfLive, BufferFullDropsAreCountedByTheTypeOfWhatWasLost) {
  EbpfOptions opt;
  opt.drop_own_events = false;
  opt.buffer_bytes = 4096;
  EbpfSource small(opt);
  EventTypeSet types;
  types.set(KE_OPENAT);
  types.set(KE_MKDIR);
  ASSERT_TRUE(small.set_event_filter(types).ok());
  ASSERT_TRUE(small.open().ok());
  const std::string dir = temp_path("drop-types");
  for (int i = 0; i < 2000; ++i) {
    int fd = ::open("/etc/hostname", O_RDONLY);
    if (fd >= 0) ::close(fd);
    const std::string d = dir + "-" + std::to_string(i);
    if (::mkdir(d.c_str(), 0700) == 0) ::rmdir(d.c_str());  // rmdir is not attached
  }
  // Read by type first, the total after: the counters only grow.
  const std::vector<uint64_t> by_type = small.stats().buffer_full_by_type;
  const uint64_t total = small.stats().drops["buffer_full"];
  ASSERT_EQ(by_type.size(), static_cast<size_t>(KE_COUNT));
  // Each record is about the same size: of our 4000 at least half cannot
  // have fit in one page, and both types lost some.
  EXPECT_GE(by_type[KE_OPENAT] + by_type[KE_MKDIR], 2000u);
  EXPECT_GT(by_type[KE_OPENAT], 0u);
  EXPECT_GT(by_type[KE_MKDIR], 0u);
  EXPECT_LE(by_type[KE_OPENAT] + by_type[KE_MKDIR], total);
  for (uint16_t t = 0; t < KE_COUNT; ++t) {
    if (t != KE_OPENAT && t != KE_MKDIR) {
      EXPECT_EQ(by_type[t], 0u) << event_info(t).name;
    }
  }
  // The counts outlive the probe (the end-of-run summary reads them after close).
  small.close();
  const std::vector<uint64_t> after = small.stats().buffer_full_by_type;
  ASSERT_EQ(after.size(), static_cast<size_t>(KE_COUNT));
  EXPECT_GE(after[KE_OPENAT], by_type[KE_OPENAT]);
  EXPECT_GE(after[KE_MKDIR], by_type[KE_MKDIR]);
}

// Each batch merges the per-CPU buffers into timestamp order.
TEST_F(EbpfLive, BatchesAreMergedInTimestampOrder) {
  auto work = [] {
    for (int i = 0; i < 2000; ++i) {
      int fd = ::open("/etc/hostname", O_RDONLY);
      if (fd >= 0) ::close(fd);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EventBatch batch;
  size_t seen = 0, batches = 0;
  for (int i = 0; i < 50 && seen < 8000; ++i) {
    auto r = source_->next(batch, std::chrono::milliseconds(20));
    ASSERT_TRUE(r.ok());
    if (*r != NextOutcome::kBatch) continue;
    ++batches;
    for (size_t j = 1; j < batch.events.size(); ++j)
      ASSERT_LE(batch.events[j - 1].view.ts(), batch.events[j].view.ts()) << "batch " << batches << " index " << j;
    seen += batch.events.size();
  }
  EXPECT_GE(seen, 8000u);
}

// Before any set_event_filter(), everything but the KEF_IO events is
// attached (Falco's default without -A).
TEST(EbpfDefaults, DefaultFilterLeavesOutHighVolumeIo) {
  EbpfSource source{EbpfOptions{}};
  Status st = source.open();
  ASSERT_TRUE(st.ok()) << st.to_string();
  EventTypeSet attached = source.attached_event_types();
  EXPECT_TRUE(attached.test(KE_EXECVE));
  EXPECT_TRUE(attached.test(KE_OPENAT));
  EXPECT_TRUE(attached.test(KE_CONNECT));
  for (uint16_t t : {KE_READ, KE_WRITE, KE_PREAD64, KE_WRITEV, KE_SENDTO, KE_SENDMSG, KE_RECVFROM, KE_RECVMSG})
    EXPECT_FALSE(attached.test(t)) << event_info(t).name;
}

// By default the collector's own syscalls are not emitted; its children's are.
TEST(EbpfDefaults, OwnEventsAreDroppedChildrensAreNot) {
  EbpfSource source{EbpfOptions{}};
  EventTypeSet types;
  types.set(KE_OPENAT);
  ASSERT_TRUE(source.set_event_filter(types).ok());
  Status st = source.open();
  ASSERT_TRUE(st.ok()) << st.to_string();
  std::string path = temp_path("own");
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int cfd = ::open(path.c_str(), O_RDONLY);
    _exit(cfd >= 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ::unlink(path.c_str());
  auto events = collect(source, {}, [&](const std::vector<OwnedEvent>& ev) {
    for (const auto& e : ev)
      if (e.tgid() == static_cast<uint32_t>(child) && e.s(KP_OPENAT_name) == path) return true;
    return false;
  });
  bool child_seen = false;
  for (const auto& e : events) {
    EXPECT_NE(e.tgid(), static_cast<uint32_t>(getpid())) << "own event emitted: " << e.s(KP_OPENAT_name);
    if (e.tgid() == static_cast<uint32_t>(child) && e.s(KP_OPENAT_name) == path) child_seen = true;
  }
  EXPECT_TRUE(child_seen);
}

// Without privileges open() fails with a message that says what to do.
TEST(EbpfOpenErrors, UnprivilegedOpenSaysWhatIsMissing) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipefd[0]);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    EbpfSource s{EbpfOptions{}};
    Status st = s.open();
    std::string msg = std::to_string(static_cast<int>(st.code())) + "|" + st.message();
    (void)!write(pipefd[1], msg.data(), msg.size());
    _exit(st.ok() ? 1 : 0);
  }
  ::close(pipefd[1]);
  std::string msg;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) msg.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "open() succeeded without privileges?";
  EXPECT_EQ(msg.substr(0, msg.find('|')), std::to_string(static_cast<int>(StatusCode::kPermissionDenied))) << msg;
  EXPECT_NE(msg.find("root"), std::string::npos) << msg;
  EXPECT_NE(msg.find("kestrel-driverkit build"), std::string::npos) << msg;
}

}  // namespace
}  // namespace kestrel::testing
