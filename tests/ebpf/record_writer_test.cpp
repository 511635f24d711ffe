// The probe's record writer (ebpf/bpf/record.bpf.h) held to the event
// table: a write by name takes its width from events.def, and a write out
// of order, a param left out or added, or a value of the wrong kind drops
// the record as param_mismatch instead of sending it.
//
// Why on the host: a wrong write has to be compiled somewhere, and the
// probe must never carry one. record_writer_host.c builds the same
// record.bpf.h the probe includes against a plain buffer (stand-ins only
// for the map lookups and helpers), so every kind of mismatch can be made
// on purpose and the drop counter read back; the live tests then show the
// real fillers never trip it (unreadable_args_test.cpp).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "sources/abi/kestrel_event.h"
}
#include "ebpf/probe.h"
#include "kmod/kmod_ring.h"  // kestrel_kmod_abi.h
#include "kmod/kmod_source.h"
#include "sources/event/event_view.h"
#include "tests/ebpf/record_writer_host.h"

namespace kestrel {
namespace {

class RecordWriter : public ::testing::Test {
 protected:
  void SetUp() override { kb_host_reset(); }
  uint64_t mismatches() const { return kb_host_drops(kb_host_param_mismatch_reason()); }
};

TEST_F(RecordWriter, ARightWriteIsSentWithTheTablesWidths) {
  size_t len = kb_host_write_openat(KB_HOST_OPENAT_RIGHT, "/etc/hostname");
  ASSERT_GT(len, 0u);
  EXPECT_EQ(mismatches(), 0u);
  auto v = EventView::parse({kb_host_output(), len});
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->type(), KE_OPENAT);
  EXPECT_EQ(v->nparams(), KP_OPENAT_COUNT);
  EXPECT_EQ(v->param(KP_OPENAT_fd).size(), 8u);
  EXPECT_EQ(v->param(KP_OPENAT_flags).size(), 4u);
  EXPECT_EQ(v->param(KP_OPENAT_dev).size(), 4u);
  EXPECT_EQ(v->param(KP_OPENAT_ino).size(), 8u);
  EXPECT_EQ(v->param_int(KP_OPENAT_dirfd), -100);
  EXPECT_EQ(v->param_int(KP_OPENAT_mode), 0640);
  EXPECT_EQ(v->param_str(KP_OPENAT_name), "/etc/hostname");
}

TEST_F(RecordWriter, EveryKindOfWrongWriteIsDroppedAsParamMismatch) {
  struct Case {
    kb_host_openat_writer how;
    const char* what;
  } cases[] = {
      {KB_HOST_OPENAT_SWAPPED, "fd and dirfd swapped"},
      {KB_HOST_OPENAT_MISSING, "mode left out"},
      {KB_HOST_OPENAT_EXTRA, "ino written twice"},
      {KB_HOST_OPENAT_STR_INTO_INT, "a string into flags"},
      {KB_HOST_OPENAT_INT_INTO_PATH, "an integer into name"},
  };
  uint64_t want = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(kb_host_write_openat(c.how, "/etc/hostname"), 0u) << "sent anyway";
    EXPECT_EQ(mismatches(), ++want);
  }
  // And the counter is only for mismatches: a right write after them is sent.
  EXPECT_GT(kb_host_write_openat(KB_HOST_OPENAT_RIGHT, "/etc/hostname"), 0u);
  EXPECT_EQ(mismatches(), want);
}

// Both kernel-side producers report the drop by the same name in
// SourceStats::drops.
// In place, a record is the same bytes as through the scratch; a path too
// long for the reservation is not cut short but written again through the
// scratch, whole.
TEST_F(RecordWriter, InPlaceRecordsMatchTheScratchAndLongPathsAreRedoneWhole) {
  for (size_t path_len : {1, 50, 160, 170, 180, 181, 182, 183, 200, 300, 4000}) {
    std::string path = "/" + std::string(path_len - 1, 'p');
    size_t want = kb_host_write_openat(KB_HOST_OPENAT_RIGHT, path.c_str());
    ASSERT_GT(want, 0u);
    std::vector<uint8_t> scratch(kb_host_output(), kb_host_output() + want);
    int redone = -1;
    size_t len = kb_host_write_openat_in_place(path.c_str(), 256, &redone);
    ASSERT_EQ(len, want) << path_len;
    EXPECT_EQ(std::vector<uint8_t>(kb_host_output(), kb_host_output() + len), scratch) << path_len;
    // 24 header + 14 lengths + 8 + 8 before the name, 4 + 4 + 4 + 8 after.
    EXPECT_EQ(redone, 54 + path_len + 1 + 20 > 256 ? 1 : 0) << path_len;
  }
  EXPECT_EQ(mismatches(), 0u);
}

TEST(ParamMismatchDrop, IsNamedTheSameByTheEbpfAndKmodSources) {
  EXPECT_STREQ(ebpf::drop_reason_name(KB_DROP_PARAM_MISMATCH), "param_mismatch");
  EXPECT_STREQ(kmod_drop_reason_name(KESTREL_KMOD_DROP_PARAM_MISMATCH), "param_mismatch");
}

}  // namespace
}  // namespace kestrel
