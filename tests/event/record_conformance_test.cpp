// The record-conformance checker finds hand-corrupted records: each
// corruption below is one a producer could make, and each must be named.
#include <gtest/gtest.h>

#include <cstring>

#include "sources/event/event_builder.h"
#include "tests/support/record_conformance.h"

namespace kestrel::test {
namespace {

std::vector<uint8_t> good_connect() {
  const uint8_t sip[4] = {10, 0, 0, 1}, dip[4] = {10, 0, 0, 2};
  return EventBuilder(KE_CONNECT, 1, 2, 2)
      .put_int(KPARAM(CONNECT, res), 0)
      .put_int(KPARAM(CONNECT, fd), 3)
      .put_tuple_in(KPARAM(CONNECT, tuple), sip, 4000, dip, 80)
      .put_sockaddr_in(KPARAM(CONNECT, addr), dip, 80)
      .finish_or_throw();
}

kestrel_event_hdr header_of(const std::vector<uint8_t>& r) {
  kestrel_event_hdr h;
  std::memcpy(&h, r.data(), sizeof h);
  return h;
}
void set_header(std::vector<uint8_t>& r, const kestrel_event_hdr& h) { std::memcpy(r.data(), &h, sizeof h); }
// Offset of param i's data (params before it taken from the length table).
size_t param_offset(const std::vector<uint8_t>& r, uint16_t i) {
  kestrel_event_hdr h = header_of(r);
  size_t at = KESTREL_EVENT_HDR_SIZE + 2 * size_t{h.nparams};
  for (uint16_t j = 0; j < i; ++j) {
    uint16_t len;
    std::memcpy(&len, r.data() + KESTREL_EVENT_HDR_SIZE + 2 * j, 2);
    at += len;
  }
  return at;
}
bool mentions(const std::vector<std::string>& problems, const std::string& what) {
  for (const std::string& p : problems)
    if (p.find(what) != std::string::npos) return true;
  return false;
}

TEST(RecordConformance, AWellFormedRecordHasNoProblems) {
  EXPECT_EQ(describe_problems(record_problems(good_connect())), "");
}

TEST(RecordConformance, HeaderLengthThatDisagrees) {
  auto r = good_connect();
  auto h = header_of(r);
  h.len += 1;
  set_header(r, h);
  EXPECT_TRUE(mentions(record_problems(r), "header len"));
}

TEST(RecordConformance, UnknownType) {
  auto r = good_connect();
  auto h = header_of(r);
  h.type = KE_COUNT + 5;
  set_header(r, h);
  EXPECT_TRUE(mentions(record_problems(r), "not in the event table"));
}

TEST(RecordConformance, ParamCountOtherThanTheTables) {
  auto r = EventBuilder(KE_CONNECT, 1, 1, 1).put_int(KPARAM(CONNECT, res), 0).finish_truncated();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(mentions(record_problems(*r), "1 params, the table has 4"));
}

TEST(RecordConformance, FixedWidthParamOfTheWrongSize) {
  // res (ERRNO, 8 bytes) written as 4: the length table and data stay
  // consistent, only the width is wrong.
  auto r = EventBuilder(KE_CLOSE, 1, 1, 1)
               .put_unchecked_bytes(KPARAM(CLOSE, res), std::vector<uint8_t>(4, 0))
               .put_int(KPARAM(CLOSE, fd), 3)
               .finish_or_throw();
  EXPECT_TRUE(mentions(record_problems(r), "close.res (errno): fixed width 8, has 4"));
}

TEST(RecordConformance, StringWithoutItsNul) {
  auto r = EventBuilder(KE_CHDIR, 1, 1, 1)
               .put_int(KPARAM(CHDIR, res), 0)
               .put_str(KPARAM(CHDIR, path), "/tmp")
               .finish_or_throw();
  r.back() = 'x';  // the path's NUL is the record's last byte
  EXPECT_TRUE(mentions(record_problems(r), "chdir.path (path): string is not NUL-terminated"));
}

TEST(RecordConformance, SockaddrOfAnUnknownFamilyOrTheWrongLayout) {
  auto r = good_connect();
  r[param_offset(r, KP_CONNECT_addr)] = 99;  // family
  EXPECT_TRUE(mentions(record_problems(r), "connect.addr (sockaddr): unknown family 99"));
  auto t = good_connect();
  t[param_offset(t, KP_CONNECT_tuple)] = KESTREL_AF_INET6;  // 13 bytes of an AF_INET tuple
  EXPECT_TRUE(mentions(record_problems(t), "connect.tuple (socktuple): family 10 needs 37 bytes, has 13"));
}

TEST(RecordConformance, UnixPathWithoutItsNul) {
  auto r = EventBuilder(KE_BIND, 1, 1, 1)
               .put_int(KPARAM(BIND, res), 0)
               .put_int(KPARAM(BIND, fd), 3)
               .put_sockaddr_un(KPARAM(BIND, addr), "/run/x.sock")
               .finish_or_throw();
  r.back() = 'k';
  EXPECT_TRUE(mentions(record_problems(r), "AF_UNIX path is not NUL-terminated"));
}

TEST(RecordConformance, ParamLengthsThatRunPastTheRecord) {
  auto r = good_connect();
  uint16_t huge = 60000;
  std::memcpy(r.data() + KESTREL_EVENT_HDR_SIZE + 2 * KP_CONNECT_tuple, &huge, 2);
  EXPECT_TRUE(mentions(record_problems(r), "run past the record"));
}

TEST(RecordConformance, ShorterThanAHeader) {
  std::vector<uint8_t> r(10, 0);
  EXPECT_TRUE(mentions(record_problems(r), "shorter than the header"));
}

}  // namespace
}  // namespace kestrel::test
