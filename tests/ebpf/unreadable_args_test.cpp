// Live tests of the eBPF source: they load the real probe into this kernel.
// This file: arguments the probe cannot read back from the caller's memory
// are empty params (length 0, shown <NA>), as kestrel_event.h promises —
// never the zeroes of a buffer the failed read left untouched (openat2's
// open_how read as flags 0, a sockaddr as 0.0.0.0:0). And none of these
// writes is a param_mismatch.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "sources/event/param_format.h"
#include "tests/ebpf/live_capture.h"

namespace kestrel::testing {
namespace {

// Two pages, the second inaccessible: `tail(n)` is a pointer to the last n
// readable bytes, so an object placed there is readable for n bytes and
// faults beyond; `unreadable()` points into the inaccessible page.
class HalfReadable {
 public:
  HalfReadable() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(p, MAP_FAILED) << std::strerror(errno);
    base_ = static_cast<char*>(p);
    EXPECT_EQ(mprotect(base_ + page_, page_, PROT_NONE), 0) << std::strerror(errno);
  }
  ~HalfReadable() { munmap(base_, 2 * page_); }
  char* tail(size_t n) { return base_ + page_ - n; }
  char* unreadable() { return base_ + page_; }

 private:
  size_t page_ = 0;
  char* base_ = nullptr;
};

void expect_empty(const OwnedEvent& e, uint16_t param, const char* name) {
  EventView v = e.view();
  EXPECT_EQ(v.param(param).size(), 0u) << name << " should be empty";
  EXPECT_EQ(format_param(v, param), kNotAvailable) << name;
}

void expect_no_param_mismatch(Source& source) {
  auto st = source.stats();
  auto it = st.drops.find("param_mismatch");
  uint64_t n = it == st.drops.end() ? 0 : it->second;
  EXPECT_EQ(n, 0u) << "records dropped as param_mismatch";
}

TEST_F(EbpfLive, Openat2WithAnUnreadableOpenHowHasEmptyFlagsModeResolve) {
  HalfReadable mem;
  std::string path = temp_path("openat2-efault");
  errno = 0;
  long bad = syscall(SYS_openat2, AT_FDCWD, path.c_str(), mem.unreadable(), sizeof(struct open_how));
  ASSERT_EQ(bad, -1);
  ASSERT_EQ(errno, EFAULT);
  // A readable open_how next to it, so the probe is seen reading a good one.
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC;
  long good = syscall(SYS_openat2, AT_FDCWD, "/etc/hostname", &how, sizeof(how));
  ASSERT_GE(good, 0) << std::strerror(errno);
  ::close(static_cast<int>(good));

  uint32_t me = static_cast<uint32_t>(getpid());
  auto events = collect(*source_, {me}, [](const std::vector<OwnedEvent>& ev) {
    return count_type(ev, KE_OPENAT2) >= 2;
  });
  const OwnedEvent* faulted = nullptr;
  const OwnedEvent* read_back = nullptr;
  for (const OwnedEvent* e : of_type(events, KE_OPENAT2)) {
    if (e->s(KP_OPENAT2_name) == path) faulted = e;
    if (e->s(KP_OPENAT2_name) == "/etc/hostname") read_back = e;
  }
  ASSERT_NE(faulted, nullptr) << "no openat2 event for " << path;
  EXPECT_EQ(faulted->i(KP_OPENAT2_fd), -EFAULT);
  expect_empty(*faulted, KP_OPENAT2_flags, "flags");
  expect_empty(*faulted, KP_OPENAT2_mode, "mode");
  expect_empty(*faulted, KP_OPENAT2_resolve, "resolve");
  ASSERT_NE(read_back, nullptr);
  EXPECT_EQ(read_back->i(KP_OPENAT2_flags), O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(read_back->i(KP_OPENAT2_resolve), 0);
  expect_no_param_mismatch(*source_);
}

TEST_F(EbpfLive, ConnectWithAnUnreadableSockaddrHasAnEmptyAddress) {
  HalfReadable mem;
  // The family is readable (the last two bytes of the good page); the
  // address and port lie in the inaccessible page.
  char* partial = mem.tail(2);
  const sa_family_t family = AF_INET;
  std::memcpy(partial, &family, sizeof(family));
  int fd1 = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int fd2 = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd1, 0);
  ASSERT_GE(fd2, 0);
  errno = 0;
  ASSERT_EQ(::connect(fd1, reinterpret_cast<const sockaddr*>(partial), sizeof(sockaddr_in)), -1);
  EXPECT_EQ(errno, EFAULT);
  errno = 0;
  ASSERT_EQ(::connect(fd2, reinterpret_cast<const sockaddr*>(mem.unreadable()), sizeof(sockaddr_in)), -1);
  EXPECT_EQ(errno, EFAULT);

  uint32_t me = static_cast<uint32_t>(getpid());
  auto events = collect(*source_, {me}, [&](const std::vector<OwnedEvent>& ev) {
    size_t n = 0;
    for (const OwnedEvent* e : of_type(ev, KE_CONNECT))
      if (e->i(KP_CONNECT_fd) == fd1 || e->i(KP_CONNECT_fd) == fd2) ++n;
    return n >= 2;
  });
  int seen = 0;
  for (const OwnedEvent* e : of_type(events, KE_CONNECT)) {
    if (e->i(KP_CONNECT_fd) != fd1 && e->i(KP_CONNECT_fd) != fd2) continue;
    SCOPED_TRACE(e->i(KP_CONNECT_fd) == fd1 ? "family readable, address not" : "nothing readable");
    ++seen;
    EXPECT_EQ(e->i(KP_CONNECT_res), -EFAULT);
    expect_empty(*e, KP_CONNECT_addr, "addr");
    expect_empty(*e, KP_CONNECT_tuple, "tuple");
  }
  EXPECT_EQ(seen, 2);
  ::close(fd1);
  ::close(fd2);
  expect_no_param_mismatch(*source_);
}

}  // namespace
}  // namespace kestrel::testing
