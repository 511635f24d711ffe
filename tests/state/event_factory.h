// event_factory.h — builds the state-changing events the state tests feed.
//
// Each helper returns a finished record with params in events.def order, so
// a test reads like the syscall sequence it models.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sources/event/event_builder.h"

namespace kestrel::test {

// The KE_PROCESS_PARAMS block.
struct Proc {
  std::string exe = "/bin/sh";
  std::vector<std::string> args;
  int64_t tid = 0, pid = 0, ptid = 0;
  std::string cwd = "/";
  std::string comm = "sh";
  std::vector<std::string> env;
  uint32_t tty = 0;
  int64_t pgid = 0, sid = 0, vtid = 0, vpid = 0;
  uint32_t loginuid = UINT32_MAX, uid = 0, euid = 0, gid = 0, egid = 0;
  uint64_t cap_inh = 0, cap_prm = 0, cap_eff = 0;
  std::vector<std::string> cgroups;
  uint32_t exe_flags = 0;
  uint64_t start_ts = 0;
  std::string exepath;  // empty: the source did not report it
};

inline void add_strings(EventBuilder& b, const std::vector<std::string>& items) {
  std::vector<std::string_view> views(items.begin(), items.end());
  b.add_strings(views);
}

inline void add_process(EventBuilder& b, const Proc& p) {
  b.add_str(p.exe);
  add_strings(b, p.args);
  b.add_int(p.tid).add_int(p.pid).add_int(p.ptid);
  b.add_str(p.cwd).add_str(p.comm);
  add_strings(b, p.env);
  b.add_int(p.tty).add_int(p.pgid).add_int(p.sid).add_int(p.vtid).add_int(p.vpid);
  b.add_int(p.loginuid).add_int(p.uid).add_int(p.euid).add_int(p.gid).add_int(p.egid);
  b.add_int(static_cast<int64_t>(p.cap_inh)).add_int(static_cast<int64_t>(p.cap_prm));
  b.add_int(static_cast<int64_t>(p.cap_eff));
  add_strings(b, p.cgroups);
  b.add_int(p.exe_flags).add_int(static_cast<int64_t>(p.start_ts));
  if (p.exepath.empty()) b.add_empty();
  else b.add_str(p.exepath);
}

// clone/clone3 (type chooses) from thread `tid` of `tgid` with result `res`.
inline std::vector<uint8_t> clone_event(uint16_t type, uint32_t tid, uint32_t tgid, int64_t res, const Proc& p,
                                        uint32_t flags, uint64_t ts = 1000) {
  EventBuilder b(type, ts, tid, tgid);
  b.add_int(res);
  add_process(b, p);
  if (type == KE_CLONE || type == KE_CLONE3) b.add_int(flags);
  return b.finish();
}

inline std::vector<uint8_t> execve_event(uint32_t tid, uint32_t tgid, int64_t res, const Proc& p) {
  EventBuilder b(KE_EXECVE, 2000, tid, tgid);
  b.add_int(res);
  add_process(b, p);
  return b.finish();
}

inline std::vector<uint8_t> execveat_event(uint32_t tid, uint32_t tgid, const Proc& p, int64_t dirfd,
                                           std::string_view pathname, uint32_t flags) {
  EventBuilder b(KE_EXECVEAT, 2000, tid, tgid);
  b.add_int(0);
  add_process(b, p);
  b.add_int(dirfd).add_str(pathname).add_int(flags);
  return b.finish();
}

inline std::vector<uint8_t> procexit_event(uint32_t tid, uint32_t tgid, int64_t reaper = 0) {
  return EventBuilder(KE_PROCEXIT, 9000, tid, tgid).add_int(0).add_int(0).add_int(0).add_int(0).add_int(reaper).finish();
}

inline std::vector<uint8_t> open_event(uint32_t tid, uint32_t tgid, int64_t fd, std::string_view path, uint32_t flags) {
  return EventBuilder(KE_OPEN, 3000, tid, tgid).add_int(fd).add_str(path).add_int(flags).add_int(0644)
      .add_int(0x801).add_int(4242).finish();
}

inline std::vector<uint8_t> openat_event(uint32_t tid, uint32_t tgid, int64_t fd, int64_t dirfd, std::string_view path,
                                         uint32_t flags) {
  return EventBuilder(KE_OPENAT, 3000, tid, tgid).add_int(fd).add_int(dirfd).add_str(path).add_int(flags)
      .add_int(0).add_int(0x801).add_int(4243).finish();
}

inline std::vector<uint8_t> close_event(uint32_t tid, uint32_t tgid, int64_t fd, int64_t res = 0) {
  return EventBuilder(KE_CLOSE, 3100, tid, tgid).add_int(res).add_int(fd).finish();
}

inline std::vector<uint8_t> chdir_event(uint32_t tid, uint32_t tgid, std::string_view path, int64_t res = 0) {
  return EventBuilder(KE_CHDIR, 3200, tid, tgid).add_int(res).add_str(path).finish();
}

inline std::vector<uint8_t> socket_event(uint32_t tid, uint32_t tgid, int64_t fd, uint32_t domain, uint32_t type,
                                         uint32_t proto = 0) {
  return EventBuilder(KE_SOCKET, 4000, tid, tgid).add_int(fd).add_int(domain).add_int(type).add_int(proto).finish();
}

// A generic event from a thread that changes no state (a read).
inline std::vector<uint8_t> read_event(uint32_t tid, uint32_t tgid, int64_t fd) {
  return EventBuilder(KE_READ, 5000, tid, tgid).add_int(1).add_int(fd).add_int(1).add_bytes(std::vector<uint8_t>{'x'})
      .finish();
}

}  // namespace kestrel::test
