// KmodSource and its ring reader on this host (whose kernel loads no
// modules): the reader against rings laid out by hand in a memfd as
// kmod/module/kestrel_kmod_abi.h specifies (8-aligned records, pad records
// and short gaps at the end, corrupt lengths), and the errors a host
// without the module gets from the source and from `kestrel`.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kmod/kmod_ring.h"
#include "kmod/kmod_source.h"
#include "tests/support/run_command.h"

namespace kestrel {
namespace {

constexpr uint64_t kData = 4096;

// A memfd holding `cpus` rings of kData bytes, mapped for the test to
// play the kernel's part.
struct FakeRings {
  int fd = -1;
  uint8_t* base = nullptr;
  size_t bytes = 0;

  explicit FakeRings(int cpus) {
    bytes = static_cast<size_t>(cpus) * (KESTREL_KMOD_RING_HDR_BYTES + kData);
    fd = ::memfd_create("kmod-ring-test", MFD_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(bytes)), 0);
    base = static_cast<uint8_t*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    EXPECT_NE(base, MAP_FAILED);
    for (int c = 0; c < cpus; ++c) hdr(c)->size = kData;
  }
  ~FakeRings() {
    ::munmap(base, bytes);
    ::close(fd);
  }
  kestrel_kmod_ring_hdr* hdr(int cpu) {
    return reinterpret_cast<kestrel_kmod_ring_hdr*>(base + cpu * (KESTREL_KMOD_RING_HDR_BYTES + kData));
  }
  uint8_t* data(int cpu) { return reinterpret_cast<uint8_t*>(hdr(cpu)) + KESTREL_KMOD_RING_HDR_BYTES; }

  // A close record (res, fd) of `len` bytes (>= 24 + 4 + 16) at `pos`.
  void put_close(int cpu, uint64_t pos, int64_t fd_value, uint32_t len = 24 + 4 + 16) {
    uint8_t rec[64] = {};
    kestrel_event_hdr h{};
    h.ts_ns = 1000 + pos;
    h.tid = h.tgid = 42;
    h.len = len;
    h.type = KE_CLOSE;
    h.nparams = 2;
    std::memcpy(rec, &h, sizeof h);
    uint16_t lens[2] = {8, 8};
    std::memcpy(rec + 24, lens, sizeof lens);
    int64_t res = 0;
    std::memcpy(rec + 28, &res, 8);
    std::memcpy(rec + 36, &fd_value, 8);
    std::memcpy(data(cpu) + pos, rec, 44);
  }
  void put_pad(int cpu, uint64_t pos, uint32_t len) {
    kestrel_event_hdr h{};
    h.len = len;  // type 0
    std::memcpy(data(cpu) + pos, &h, sizeof h);
  }
};

int64_t fd_param(std::span<const uint8_t> rec) {
  int64_t v;
  std::memcpy(&v, rec.data() + 36, 8);
  return v;
}

std::vector<int64_t> read_all(kmod::KmodRing& ring, std::vector<uint32_t>* lens = nullptr) {
  std::vector<int64_t> fds;
  ring.read(
      [&](std::span<const uint8_t> rec) {
        fds.push_back(fd_param(rec));
        if (lens) lens->push_back(static_cast<uint32_t>(rec.size()));
      },
      100);
  return fds;
}

TEST(KmodRing, ReadsRecordsInOrderAndReleasesTheTail) {
  FakeRings rings(2);
  rings.put_close(1, 0, 3);
  rings.put_close(1, 48, 4, 45);  // an odd length: the next starts 8-aligned at 96
  rings.put_close(1, 96, 5);
  rings.hdr(1)->head = 96 + 48;
  auto ring = kmod::KmodRing::map(rings.fd, 1, kData);
  ASSERT_TRUE(ring.ok()) << ring.status().to_string();
  std::vector<uint32_t> lens;
  EXPECT_EQ(read_all(*ring, &lens), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(lens, (std::vector<uint32_t>{44, 45, 44}));
  EXPECT_EQ(rings.hdr(1)->tail, 0u) << "tail moves only on release()";
  ring->release();
  EXPECT_EQ(rings.hdr(1)->tail, 96u + 48u);
  EXPECT_TRUE(read_all(*ring).empty());
  EXPECT_EQ(rings.hdr(0)->tail, 0u) << "cpu 0's ring is another mapping";
}

TEST(KmodRing, SkipsPadRecordsAndShortGapsAtTheEnd) {
  FakeRings rings(1);
  // Consumer near the end: a record, then a pad record to the end, then
  // one at the start.
  const uint64_t lap = kData;
  rings.hdr(0)->tail = lap - 96;
  rings.put_close(0, kData - 96, 7);
  rings.put_pad(0, kData - 48, 48);
  rings.put_close(0, 0, 8);
  rings.hdr(0)->head = lap + 48;
  auto ring = kmod::KmodRing::map(rings.fd, 0, kData);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(read_all(*ring), (std::vector<int64_t>{7, 8}));
  ring->release();
  EXPECT_EQ(rings.hdr(0)->tail, lap + 48);

  // A record ending 16 bytes before the end: too little for a pad header,
  // so the next record is at the start with nothing in between.
  FakeRings gap(1);
  gap.hdr(0)->tail = lap - 64;
  gap.put_close(0, kData - 64, 10);
  gap.put_close(0, 0, 11);
  gap.hdr(0)->head = lap + 48;
  auto ring2 = kmod::KmodRing::map(gap.fd, 0, kData);
  ASSERT_TRUE(ring2.ok());
  EXPECT_EQ(read_all(*ring2), (std::vector<int64_t>{10, 11}));
}

TEST(KmodRing, ACorruptLengthStopsTheRing) {
  FakeRings rings(1);
  rings.put_close(0, 0, 3);
  rings.put_close(0, 48, 4, 12);  // shorter than a header
  rings.hdr(0)->head = 200;
  auto ring = kmod::KmodRing::map(rings.fd, 0, kData);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(read_all(*ring), (std::vector<int64_t>{3}));
  EXPECT_TRUE(ring->corrupt());
  EXPECT_TRUE(read_all(*ring).empty());
}

TEST(KmodRing, DropCountersComeFromTheHeader) {
  FakeRings rings(1);
  rings.hdr(0)->drops[KESTREL_KMOD_DROP_BUFFER_FULL] = 5;
  rings.hdr(0)->drops[KESTREL_KMOD_DROP_TOO_LARGE] = 2;
  auto ring = kmod::KmodRing::map(rings.fd, 0, kData);
  ASSERT_TRUE(ring.ok());
  EXPECT_EQ(ring->drops(KESTREL_KMOD_DROP_BUFFER_FULL), 5u);
  EXPECT_EQ(ring->drops(KESTREL_KMOD_DROP_TOO_LARGE), 2u);
  EXPECT_STREQ(kmod_drop_reason_name(KESTREL_KMOD_DROP_BUFFER_FULL), "buffer_full");
  EXPECT_STREQ(kmod_drop_reason_name(KESTREL_KMOD_DROP_TOO_LARGE), "too_large");
  // The module's split of the buffer_full drops by event type (ABI 4); a
  // type past the header's table reads 0, never past the page.
  rings.hdr(0)->buffer_full_by_type[KE_OPENAT] = 4;
  rings.hdr(0)->buffer_full_by_type[KE_CLOSE] = 1;
  EXPECT_EQ(ring->buffer_full_of_type(KE_OPENAT), 4u);
  EXPECT_EQ(ring->buffer_full_of_type(KE_CLOSE), 1u);
  EXPECT_EQ(ring->buffer_full_of_type(KE_READ), 0u);
  EXPECT_EQ(ring->buffer_full_of_type(KESTREL_KMOD_TYPE_WORDS * 64), 0u);
}

// The optional process params the module copies follow what the rules read
// (the capture request), as the probe's kb_process_fields does; everything
// until a request says otherwise.
TEST(KmodSource, ProcessFieldsFollowTheCaptureRequest) {
  KmodSource source(KmodOptions{});
  EXPECT_EQ(source.process_fields(), uint32_t{KESTREL_KMOD_PF_ALL});
  CaptureRequest request;
  request.process_params.env = false;
  request.process_params.cgroups = false;
  ASSERT_TRUE(source.set_capture_request(request).ok());
  EXPECT_EQ(source.process_fields(), uint32_t{KESTREL_KMOD_PF_CWD});
  request.process_params = ProcessParamSet{};
  ASSERT_TRUE(source.set_capture_request(request).ok());
  EXPECT_EQ(source.process_fields(), uint32_t{KESTREL_KMOD_PF_ALL});
}

TEST(KmodSource, MissingDeviceSaysHowToLoadTheModule) {
  KmodOptions options;
  options.device = "/nonexistent/kestrel";
  KmodSource source(options);
  EXPECT_EQ(source.capabilities().name, "kmod");
  Status s = source.open();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("kernel module is not loaded"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("kestrel-driverkit build"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("insmod"), std::string::npos) << s.message();
  EXPECT_FALSE(kmod_device_present("/nonexistent/kestrel"));
}

// The binary: engine.kind=kmod on a host without the module fails with
// that message and a non-zero exit.
TEST(KmodSource, CollectorExitsNonZeroWithoutTheModule) {
  ASSERT_FALSE(kmod_device_present()) << "this test expects a host without the kestrel module";
  std::string cmd = std::string(KESTREL_BINARY) + " -o engine.kind=kmod 2>&1";
  auto [code, out] = kestrel::testing::run_command(cmd);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("the kestrel kernel module is not loaded"), std::string::npos) << out;
}

// engine.kind=auto with the kernel's BTF hidden (a tmpfs over
// /sys/kernel/btf in a private mount namespace) and no module loaded: no
// source can run, and the error names both remedies.
TEST(KmodSource, AutoWithoutBtfOrModuleNamesBothRemedies) {
  ASSERT_EQ(::geteuid(), 0u) << "mounting over /sys/kernel/btf needs root";
  ASSERT_FALSE(kmod_device_present()) << "this test expects a host without the kestrel module";
  std::string cmd = std::string("unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec ") + KESTREL_BINARY +
                    " -o engine.kind=auto' 2>&1";
  auto [code, out] = kestrel::testing::run_command(cmd);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("engine.kind=auto found no usable syscall source"), std::string::npos) << out;
  EXPECT_NE(out.find("no BTF"), std::string::npos) << out;
  EXPECT_NE(out.find("/dev/kestrel is missing"), std::string::npos) << out;
  EXPECT_NE(out.find("kestrel-driverkit build"), std::string::npos) << out;
  EXPECT_NE(out.find("insmod it"), std::string::npos) << out;
}

}  // namespace
}  // namespace kestrel
