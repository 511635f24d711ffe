#include "sources/event/event_view.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <vector>

#include "sources/event/event_builder.h"
#include "sources/event/param_format.h"
#include "sources/event/sockaddr.h"

namespace kestrel {
namespace {

std::vector<uint8_t> openat_record() {
  return EventBuilder(KE_OPENAT, 1700000000123456789ull, 42, 41)
      .put_int(KPARAM(OPENAT, fd), 3)
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name), "/etc/shadow")
      .put_int(KPARAM(OPENAT, flags), 02000000)
      .put_int(KPARAM(OPENAT, mode), 0644)
      .put_int(KPARAM(OPENAT, dev), 0x801)
      .put_int(KPARAM(OPENAT, ino), 1234567)
      .finish_or_throw();
}

TEST(EventView, ReadsWhatTheBuilderWrote) {
  auto bytes = openat_record();
  auto ev = EventView::parse(bytes);
  ASSERT_TRUE(ev.ok()) << ev.status().to_string();
  EXPECT_EQ(ev->ts(), 1700000000123456789ull);
  EXPECT_EQ(ev->tid(), 42u);
  EXPECT_EQ(ev->tgid(), 41u);
  EXPECT_EQ(ev->type(), KE_OPENAT);
  EXPECT_EQ(ev->nparams(), KP_OPENAT_COUNT);
  EXPECT_EQ(ev->param_int(KP_OPENAT_fd), 3);
  EXPECT_EQ(ev->param_int(KP_OPENAT_dirfd), -100);
  EXPECT_EQ(ev->param_str(KP_OPENAT_name), "/etc/shadow");
  EXPECT_EQ(ev->param(KP_OPENAT_flags).size(), 4u);  // FLAGS32 narrowed to 4 bytes
  EXPECT_EQ(ev->param(KP_OPENAT_ino).size(), 8u);
  EXPECT_EQ(format_param(*ev, KP_OPENAT_flags), "O_RDONLY|O_CLOEXEC");
  EXPECT_EQ(format_param(*ev, KP_OPENAT_mode), "0644");
  EXPECT_EQ(format_param(*ev, KP_OPENAT_dirfd), "AT_FDCWD");
  EXPECT_EQ(format_param(*ev, 200), "<NA>");
}

TEST(EventView, AThreadsProcessIsItsTgidOrItselfWhenTheSourceLeftTgidZero) {
  auto bytes = openat_record();
  auto ev = EventView::parse(bytes);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->process_id(), 41u);
  auto no_tgid = EventBuilder(KE_CLOSE, 1, 42, 0).put_int(KPARAM(CLOSE, res), 0).put_int(KPARAM(CLOSE, fd), 3).finish_or_throw();
  auto ev2 = EventView::parse(no_tgid);
  ASSERT_TRUE(ev2.ok()) << ev2.status().to_string();
  EXPECT_EQ(ev2->tgid(), 0u);
  EXPECT_EQ(ev2->process_id(), 42u);
}

TEST(EventView, RejectsMalformedRecords) {
  auto good = openat_record();
  // Too short for a header.
  EXPECT_EQ(EventView::parse(std::span(good).first(10)).status().code(), StatusCode::kTruncated);
  // len field disagrees with the buffer.
  EXPECT_EQ(EventView::parse(std::span(good).first(good.size() - 1)).status().code(), StatusCode::kCorrupt);
  // A param length that runs past the end.
  auto bad = good;
  bad[KESTREL_EVENT_HDR_SIZE + 2 * KP_OPENAT_name] = 0xff;
  EXPECT_EQ(EventView::parse(bad).status().code(), StatusCode::kCorrupt);
  // Too many params.
  bad = good;
  bad[22] = 200;
  EXPECT_EQ(EventView::parse(bad).status().code(), StatusCode::kCorrupt);
}

TEST(EventView, ErrnoAndEmptyParams) {
  auto bytes = EventBuilder(KE_UNLINKAT, 1, 1, 1)
                   .put_int(KPARAM(UNLINKAT, res), -2)
                   .put_int(KPARAM(UNLINKAT, dirfd), -100)
                   .put_empty(KPARAM(UNLINKAT, name))
                   .put_int(KPARAM(UNLINKAT, flags), 0)
                   .finish_or_throw();
  auto ev = EventView::parse(bytes);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(format_param(*ev, KP_UNLINKAT_res), "ENOENT");
  EXPECT_EQ(format_param(*ev, KP_UNLINKAT_name), "<NA>");
  EXPECT_FALSE(ev->has_param(KP_UNLINKAT_name));
}

TEST(SockAddr, TupleRoundTrip) {
  uint8_t sip[4], dip[4];
  inet_pton(AF_INET, "10.0.0.1", sip);
  inet_pton(AF_INET, "127.0.0.1", dip);
  auto tuple = encode_tuple_in(sip, 40000, dip, 8080);
  auto bytes = EventBuilder(KE_CONNECT, 1, 1, 1)
                   .put_int(KPARAM(CONNECT, res), 0)
                   .put_int(KPARAM(CONNECT, fd), 5)
                   .put_bytes(KPARAM(CONNECT, tuple), tuple)
                   .put_empty(KPARAM(CONNECT, addr))
                   .finish_or_throw();
  auto ev = EventView::parse(bytes);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(format_param(*ev, KP_CONNECT_tuple), "10.0.0.1:40000->127.0.0.1:8080");
  auto t = decode_socktuple(ev->param(KP_CONNECT_tuple));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->dport, 8080);
  EXPECT_EQ(t->sip.to_string(), "10.0.0.1");
  // A short tuple is rejected, not over-read.
  EXPECT_FALSE(decode_socktuple(std::span(tuple).first(5)).has_value());
  EXPECT_EQ(decode_sockaddr(encode_sockaddr_un("/run/x.sock"))->to_string(), "/run/x.sock");
}

}  // namespace
}  // namespace kestrel
