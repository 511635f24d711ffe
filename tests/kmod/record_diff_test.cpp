// The differential test's comparison (record_diff.h) on records built here:
// what it ignores (pids, excepted params), what it must catch (any other
// param, a missing type, a count that differs), and its pairing per
// (role, type).
#include "tests/kmod/record_diff.h"

#include <gtest/gtest.h>

#include "sources/event/event_builder.h"
#include "sources/event/event_view.h"

namespace kestrel::testing {
namespace {

OwnedRecord own(EventBuilder& b, uint64_t ts) {
  std::vector<uint8_t> bytes = b.finish_or_throw();
  uint16_t type = EventView::parse(bytes)->type();
  return OwnedRecord{bytes, ts, type};
}

OwnedRecord kill_record(uint32_t tgid, int64_t target, uint64_t ts = 1) {
  EventBuilder b(KE_KILL, ts, tgid, tgid);
  b.put_int(KPARAM(KILL, res), 0).put_int(KPARAM(KILL, pid), target).put_int(KPARAM(KILL, sig), 0);
  return own(b, ts);
}

OwnedRecord openat_record(uint64_t ino, const char* name = "f1", uint64_t ts = 1) {
  EventBuilder b(KE_OPENAT, ts, 10, 10);
  b.put_int(KPARAM(OPENAT, fd), 3)
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name), name)
      .put_int(KPARAM(OPENAT, flags), 0)
      .put_int(KPARAM(OPENAT, mode), 0)
      .put_int(KPARAM(OPENAT, dev), 7)
      .put_int(KPARAM(OPENAT, ino), static_cast<int64_t>(ino));
  return own(b, ts);
}

OwnedRecord pipe_record(uint64_t ino) {
  EventBuilder b(KE_PIPE, 1, 10, 10);
  b.put_int(KPARAM(PIPE, res), 0)
      .put_int(KPARAM(PIPE, fd1), 3)
      .put_int(KPARAM(PIPE, fd2), 4)
      .put_int(KPARAM(PIPE, ino), static_cast<int64_t>(ino));
  return own(b, 1);
}

OwnedRecord unix_connect(uint64_t source, uint64_t dest, const char* path) {
  EventBuilder b(KE_CONNECT, 1, 10, 10);
  b.put_int(KPARAM(CONNECT, res), 0)
      .put_int(KPARAM(CONNECT, fd), 5)
      .put_tuple_un(KPARAM(CONNECT, tuple), source, dest, path)
      .put_sockaddr_un(KPARAM(CONNECT, addr), path);
  return own(b, 1);
}

TEST(RecordDiff, PidParamsAndHeaderPidsAreNotCompared) {
  EXPECT_EQ(record_difference(kill_record(100, 100), kill_record(200, 200)), "");
}

TEST(RecordDiff, AnyOtherParamIsCompared) {
  std::string d = record_difference(openat_record(5), openat_record(6));
  EXPECT_NE(d.find("ino"), std::string::npos) << d;
  d = record_difference(openat_record(5, "f1"), openat_record(5, "f2"));
  EXPECT_NE(d.find("name"), std::string::npos) << d;
  EXPECT_EQ(d.find("ino"), std::string::npos) << d;
}

TEST(RecordDiff, ExceptedParamsAreIgnoredButReported) {
  std::set<std::string> excused;
  EXPECT_EQ(record_difference(pipe_record(1000), pipe_record(2000), &excused), "");
  EXPECT_EQ(excused, std::set<std::string>{"ino"});
  ASSERT_NE(exception_for(KE_PIPE, "ino"), nullptr);
  EXPECT_FALSE(exception_for(KE_PIPE, "ino")->reason.empty());
  EXPECT_EQ(exception_for(KE_OPENAT, "ino"), nullptr);
}

TEST(RecordDiff, UnixTuplesAreComparedWhole) {
  EXPECT_EQ(record_difference(unix_connect(1, 2, "sock"), unix_connect(1, 2, "sock")), "");
  std::string d = record_difference(unix_connect(1, 2, "sock"), unix_connect(3, 4, "sock"));
  EXPECT_NE(d.find("tuple"), std::string::npos) << d;
  d = record_difference(unix_connect(1, 2, "sock"), unix_connect(1, 2, "other"));
  EXPECT_NE(d.find("tuple"), std::string::npos) << d;
}

TEST(RecordDiff, PairsPerRoleAndTypeInOrder) {
  // The same records, interleaved differently across types: still pairs.
  RoleRecords a{{"main", {kill_record(1, 1, 1), openat_record(5, "f1", 2), openat_record(6, "f2", 3)}}};
  RoleRecords b{{"main", {openat_record(5, "f1", 1), kill_record(2, 2, 2), openat_record(6, "f2", 3)}}};
  auto r = compare_runs(a, b);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[KE_KILL].ok());
  EXPECT_TRUE(r[KE_OPENAT].ok());
  EXPECT_EQ(r[KE_OPENAT].matched, 2u);
}

TEST(RecordDiff, AMissingTypeOrCountFails) {
  RoleRecords kmod{{"main", {openat_record(5)}}};
  RoleRecords ebpf{{"main", {openat_record(5), openat_record(5), kill_record(1, 1)}}};
  auto r = compare_runs(kmod, ebpf);
  EXPECT_FALSE(r[KE_KILL].ok());
  EXPECT_EQ(r[KE_KILL].kmod, 0u);
  EXPECT_EQ(r[KE_KILL].ebpf, 1u);
  EXPECT_FALSE(r[KE_OPENAT].ok());
  EXPECT_EQ(r[KE_OPENAT].matched, 1u);
  EXPECT_FALSE(r[KE_OPENAT].mismatches.empty());
  std::string table = format_table(r, EventTypeSet().set(KE_MMAP));
  EXPECT_NE(table.find("mmap"), std::string::npos) << table;  // expected, in neither run
  EXPECT_NE(table.find("0 of 3 types match"), std::string::npos) << table;
}

TEST(RecordDiff, ParsePidsRefusesMalformedLines) {
  auto ok = parse_pids({"main 10", "fork 11", ""});
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->at(11), "fork");
  EXPECT_FALSE(parse_pids({"main"}).ok());
  EXPECT_FALSE(parse_pids({"main 10", "other 10"}).ok());
  EXPECT_FALSE(parse_pids({}).ok());
}

}  // namespace
}  // namespace kestrel::testing
