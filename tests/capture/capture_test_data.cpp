#include "tests/capture/capture_test_data.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string_view>

#include "sources/capture/kcap_reader.h"
#include "sources/event/event_builder.h"
#include "sources/event/process_block.h"

namespace kestrel::kcap::testing {

namespace {

Bytes execve(uint64_t ts, uint32_t tid, std::mt19937& rng) {
  std::string exe = "/usr/bin/tool" + std::to_string(rng() % 50);
  std::string arg1 = "--flag=" + std::to_string(rng());
  std::vector<std::string_view> args = {exe, arg1, "", "last arg with spaces"};
  std::vector<std::string_view> env = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};
  std::vector<std::string_view> cgroups = {"cpu=/user.slice", "memory=/user.slice"};
  EventBuilder b(KE_EXECVE, ts, tid, tid);
  b.put_int(KPARAM(EXECVE, res), 0);
  ProcessBlockValues p;
  p.exe = exe;
  p.args = args;
  p.tid = p.pid = p.pgid = p.sid = p.vtid = p.vpid = tid;
  p.ptid = 1;
  p.cwd = "/home/user";
  p.comm = "tool";
  p.env = env;
  p.tty = 34816;
  p.loginuid = 1000;
  p.uid = 1000;
  p.euid = 0;
  p.gid = p.egid = 1000;
  p.cap_inheritable = 0;
  p.cap_permitted = p.cap_effective = 0x1ffffffffffull;
  p.cgroups = cgroups;
  p.exe_flags = 1;
  p.start_ts = ts - 1000;
  put_process_block(b, p);  // exepath: not reported (empty)
  put_exe_inode(b, {.ino = 1000u + rng() % 50, .ctime = 1'700'000'000'000'000'000u, .mtime = 1'690'000'000'000'000'000u, .sha256 = {}});
  return b.finish_or_throw();
}

Bytes openat(uint64_t ts, uint32_t tid, std::mt19937& rng) {
  return EventBuilder(KE_OPENAT, ts, tid, tid)
      .put_int(KPARAM(OPENAT, fd), static_cast<int64_t>(rng() % 1000) - 2)  // sometimes an error
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name),
               rng() % 7 == 0 ? "/etc/shadow" : "/var/log/app" + std::to_string(rng() % 100) + ".log")
      .put_int(KPARAM(OPENAT, flags), 02000101)
      .put_int(KPARAM(OPENAT, mode), 0644)
      .put_int(KPARAM(OPENAT, dev), 0x801)
      .put_int(KPARAM(OPENAT, ino), rng())
      .finish_or_throw();
}

Bytes connect(uint64_t ts, uint32_t tid, std::mt19937& rng) {
  Bytes tuple, addr;
  if (rng() % 2) {
    uint8_t sip[4] = {10, 0, 0, static_cast<uint8_t>(rng())}, dip[4] = {93, 184, 216, 34};
    tuple = encode_tuple_in(sip, static_cast<uint16_t>(40000 + rng() % 1000), dip, 443);
    addr = encode_sockaddr_in(dip, 443);
  } else {
    uint8_t sip[16] = {0xfe, 0x80}, dip[16] = {0x20, 0x01, 0x0d, 0xb8};
    sip[15] = static_cast<uint8_t>(rng());
    tuple = encode_tuple_in6(sip, 51000, dip, 8080);
    addr = encode_sockaddr_in6(dip, 8080);
  }
  return EventBuilder(KE_CONNECT, ts, tid, tid)
      .put_int(KPARAM(CONNECT, res), 0)
      .put_int(KPARAM(CONNECT, fd), 5)
      .put_bytes(KPARAM(CONNECT, tuple), tuple)
      .put_bytes(KPARAM(CONNECT, addr), addr)
      .finish_or_throw();
}

Bytes read_data(uint64_t ts, uint32_t tid, std::mt19937& rng) {
  Bytes data(rng() % 200);
  for (auto& c : data) c = static_cast<uint8_t>(rng());
  return EventBuilder(KE_READ, ts, tid, tid)
      .put_int(KPARAM(READ, res), static_cast<int64_t>(data.size()))
      .put_int(KPARAM(READ, fd), 3)
      .put_int(KPARAM(READ, size), 4096)
      .put_bytes(KPARAM(READ, data), data)
      .finish_or_throw();
}

}  // namespace

std::vector<Bytes> make_events(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Bytes> out;
  out.reserve(n);
  uint64_t ts = 1'700'000'000'000'000'000ull + seed;
  for (size_t i = 0; i < n; ++i) {
    ts += 1 + rng() % 100000;
    uint32_t tid = 100 + rng() % 5000;
    switch (i % 10) {
      case 0: out.push_back(execve(ts, tid, rng)); break;
      case 1: case 2: out.push_back(openat(ts, tid, rng)); break;
      case 3: out.push_back(connect(ts, tid, rng)); break;
      case 4:
        out.push_back(EventBuilder(KE_SOCKET, ts, tid, tid)
                          .put_int(KPARAM(SOCKET, fd), 5)
                          .put_int(KPARAM(SOCKET, domain), 2)
                          .put_int(KPARAM(SOCKET, type), 1)
                          .put_int(KPARAM(SOCKET, proto), 6)
                          .finish_or_throw());
        break;
      case 5: out.push_back(read_data(ts, tid, rng)); break;
      case 6:
        out.push_back(EventBuilder(KE_UNLINKAT, ts, tid, tid)
                          .put_int(KPARAM(UNLINKAT, res), -2)
                          .put_int(KPARAM(UNLINKAT, dirfd), -100)
                          .put_str(KPARAM(UNLINKAT, name), "/tmp/x")
                          .put_int(KPARAM(UNLINKAT, flags), 0)
                          .finish_or_throw());
        break;
      case 7:
        out.push_back(EventBuilder(KE_CLOSE, ts, tid, tid)
                          .put_int(KPARAM(CLOSE, res), 0)
                          .put_int(KPARAM(CLOSE, fd), rng() % 64)
                          .finish_or_throw());
        break;
      case 8:
        out.push_back(EventBuilder(KE_PROCEXIT, ts, tid, tid)
                          .put_int(KPARAM(PROCEXIT, status), 256)
                          .put_int(KPARAM(PROCEXIT, ret), 1)
                          .put_int(KPARAM(PROCEXIT, sig), 0)
                          .put_int(KPARAM(PROCEXIT, core), 0)
                          .put_int(KPARAM(PROCEXIT, reaper_tid), 1)
                          .finish_or_throw());
        break;
      default:  // a path that could not be read: an empty param
        out.push_back(EventBuilder(KE_OPENAT, ts, tid, tid)
                          .put_int(KPARAM(OPENAT, fd), -14)
                          .put_int(KPARAM(OPENAT, dirfd), -100)
                          .put_empty(KPARAM(OPENAT, name))
                          .put_int(KPARAM(OPENAT, flags), 0)
                          .put_int(KPARAM(OPENAT, mode), 0)
                          .put_empty(KPARAM(OPENAT, dev))
                          .put_empty(KPARAM(OPENAT, ino))
                          .finish_or_throw());
        break;
    }
  }
  return out;
}

std::vector<ThreadInfo> make_snapshot() {
  std::vector<ThreadInfo> out;
  for (int p = 0; p < 3; ++p) {
    ThreadInfo t;
    t.domain = static_cast<uint32_t>(p == 2 ? 7 : 0);
    t.tid = 1000 + p;
    t.pid = 1000 + p;
    t.ptid = 1;
    t.sid = 900 + p;
    t.pgid = 950 + p;
    t.vtid = 10 + p;
    t.vpid = 20 + p;
    t.comm = "proc" + std::to_string(p);
    t.exe = "/bin/proc" + std::to_string(p);
    t.exepath = "/usr/bin/proc" + std::to_string(p);
    t.args = {"-v", "", "arg with space", std::string(300, 'a' + p)};
    t.env = {"PATH=/bin", "SECRET=x" + std::to_string(p)};
    t.cwd = "/work/" + std::to_string(p);
    t.root = p == 1 ? "/chroot" : "/";
    t.uid = 1001;
    t.euid = 1002;
    t.gid = 1003;
    t.egid = 1004;
    t.loginuid = p == 0 ? UINT32_MAX : 1005;
    t.tty = 34817;
    t.cap_inheritable = 0x11;
    t.cap_permitted = 0x1ffffffffffull;
    t.cap_effective = 0x22;
    t.container_id = p == 2 ? "0123456789ab" : "";
    t.container_full_id = p == 2 ? "0123456789ab" + std::string(52, 'c') : "";
    t.container_type = p == 2 ? "containerd" : "";
    if (p == 2) t.cgroups = {{"cpuset", "/docker/0123456789ab"}, {"", "/system.slice/containerd.service"}};
    t.start_ts = 1'700'000'000'123'456'789ull + p;
    t.exe_flags = 3;
    t.exe_ino = 7700 + static_cast<uint64_t>(p);
    t.exe_ino_ctime = 1'700'000'000'123'456'789u;
    t.exe_ino_mtime = 1'690'000'000'987'654'321u;
    if (p == 2) t.exe_sha256 = std::string(64, 'e');
    if (p != 1) {
      FdInfo f;
      f.fd = 3;
      f.type = FdType::kFile;
      f.name = "/var/log/x.log";
      f.open_flags = 02101;
      f.ino = 123456789012ull;
      f.dev = 0x801;
      f.name_raw = "x.log";
      f.old_name = "/var/log/old.log";
      f.flags = kFdFlagFromProc;
      f.mount_id = 29;
      f.pid = 4321;
      t.fds.push_back(f);
      FdInfo s;
      s.fd = 4;
      s.type = FdType::kIpv4;
      s.name = "10.0.0.1:40000->93.184.216.34:443";
      uint8_t sip[4] = {10, 0, 0, 1}, dip[4] = {93, 184, 216, 34};
      s.tuple = encode_tuple_in(sip, 40000, dip, 443);
      s.l4proto = 6;
      s.ino = 555;
      t.fds.push_back(s);
      FdInfo l;
      l.fd = 5;
      l.type = FdType::kUnix;
      l.name = "/run/app.sock";
      l.listening = true;
      l.tuple = encode_tuple_un(0xffff0001, 0, "/run/app.sock");
      t.fds.push_back(l);
      FdInfo e;
      e.fd = 6;
      e.type = FdType::kIoUring;
      t.fds.push_back(e);
    }
    out.push_back(t);
    if (p == 0) {  // a second thread of process 0, no fds (only the leader has them)
      ThreadInfo th = t;
      th.tid = 1010;
      th.vtid = 11;
      th.fds.clear();
      out.push_back(th);
    }
  }
  return out;
}

KcapHeader make_header() {
  KcapHeader h;
  h.producer = "kestrel test";
  h.created_ns = 1'700'000'000'000'000'042ull;
  h.machine.hostname = "host-a";
  h.machine.kernel_release = "6.1.0-test";
  h.machine.kernel_version = "#1 SMP PREEMPT_DYNAMIC";
  h.machine.arch = "x86_64";
  h.machine.boot_time_ns = 1'699'999'000'000'000'000ull;
  h.machine.cpu_count = 12;
  return h;
}

void expect_same_thread(const ThreadInfo& a, const ThreadInfo& b) {
  SCOPED_TRACE("tid " + std::to_string(a.tid));
  EXPECT_EQ(a.domain, b.domain);
  EXPECT_EQ(a.tid, b.tid);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.ptid, b.ptid);
  EXPECT_EQ(a.sid, b.sid);
  EXPECT_EQ(a.pgid, b.pgid);
  EXPECT_EQ(a.vtid, b.vtid);
  EXPECT_EQ(a.vpid, b.vpid);
  EXPECT_EQ(a.comm, b.comm);
  EXPECT_EQ(a.exe, b.exe);
  EXPECT_EQ(a.exepath, b.exepath);
  EXPECT_EQ(a.args, b.args);
  EXPECT_EQ(a.env, b.env);
  EXPECT_EQ(a.cwd, b.cwd);
  EXPECT_EQ(a.root, b.root);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.euid, b.euid);
  EXPECT_EQ(a.gid, b.gid);
  EXPECT_EQ(a.egid, b.egid);
  EXPECT_EQ(a.loginuid, b.loginuid);
  EXPECT_EQ(a.tty, b.tty);
  EXPECT_EQ(a.cap_inheritable, b.cap_inheritable);
  EXPECT_EQ(a.cap_permitted, b.cap_permitted);
  EXPECT_EQ(a.cap_effective, b.cap_effective);
  EXPECT_EQ(a.container_id, b.container_id);
  EXPECT_EQ(a.container_full_id, b.container_full_id);
  EXPECT_EQ(a.container_type, b.container_type);
  EXPECT_EQ(a.cgroups, b.cgroups);
  EXPECT_EQ(a.start_ts, b.start_ts);
  EXPECT_EQ(a.exe_flags, b.exe_flags);
  EXPECT_EQ(a.exe_ino, b.exe_ino);
  EXPECT_EQ(a.exe_ino_ctime, b.exe_ino_ctime);
  EXPECT_EQ(a.exe_ino_mtime, b.exe_ino_mtime);
  EXPECT_EQ(a.exe_sha256, b.exe_sha256);
  ASSERT_EQ(a.fds.size(), b.fds.size());
  for (size_t i = 0; i < a.fds.size(); ++i) {
    SCOPED_TRACE("fd index " + std::to_string(i));
    const FdInfo& x = a.fds[i];
    const FdInfo& y = b.fds[i];
    EXPECT_EQ(x.fd, y.fd);
    EXPECT_EQ(static_cast<char>(x.type), static_cast<char>(y.type));
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.open_flags, y.open_flags);
    EXPECT_EQ(x.tuple, y.tuple);
    EXPECT_EQ(x.l4proto, y.l4proto);
    EXPECT_EQ(x.listening, y.listening);
    EXPECT_EQ(x.ino, y.ino);
    EXPECT_EQ(x.dev, y.dev);
    EXPECT_EQ(x.name_raw, y.name_raw);
    EXPECT_EQ(x.old_name, y.old_name);
    EXPECT_EQ(x.flags, y.flags);
    EXPECT_EQ(x.mount_id, y.mount_id);
    EXPECT_EQ(x.pid, y.pid);
  }
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kcap_test.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

ReadOutcome read_capture(const std::string& path) {
  ReadOutcome out;
  KcapReader reader;
  out.status = reader.open(path);
  if (!out.status.ok()) return out;
  out.header = reader.header();
  out.snapshot = reader.snapshot();
  std::vector<EventView> views;
  for (;;) {
    auto r = reader.next_batch(views);
    if (!r.ok()) {
      out.status = r.status();
      return out;
    }
    if (*r == BatchOutcome::kEnd) return out;
    out.batch_sizes.push_back(views.size());
    out.batch_domains.push_back(reader.batch_domain());
    for (const auto& v : views) out.events.emplace_back(v.bytes().begin(), v.bytes().end());
  }
}

namespace {
uint32_t u32_at(const Bytes& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
}  // namespace

std::vector<size_t> frame_offsets(const Bytes& file) {
  std::vector<size_t> out;
  size_t off = kPreambleSize;
  while (off + kFrameHeaderSize <= file.size()) {
    out.push_back(off);
    off += kFrameHeaderSize + u32_at(file, off);
  }
  return out;
}

void fix_frame_crc(Bytes& file, size_t frame_offset) {
  uint32_t len = u32_at(file, frame_offset);
  uint32_t crc = static_cast<uint32_t>(crc32_z(0, file.data() + frame_offset + kFrameHeaderSize, len));
  std::memcpy(file.data() + frame_offset + 4, &crc, 4);
}

size_t find_bytes(const Bytes& hay, const Bytes& needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
  return it == hay.end() ? SIZE_MAX : static_cast<size_t>(it - hay.begin());
}

}  // namespace kestrel::kcap::testing
