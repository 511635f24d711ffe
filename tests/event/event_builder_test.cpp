// The builder writes params by name against the table and reports every
// mismatch as a Status: wrong event, wrong order, wrong kind of value,
// wrong count.
#include <gtest/gtest.h>

#include "sources/event/event_builder.h"
#include "sources/event/event_view.h"
#include "sources/event/process_block.h"
#include "tests/support/record_conformance.h"

namespace kestrel {
namespace {

EventBuilder& openat_params(EventBuilder& b) {
  return b.put_int(KPARAM(OPENAT, fd), 3)
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name), "/etc/shadow")
      .put_int(KPARAM(OPENAT, flags), 0)
      .put_int(KPARAM(OPENAT, mode), 0644)
      .put_empty(KPARAM(OPENAT, dev))
      .put_empty(KPARAM(OPENAT, ino));
}

TEST(EventBuilder, WritesEveryParamWithTheTablesWidth) {
  EventBuilder b(KE_OPENAT, 1, 2, 3);
  openat_params(b);
  auto rec = b.finish();
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  auto v = EventView::parse(*rec);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->nparams(), KP_OPENAT_COUNT);
  EXPECT_EQ(v->param(KP_OPENAT_fd).size(), 8u);     // FD: int64
  EXPECT_EQ(v->param(KP_OPENAT_flags).size(), 4u);  // FLAGS32
  EXPECT_EQ(v->param_str(KP_OPENAT_name), "/etc/shadow");
  EXPECT_TRUE(test::record_problems(*v).empty());
}

TEST(EventBuilder, SwappedSameWidthParamsAreAMismatch) {
  EventBuilder b(KE_SETRESUID, 1, 1, 1);
  b.put_int(KPARAM(SETRESUID, res), 0).put_int(KPARAM(SETRESUID, euid), 0);  // ruid is due
  auto rec = b.finish();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("ruid"), std::string::npos) << rec.status().message();
}

TEST(EventBuilder, AnotherEventsParamIsAMismatch) {
  EventBuilder b(KE_OPEN, 1, 1, 1);
  b.put_int(KPARAM(OPENAT, fd), 3);  // same index 0, another event
  EXPECT_FALSE(b.finish().ok());
}

TEST(EventBuilder, WrongKindOfValueIsAMismatch) {
  EventBuilder b(KE_CLOSE, 1, 1, 1);
  b.put_str(KPARAM(CLOSE, res), "zero");
  EXPECT_FALSE(b.status().ok());
  EventBuilder c(KE_CONNECT, 1, 1, 1);
  const uint8_t ip[4] = {1, 2, 3, 4};
  c.put_int(KPARAM(CONNECT, res), 0).put_int(KPARAM(CONNECT, fd), 3).put_sockaddr_in(KPARAM(CONNECT, tuple), ip, 80);
  EXPECT_FALSE(c.status().ok()) << "a sockaddr written into a socktuple param";
}

TEST(EventBuilder, MissingParamsAtFinishAreAMismatch) {
  EventBuilder b(KE_CLOSE, 1, 1, 1);
  b.put_int(KPARAM(CLOSE, res), 0);
  auto rec = b.finish();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("fd"), std::string::npos) << rec.status().message();
  // Written on purpose as an older producer would: allowed, and shorter.
  EventBuilder t(KE_CLOSE, 1, 1, 1);
  t.put_int(KPARAM(CLOSE, res), 0);
  auto truncated = t.finish_truncated();
  ASSERT_TRUE(truncated.ok());
  auto v = EventView::parse(*truncated);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->nparams(), 1);
}

TEST(EventBuilder, ExtraParamAndUnknownNameAreMismatches) {
  EventBuilder b(KE_CLOSE, 1, 1, 1);
  b.put_int("res", 0).put_int("fd", 3).put_int("fd", 4);
  EXPECT_FALSE(b.finish().ok());
  EventBuilder c(KE_CLOSE, 1, 1, 1);
  c.put_int("result", 0);
  EXPECT_FALSE(c.finish().ok());
}

TEST(EventBuilder, ByNameForRowsPickedAtRunTime) {
  for (uint16_t type : {KE_OPEN, KE_OPENAT, KE_CREAT}) {
    EventBuilder b(type, 1, 1, 1);
    b.put_int("fd", 3);
    if (b.has("dirfd")) b.put_int("dirfd", -100);
    b.put_str("name", "/x");
    if (b.has("flags")) b.put_int("flags", 0);
    b.put_int("mode", 0).put_empty("dev").put_empty("ino");
    auto rec = b.finish();
    ASSERT_TRUE(rec.ok()) << rec.status().message();
    EXPECT_TRUE(test::record_problems(*rec).empty());
  }
}

TEST(EventBuilder, ReusedBuilderKeepsNoStateButItsBuffer) {
  EventBuilder b;
  b.begin(KE_CLOSE, 1, 1, 1);
  b.put_str(KPARAM(CLOSE, res), "bad");
  EXPECT_FALSE(b.finish().ok());
  b.begin(KE_OPENAT, 1, 1, 1);
  openat_params(b);
  auto rec = b.finish();
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  EXPECT_TRUE(test::record_problems(*rec).empty());
}

TEST(EventBuilder, ProcessBlockIsWrittenByName) {
  EventBuilder b(KE_FORK, 1, 1, 1);
  b.put_int(KPARAM(FORK, res), 0);
  ProcessBlockValues p;
  p.exe = "/bin/sh";
  p.tid = p.pid = 7;
  p.uid = 1000;
  put_process_block(b, p);
  auto rec = b.finish();
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  auto v = EventView::parse(*rec);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->param_int(KP_FORK_uid), 1000);
  EXPECT_FALSE(v->has_param(KP_FORK_euid));
  EXPECT_TRUE(test::record_problems(*v).empty());
  // A row without the block.
  EventBuilder c(KE_CLOSE, 1, 1, 1);
  c.put_int(KPARAM(CLOSE, res), 0);
  put_process_block(c, p);
  EXPECT_FALSE(c.status().ok());
}

}  // namespace
}  // namespace kestrel
