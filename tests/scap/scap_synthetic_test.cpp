// The .scap reader on captures built byte by byte (synthetic_scap.h) for
// every block type and version libscap defines, which Falco's traces only
// partly hold: process lists v1..v9 (and the pre-release ids of v1..v3),
// fd lists v1/v2 with every entry kind, user, interface and machine blocks
// of every id, event blocks with and without flags and with large payloads,
// process lists that come after events, and captures cut inside a process
// list. Expected values are the ones the builder wrote.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "sources/abi/kestrel_event.h"
#include "sources/capture/scap_reader.h"
#include "sources/capture/scap_source.h"
#include "tests/scap/synthetic_scap.h"

namespace kestrel {
namespace {

using namespace synthetic_scap;

std::string write_temp(const std::vector<uint8_t>& bytes, const std::string& tag) {
  std::string path = ::testing::TempDir() + "scap_synth_" + tag + ".scap";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return path;
}

// ppm_event_type ids (ppm_events_public.h): PPME_SYSCALL_OPEN_E/X,
// PPME_SYSCALL_CLOSE_E/X, PPME_SYSCALL_WRITE_E/X.
constexpr uint16_t kOpenE = 2, kOpenX = 3, kCloseE = 4, kCloseX = 5, kWriteE = 8, kWriteX = 9;

struct Drained {
  std::vector<std::vector<uint8_t>> records;
  std::vector<bool> enter;
  Status end;
};
Drained drain(ScapSource& src) {
  Drained d;
  EventBatch batch;
  for (;;) {
    auto n = src.next(batch, std::chrono::milliseconds(0));
    if (!n.ok()) {
      d.end = n.status();
      break;
    }
    for (const Event& e : batch.events) {
      d.records.emplace_back(e.view.bytes().begin(), e.view.bytes().end());
      d.enter.push_back(e.enter);
    }
    if (*n == NextOutcome::kEof) break;
  }
  return d;
}

EventView view_of(const std::vector<uint8_t>& rec) {
  auto v = EventView::parse(rec);
  EXPECT_TRUE(v.ok());
  return *v;
}

const ThreadInfo* find_tid(const std::vector<ThreadInfo>& ts, int64_t tid) {
  auto it = std::find_if(ts.begin(), ts.end(), [&](const ThreadInfo& t) { return t.tid == tid; });
  return it == ts.end() ? nullptr : &*it;
}

ProcEntry leader_entry() {
  ProcEntry e;
  e.tid = e.pid = 4000;
  e.ptid = 1;
  e.sid = 4242;
  e.vpgid = 4343;
  e.comm = "worker";
  e.exe = "/usr/bin/worker";
  e.exepath = "/usr/lib/worker/real";
  e.args = std::string("-c\0job", 6);
  e.cwd = "/srv/jobs";
  e.uid = 1001;
  e.gid = 1002;
  e.env = std::string("A=1\0B=2", 7);
  e.vtid = e.vpid = 7;
  e.cgroups = std::string("cpu=/jobs", 9);
  e.root = "/chroot";
  e.tty = 34816;
  e.loginuid = 1001;
  e.cap_effective = 0x3;
  e.cap_permitted = 0x7;
  return e;
}

// A file fd in an FDL block of version 1 (no entry length).
std::vector<uint8_t> fdlist_v1_file(uint64_t tid, int64_t fd, const std::string& name) {
  std::vector<uint8_t> b;
  put(b, tid);
  put(b, fd);
  put<uint64_t>(b, 77);  // ino
  b.push_back(1);        // SCAP_FD_FILE
  str(b, name);
  return b;
}

TEST(ScapSynthetic, ProcessListsOfEveryVersionSeedTheState) {
  struct Case {
    int version;
    bool int_id;
    bool pre_0_10 = false;
    size_t appended = 0;
  };
  const Case cases[] = {{1, false}, {1, true}, {2, false}, {2, true}, {3, false}, {3, true},
                        {4, false}, {5, false}, {6, false}, {7, false}, {8, false}, {9, false},
                        {9, false, true}, {9, false, false, 21}};
  for (const Case& k : cases) {
    SCOPED_TRACE("proclist v" + std::to_string(k.version) + (k.int_id ? " (pre-release id)" : "") +
                 (k.pre_0_10 ? " (before libs 0.10)" : "") + (k.appended ? " (+appended fields)" : ""));
    ProcEntry leader = leader_entry();
    leader.pre_0_10 = k.pre_0_10;
    leader.appended = k.appended;
    ProcEntry thread = leader;
    thread.tid = 4001;
    thread.vtid = 8;
    SyntheticScap w;
    w.section_header();
    w.machine_info(kMI, 2, "host");
    w.proclist(k.version, {leader, thread}, k.int_id);
    w.block(kFDL, fdlist_v1_file(4000, 3, "/srv/jobs/log"));
    // The thread closes the leader's fd: its record carries the leader's pid.
    w.event_in(kEV, kCloseE, 10, 4001, {le<int64_t>(3)});
    w.event_in(kEV, kCloseX, 11, 4001, {le<int64_t>(0)});

    ScapSource src(write_temp(w.bytes(), "pl"));
    ASSERT_TRUE(src.open().ok());
    auto threads = src.initial_state();
    ASSERT_EQ(threads.size(), 2u);
    const ThreadInfo* t = find_tid(threads, 4000);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->pid, 4000);
    EXPECT_EQ(t->ptid, 1);
    EXPECT_EQ(t->comm, "worker");
    EXPECT_EQ(t->exe, "/usr/bin/worker");
    EXPECT_EQ(t->args, (std::vector<std::string>{"-c", "job"}));
    EXPECT_EQ(t->cwd, "/srv/jobs");
    EXPECT_EQ(t->uid, 1001u);
    EXPECT_EQ(t->gid, 1002u);
    EXPECT_EQ(t->env, k.version >= 3 ? (std::vector<std::string>{"A=1", "B=2"}) : std::vector<std::string>{});
    if (k.version >= 4) {
      EXPECT_EQ(t->vpid, 7);
    }
    EXPECT_EQ(t->root, k.version >= 5 ? "/chroot" : "/");
    if (k.version >= 6) {
      EXPECT_EQ(t->sid, 4242);
    }
    EXPECT_EQ(t->exepath, k.version >= 7 ? "/usr/lib/worker/real" : "");
    if (k.version >= 8) {
      EXPECT_EQ(t->pgid, 4343);
    }
    // Absent before v9: libscap's "not set", -1.
    EXPECT_EQ(t->loginuid, k.version >= 9 ? 1001u : UINT32_MAX);
    EXPECT_EQ(t->tty, k.version >= 9 && !k.pre_0_10 ? 34816u : 0u);
    EXPECT_EQ(t->cap_effective, k.version >= 9 ? 0x3u : 0u);
    EXPECT_EQ(t->cap_permitted, k.version >= 9 ? 0x7u : 0u);
    ASSERT_EQ(t->fds.size(), 1u);
    EXPECT_EQ(t->fds[0].fd, 3);
    EXPECT_EQ(t->fds[0].name, "/srv/jobs/log");
    const ThreadInfo* th = find_tid(threads, 4001);
    ASSERT_NE(th, nullptr);
    EXPECT_EQ(th->pid, 4000);
    if (k.version >= 4) {
      EXPECT_EQ(th->vtid, 8);
    }

    Drained d = drain(src);
    ASSERT_TRUE(d.end.ok()) << d.end.to_string();
    ASSERT_EQ(d.records.size(), 2u);
    EventView x = view_of(d.records[1]);
    EXPECT_EQ(x.type(), KE_CLOSE);
    EXPECT_EQ(x.tid(), 4001u);
    EXPECT_EQ(x.tgid(), 4000u);
  }
}

TEST(ScapSynthetic, FdListsOfEveryVersionAndEntryKind) {
  for (uint32_t type : {kFDL, kFDLInt, kFDLV2}) {
    const bool v2 = type == kFDLV2;
    SCOPED_TRACE("fd list block 0x" + [&] {
      char b[16];
      std::snprintf(b, sizeof b, "%x", type);
      return std::string(b);
    }());
    std::vector<uint8_t> b;
    put<uint64_t>(b, 4000);
    size_t at = 0;
    auto begin = [&](int64_t fd, uint8_t kind) {
      at = b.size();
      if (v2) put<uint32_t>(b, 0);
      put(b, fd);
      put<uint64_t>(b, 500 + static_cast<uint64_t>(fd));  // ino
      b.push_back(kind);
    };
    auto end = [&] {
      if (v2) set_len(b, at);
    };
    const uint8_t ip_a[4] = {10, 0, 0, 1}, ip_b[4] = {10, 0, 0, 2};
    uint8_t ip6_a[16] = {}, ip6_b[16] = {};
    ip6_a[0] = 0x20, ip6_a[1] = 0x01, ip6_a[2] = 0x0d, ip6_a[3] = 0xb8, ip6_a[15] = 1;
    ip6_b[0] = 0x20, ip6_b[1] = 0x01, ip6_b[2] = 0x0d, ip6_b[3] = 0xb8, ip6_b[15] = 2;
    begin(3, 3);  // SCAP_FD_IPV4_SOCK: sip, dip (network order), sport, dport, l4proto
    b.insert(b.end(), ip_a, ip_a + 4);
    b.insert(b.end(), ip_b, ip_b + 4);
    put<uint16_t>(b, 40000);
    put<uint16_t>(b, 80);
    b.push_back(2);  // SCAP_L4_TCP
    end();
    begin(4, 5);  // SCAP_FD_IPV4_SERVSOCK: ip, port, l4proto
    b.insert(b.end(), ip_b, ip_b + 4);
    put<uint16_t>(b, 8080);
    b.push_back(2);
    end();
    begin(5, 4);  // SCAP_FD_IPV6_SOCK
    b.insert(b.end(), ip6_a, ip6_a + 16);
    b.insert(b.end(), ip6_b, ip6_b + 16);
    put<uint16_t>(b, 40001);
    put<uint16_t>(b, 443);
    b.push_back(3);  // SCAP_L4_UDP
    end();
    begin(6, 6);  // SCAP_FD_IPV6_SERVSOCK
    b.insert(b.end(), ip6_b, ip6_b + 16);
    put<uint16_t>(b, 8443);
    b.push_back(2);
    end();
    begin(7, 8);  // SCAP_FD_UNIX_SOCK: source, destination, name
    put<uint64_t>(b, 0xffff0001);
    put<uint64_t>(b, 0xffff0002);
    str(b, "/run/app.sock");
    end();
    begin(8, 1);  // SCAP_FD_FILE
    str(b, "/var/log/app.log");
    end();
    begin(9, 2);  // SCAP_FD_DIRECTORY
    str(b, "/var/log");
    end();
    begin(10, 7);  // SCAP_FD_FIFO
    str(b, "pipe:[123]");
    end();
    begin(11, 16);  // SCAP_FD_FILE_V2: open flags (PPM_O_*), name, and in v2 blocks dev
    put<uint32_t>(b, (1u << 1) | (1u << 3));  // PPM_O_WRONLY | PPM_O_APPEND
    str(b, "/var/log/audit.log");
    if (v2) put<uint32_t>(b, 0x803);
    end();
    if (v2) {
      // A kind from a newer writer, skipped by its length; and an entry
      // with fields appended after the ones libscap reads.
      begin(12, 99);
      b.insert(b.end(), 9, 0xee);
      end();
      begin(13, 1);
      str(b, "/tmp/extended");
      b.insert(b.end(), 5, 0xdd);
      end();
    }

    SyntheticScap w;
    w.section_header();
    ProcEntry leader = leader_entry();
    w.proclist(9, {leader});
    w.block(type, b);
    ScapSource src(write_temp(w.bytes(), "fdl"));
    ASSERT_TRUE(src.open().ok());
    auto threads = src.initial_state();
    ASSERT_EQ(threads.size(), 1u);
    const auto& fds = threads[0].fds;
    ASSERT_EQ(fds.size(), v2 ? 11u : 9u);
    auto fd = [&](int64_t n) -> const FdInfo& {
      auto it = std::find_if(fds.begin(), fds.end(), [&](const FdInfo& f) { return f.fd == n; });
      EXPECT_NE(it, fds.end()) << n;
      return *it;
    };
    // Names as sysdig's fd.name shows them (libsinsp ipv4tuple_to_string).
    EXPECT_EQ(fd(3).type, FdType::kIpv4);
    EXPECT_EQ(fd(3).name, "10.0.0.1:40000->10.0.0.2:80");
    EXPECT_EQ(fd(3).l4proto, IPPROTO_TCP);
    EXPECT_EQ(fd(3).ino, 503u);
    EXPECT_EQ(fd(4).type, FdType::kIpv4);
    EXPECT_TRUE(fd(4).listening);
    EXPECT_EQ(fd(4).name, "10.0.0.2:8080");
    EXPECT_EQ(fd(5).type, FdType::kIpv6);
    // Kestrel's IPv6 form (brackets, as its live sources); libsinsp prints
    // "2001:db8::1:40001->2001:db8::2:443" (no Falco trace holds one).
    EXPECT_EQ(fd(5).name, "[2001:db8::1]:40001->[2001:db8::2]:443");
    EXPECT_EQ(fd(5).l4proto, IPPROTO_UDP);
    EXPECT_EQ(fd(6).type, FdType::kIpv6);
    EXPECT_TRUE(fd(6).listening);
    EXPECT_EQ(fd(7).type, FdType::kUnix);
    EXPECT_EQ(fd(7).name, "/run/app.sock");
    EXPECT_EQ(fd(8).type, FdType::kFile);
    EXPECT_EQ(fd(8).name, "/var/log/app.log");
    EXPECT_EQ(fd(9).type, FdType::kDirectory);
    EXPECT_EQ(fd(9).name, "/var/log");
    EXPECT_EQ(fd(10).type, FdType::kPipe);
    EXPECT_EQ(fd(11).type, FdType::kFile);
    EXPECT_EQ(fd(11).name, "/var/log/audit.log");
    EXPECT_EQ(fd(11).open_flags, static_cast<uint32_t>(O_WRONLY | O_APPEND));
    EXPECT_EQ(fd(11).dev, v2 ? 0x803u : 0u);
    if (v2) {
      EXPECT_EQ(fd(12).name, "unknown-type:[99]");
      EXPECT_EQ(fd(13).name, "/tmp/extended");
    }
  }
}

// USERBLOCK entries: u8 type (0 user, 1 group), then the fields; v2 entries
// start with their length.
std::vector<uint8_t> userlist(bool v2) {
  std::vector<uint8_t> b;
  size_t at = b.size();
  if (v2) put<uint32_t>(b, 0);
  b.push_back(0);
  put<uint32_t>(b, 1001);
  put<uint32_t>(b, 1002);
  str(b, "builder");
  str(b, "/home/builder");
  str(b, "/bin/bash");
  if (v2) {
    put<uint32_t>(b, 0xabcdef);  // a field a newer writer appended
    set_len(b, at);
  }
  at = b.size();
  if (v2) put<uint32_t>(b, 0);
  b.push_back(1);
  put<uint32_t>(b, 1002);
  str(b, "builders");
  if (v2) set_len(b, at);
  return b;
}

// Interface entries (scap_ifinfo_ipv4/ipv6 and their _nolinkspeed forms):
// u16 type, u16 name length, addresses, [link speed], name. v2 entries start
// with their length, not counting the length itself.
std::vector<uint8_t> iflist(bool v2) {
  std::vector<uint8_t> b;
  auto entry = [&](uint16_t type, size_t addr_bytes, bool linkspeed, const std::string& name, size_t appended) {
    const size_t at = b.size();
    if (v2) put<uint32_t>(b, 0);
    put<uint16_t>(b, type);
    put<uint16_t>(b, static_cast<uint16_t>(name.size()));
    b.insert(b.end(), addr_bytes, 0x11);
    if (linkspeed) put<uint64_t>(b, 1000);
    b.insert(b.end(), name.begin(), name.end());
    b.insert(b.end(), appended, 0x22);
    if (v2) {
      const uint32_t n = static_cast<uint32_t>(b.size() - at - 4);
      std::memcpy(b.data() + at, &n, 4);
    }
  };
  entry(1, 12, true, "eth0", v2 ? 3 : 0);  // SCAP_II_IPV4
  entry(2, 48, true, "eth0", 0);           // SCAP_II_IPV6
  entry(3, 12, false, "lo", 0);            // SCAP_II_IPV4_NOLINKSPEED
  entry(4, 48, false, "lo", 0);            // SCAP_II_IPV6_NOLINKSPEED
  return b;
}

TEST(ScapSynthetic, UserInterfaceAndMachineBlocksOfEveryId) {
  struct Case {
    uint32_t ul, il, mi;
  };
  for (const Case& k : {Case{kUL, kIL, kMI}, Case{kULInt, kILInt, kMIInt}, Case{kULV2, kILV2, kMI}}) {
    SCOPED_TRACE("user list 0x" + std::to_string(k.ul));
    const bool v2 = k.ul == kULV2;
    SyntheticScap w;
    w.section_header();
    w.machine_info(k.mi, 6, "scap-host-" + std::to_string(k.mi));
    w.block(k.il, iflist(v2));
    w.block(k.ul, userlist(v2));
    w.proclist(1, {leader_entry()});
    w.event_in(kEV, kCloseE, 10, 4000, {le<int64_t>(3)});
    ScapSource src(write_temp(w.bytes(), "ul"));
    Status st = src.open();
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(src.reader().machine().num_cpus, 6u);
    EXPECT_EQ(src.reader().machine().hostname, "scap-host-" + std::to_string(k.mi));
    const auto& ifs = src.reader().interfaces();
    ASSERT_EQ(ifs.size(), 4u);
    EXPECT_EQ(ifs[0].name, "eth0");
    EXPECT_EQ(ifs[0].type, 1);
    EXPECT_EQ(ifs[1].type, 2);
    EXPECT_EQ(ifs[2].name, "lo");
    EXPECT_EQ(ifs[3].type, 4);
    auto users = src.capture_users();
    ASSERT_TRUE(users.has_value());
    ASSERT_EQ(users->users.size(), 1u);
    EXPECT_EQ(users->users[0].uid, 1001u);
    EXPECT_EQ(users->users[0].name, "builder");
    EXPECT_EQ(users->users[0].home, "/home/builder");
    EXPECT_EQ(users->users[0].shell, "/bin/bash");
    ASSERT_EQ(users->groups.size(), 1u);
    EXPECT_EQ(users->groups[0].name, "builders");
    Drained d = drain(src);
    EXPECT_TRUE(d.end.ok()) << d.end.to_string();
    EXPECT_EQ(d.records.size(), 1u);
  }
}

TEST(ScapSynthetic, EventBlocksOfEveryTypeAreRead) {
  const uint32_t types[] = {kEV, kEVInt, kEVF, kEVV2, kEVFV2, kEVV2Large, kEVFV2Large};
  for (uint32_t type : types) {
    SCOPED_TRACE("event block 0x" + std::to_string(type));
    const bool large = type == kEVV2Large || type == kEVFV2Large;
    const bool flags = type == kEVF || type == kEVFV2 || type == kEVFV2Large;
    SyntheticScap w;
    w.section_header();
    w.proclist(9, {leader_entry()});
    const uint32_t ppm_rdwr_creat = 3u | (1u << 2);
    w.event_in(type, kOpenE, 100, 4000, {cstr("/srv/jobs/out"), le<uint32_t>(ppm_rdwr_creat), le<uint32_t>(0600)}, 0x5);
    w.event_in(type, kOpenX, 101, 4000,
               {le<int64_t>(9), cstr("/srv/jobs/out"), le<uint32_t>(ppm_rdwr_creat), le<uint32_t>(0600),
                le<uint32_t>(0x803), le<uint64_t>(4242)},
               0x5);
    // A payload only a large block can hold (u16 lengths stop at 65535).
    const size_t payload = large ? 70000 : 1000;
    w.event_in(type, kWriteE, 102, 4000, {le<int64_t>(9), le<uint32_t>(static_cast<uint32_t>(payload))});
    w.event_in(type, kWriteX, 103, 4000, {le<int64_t>(static_cast<int64_t>(payload)), std::vector<uint8_t>(payload, 'x')});
    const std::string path = write_temp(w.bytes(), "ev");

    scap::ScapReader r;
    ASSERT_TRUE(r.open(path).ok());
    scap::RawEvent raw;
    auto n = r.next(raw);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, scap::NextResult::kEvent);
    EXPECT_EQ(raw.block_type, type);
    EXPECT_EQ(raw.flags, flags ? 0x5u : 0u);
    EXPECT_EQ(raw.type, kOpenE);
    EXPECT_EQ(raw.params.size(), 3u);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(*r.next(raw), scap::NextResult::kEvent);
    ASSERT_EQ(raw.params.size(), 2u);
    EXPECT_EQ(raw.params[1].size(), payload);
    EXPECT_EQ(*r.next(raw), scap::NextResult::kEnd);

    ScapSource src(path);
    ASSERT_TRUE(src.open().ok());
    Drained d = drain(src);
    ASSERT_TRUE(d.end.ok()) << d.end.to_string();
    ASSERT_EQ(d.records.size(), 4u);
    EventView open_x = view_of(d.records[1]);
    EXPECT_EQ(open_x.type(), KE_OPEN);
    EXPECT_EQ(open_x.param_int(KP_OPEN_fd), 9);
    EXPECT_EQ(open_x.param_str(KP_OPEN_name), "/srv/jobs/out");
    EXPECT_EQ(open_x.param_uint(KP_OPEN_flags), static_cast<uint64_t>(O_RDWR | O_CREAT));
    EXPECT_EQ(open_x.param_uint(KP_OPEN_ino), 4242u);
    EventView write_x = view_of(d.records[3]);
    EXPECT_EQ(write_x.type(), KE_WRITE);
    EXPECT_EQ(write_x.param_int(KP_WRITE_res), static_cast<int64_t>(payload));
    EXPECT_EQ(write_x.param_int(KP_WRITE_fd), 9);
  }
}

// A capture whose second process list comes after events: the process it
// names (pid 5000, a thread 5001) and its fd are known to the state from
// there on, and its events carry its pid.
std::vector<uint8_t> late_list_capture(size_t* late_block_offset = nullptr) {
  SyntheticScap w;
  w.section_header();
  w.proclist(9, {leader_entry()});
  w.event_in(kEVV2, kCloseE, 10, 4000, {le<int64_t>(3)});
  w.event_in(kEVV2, kCloseX, 11, 4000, {le<int64_t>(0)});
  if (late_block_offset) *late_block_offset = w.bytes().size();
  ProcEntry late = leader_entry();
  late.tid = late.pid = 5000;
  late.comm = "latecomer";
  late.exe = "/opt/late";
  late.args = "";
  ProcEntry late_thread = late;
  late_thread.tid = 5001;
  w.proclist(9, {late, late_thread});
  std::vector<uint8_t> fdl;
  put<uint64_t>(fdl, 5000);
  const size_t at = fdl.size();
  put<uint32_t>(fdl, 0);
  put<int64_t>(fdl, 6);
  put<uint64_t>(fdl, 66);
  fdl.push_back(1);  // SCAP_FD_FILE
  str(fdl, "/late/file");
  set_len(fdl, at);
  w.block(kFDLV2, fdl);
  w.event_in(kEVV2, kCloseE, 20, 5001, {le<int64_t>(6)});
  w.event_in(kEVV2, kCloseX, 21, 5001, {le<int64_t>(0)});
  return w.bytes();
}

TEST(ScapSynthetic, AProcessListAfterEventsAddsItsThreads) {
  ScapSource src(write_temp(late_list_capture(), "late"));
  ASSERT_TRUE(src.open().ok());
  auto first = src.initial_state();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].pid, 4000);
  Drained d = drain(src);
  ASSERT_TRUE(d.end.ok()) << d.end.to_string();
  ASSERT_EQ(d.records.size(), 4u);
  EventView late_close = view_of(d.records[3]);
  EXPECT_EQ(late_close.tid(), 5001u);
  EXPECT_EQ(late_close.tgid(), 5000u);  // from the late list: a thread of 5000
  auto described = src.describe_process(kHostDomain, 5000);
  ASSERT_TRUE(described.has_value());
  ASSERT_EQ(described->size(), 2u);
  const ThreadInfo* leader = find_tid(*described, 5000);
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(leader->comm, "latecomer");
  EXPECT_EQ(leader->exe, "/opt/late");
  EXPECT_EQ(leader->uid, 1001u);
  ASSERT_EQ(leader->fds.size(), 1u);
  EXPECT_EQ(leader->fds[0].name, "/late/file");
  EXPECT_NE(find_tid(*described, 5001), nullptr);
}

TEST(ScapSynthetic, ACaptureCutInsideAProcessListNamesTheListsOffset) {
  // Cut inside the first process list: nothing can be replayed, the error
  // names the list's block.
  {
    SyntheticScap w;
    w.section_header();
    w.machine_info(kMI, 2, "host");
    const size_t pl_at = w.bytes().size();
    w.proclist(9, {leader_entry(), leader_entry()});
    const size_t pl_len = w.bytes().size() - pl_at;
    std::vector<uint8_t> cut(w.bytes().begin(), w.bytes().begin() + pl_at + pl_len / 2);
    ScapSource src(write_temp(cut, "cut_pl_first"));
    Status st = src.open();
    EXPECT_EQ(st.code(), StatusCode::kTruncated) << st.to_string();
    ASSERT_TRUE(st.where().offset.has_value());
    EXPECT_EQ(*st.where().offset, pl_at);
  }
  // Cut inside a process list that follows events: those events are
  // delivered, then the error names the list's offset.
  size_t late_at = 0;
  const auto full = late_list_capture(&late_at);
  std::vector<uint8_t> cut(full.begin(), full.begin() + late_at + 40);
  ScapSource src(write_temp(cut, "cut_pl_late"));
  ASSERT_TRUE(src.open().ok());
  Drained d = drain(src);
  EXPECT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.end.code(), StatusCode::kTruncated) << d.end.to_string();
  ASSERT_TRUE(d.end.where().offset.has_value());
  EXPECT_EQ(*d.end.where().offset, late_at);
}

}  // namespace
}  // namespace kestrel
