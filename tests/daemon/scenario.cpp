#include "tests/daemon/scenario.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sources/capture/kcap_writer.h"
#include "sources/event/event_builder.h"
#include "sources/event/process_block.h"

namespace kestrel::testing {
namespace {

constexpr uint64_t kT0 = 1764417418000000000ull;

ThreadInfo process(int64_t pid, int64_t ppid, std::string comm, std::string exepath) {
  ThreadInfo t;
  t.tid = t.pid = pid;
  t.ptid = ppid;
  t.comm = comm;
  t.exe = comm;
  t.exepath = exepath;
  t.cwd = "/root";
  return t;
}

std::vector<uint8_t> openat(uint64_t ts, int64_t pid, int64_t fd, const char* path) {
  return EventBuilder(KE_OPENAT, ts, pid, pid)
      .put_int(KPARAM(OPENAT, fd), fd)
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name), path)
      .put_int(KPARAM(OPENAT, flags), 0)
      .put_int(KPARAM(OPENAT, mode), 0)
      .put_int(KPARAM(OPENAT, dev), 0)
      .put_int(KPARAM(OPENAT, ino), 0)
      .finish_or_throw();
}

std::vector<uint8_t> exec(uint64_t ts, int64_t pid, int64_t ppid, std::string_view exe,
                          std::vector<std::string_view> args, std::string_view comm) {
  EventBuilder b(KE_EXECVE, ts, pid, pid);
  b.put_int(KPARAM(EXECVE, res), 0);
  ProcessBlockValues p;
  p.exe = exe;
  p.args = args;
  p.tid = p.pid = pid;
  p.ptid = ppid;
  p.cwd = "/root";
  p.comm = comm;
  put_process_block(b, p);
  put_exe_inode(b, {});
  return b.finish_or_throw();
}

std::vector<uint8_t> fork_child(uint64_t ts, int64_t child, int64_t parent) {
  EventBuilder b(KE_CLONE, ts, child, child);
  b.put_int(KPARAM(CLONE, res), 0);
  ProcessBlockValues p;
  p.tid = p.pid = child;
  p.ptid = parent;
  put_process_block(b, p);
  b.put_empty(KPARAM(CLONE, flags));
  return b.finish_or_throw();
}

// A test fixture that cannot be written is a broken machine, not a test
// result: stop loudly (this also runs outside gtest, in the capture writer).
void check(const Status& s) {
  if (s.ok()) return;
  std::fprintf(stderr, "scenario: %s\n", s.to_string().c_str());
  std::abort();
}

}  // namespace

std::string write_alert_scenario(const std::string& tag) {
  std::string path = "/tmp/kestrel_daemon_" + tag + "_" + std::to_string(getpid()) + ".kcap";
  write_alert_scenario_to(path);
  return path;
}

void write_alert_scenario_to(const std::string& path) {
  kcap::KcapWriter w;
  check(w.open(path));
  check(w.write_header(kcap::KcapHeader{.producer = "test", .created_ns = kT0, .machine = {}}));
  check(w.write_snapshot({process(1, 0, "systemd", "/usr/lib/systemd/systemd"),
                          process(100, 1, "bash", "/usr/bin/bash"), process(300, 1, "nc", "/usr/bin/nc")}));
  const std::vector<std::vector<uint8_t>> events = {
      fork_child(kT0 + 1, 200, 100),
      exec(kT0 + 2, 200, 100, "/usr/bin/cat", {"/etc/shadow"}, "cat"),
      openat(kT0 + 3, 200, 3, "/etc/shadow"),
      openat(kT0 + 4, 200, 4, "/etc/hostname"),
      fork_child(kT0 + 5, 301, 300),
      exec(kT0 + 6, 301, 300, "/bin/sh", {"-i"}, "sh"),
  };
  for (const auto& e : events) check(w.append(e));
  check(w.close());
}

std::vector<uint8_t> open_event(uint64_t ts, int64_t pid, const std::string& path) {
  return openat(ts, pid, 3, path.c_str());
}

std::string write_open_frames(const std::string& path, const std::vector<std::vector<std::string>>& frames) {
  kcap::KcapWriter w;
  check(w.open(path));
  check(w.write_header(kcap::KcapHeader{.producer = "test", .created_ns = kT0, .machine = {}}));
  check(w.write_snapshot({process(200, 1, "cat", "/usr/bin/cat")}));
  uint64_t ts = kT0;
  for (const auto& frame : frames) {
    for (const auto& name : frame) check(w.append(openat(++ts, 200, 3, name.c_str())));
    check(w.flush());
  }
  check(w.close());
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string write_open_capture(const std::string& path, const std::string& prefix, int count, int per_frame) {
  std::vector<std::vector<std::string>> frames;
  for (int i = 0; i < count; ++i) {
    if (i % per_frame == 0) frames.emplace_back();
    frames.back().push_back(prefix + std::to_string(i));
  }
  return write_open_frames(path, frames);
}

}  // namespace kestrel::testing
