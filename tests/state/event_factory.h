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
#include "sources/event/process_block.h"

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
  // The exec events' executable inode (KE_EXE_INODE_PARAMS); 0: not reported.
  uint64_t exe_ino = 0, exe_ino_ctime = 0, exe_ino_mtime = 0;
};

// The exec events' trailing exe-inode params from `p` (0 written empty).
inline void add_exe_inode(EventBuilder& b, const Proc& p) {
  ExeInodeValues v;
  if (p.exe_ino) v.ino = p.exe_ino;
  if (p.exe_ino_ctime) v.ctime = p.exe_ino_ctime;
  if (p.exe_ino_mtime) v.mtime = p.exe_ino_mtime;
  put_exe_inode(b, v);
}

// Writes `p` as the block through the one writer every producer uses.
inline void add_process(EventBuilder& b, const Proc& p) {
  std::vector<std::string_view> args(p.args.begin(), p.args.end());
  std::vector<std::string_view> env(p.env.begin(), p.env.end());
  std::vector<std::string_view> cgroups(p.cgroups.begin(), p.cgroups.end());
  ProcessBlockValues v;
  v.exe = p.exe;
  v.args = args;
  v.tid = p.tid;
  v.pid = p.pid;
  v.ptid = p.ptid;
  v.cwd = p.cwd;
  v.comm = p.comm;
  v.env = env;
  v.tty = p.tty;
  v.pgid = p.pgid;
  v.sid = p.sid;
  v.vtid = p.vtid;
  v.vpid = p.vpid;
  v.loginuid = p.loginuid;
  v.uid = p.uid;
  v.euid = p.euid;
  v.gid = p.gid;
  v.egid = p.egid;
  v.cap_inheritable = p.cap_inh;
  v.cap_permitted = p.cap_prm;
  v.cap_effective = p.cap_eff;
  v.cgroups = cgroups;
  v.exe_flags = p.exe_flags;
  v.start_ts = p.start_ts;
  if (!p.exepath.empty()) v.exepath = p.exepath;
  put_process_block(b, v);
}

// clone/clone3 (type chooses) from thread `tid` of `tgid` with result `res`.
inline std::vector<uint8_t> clone_event(uint16_t type, uint32_t tid, uint32_t tgid, int64_t res, const Proc& p,
                                        uint32_t flags, uint64_t ts = 1000) {
  EventBuilder b(type, ts, tid, tgid);
  b.put_int("res", res);
  add_process(b, p);
  if (b.has("flags")) b.put_int("flags", flags);  // clone, clone3
  return b.finish_or_throw();
}

inline std::vector<uint8_t> execve_event(uint32_t tid, uint32_t tgid, int64_t res, const Proc& p) {
  EventBuilder b(KE_EXECVE, 2000, tid, tgid);
  b.put_int(KPARAM(EXECVE, res), res);
  add_process(b, p);
  add_exe_inode(b, p);
  return b.finish_or_throw();
}

inline std::vector<uint8_t> execveat_event(uint32_t tid, uint32_t tgid, const Proc& p, int64_t dirfd,
                                           std::string_view pathname, uint32_t flags) {
  EventBuilder b(KE_EXECVEAT, 2000, tid, tgid);
  b.put_int(KPARAM(EXECVEAT, res), 0);
  add_process(b, p);
  b.put_int(KPARAM(EXECVEAT, dirfd), dirfd).put_str(KPARAM(EXECVEAT, pathname), pathname);
  b.put_int(KPARAM(EXECVEAT, flags), flags);
  add_exe_inode(b, p);
  return b.finish_or_throw();
}

inline std::vector<uint8_t> procexit_event(uint32_t tid, uint32_t tgid, int64_t reaper = 0) {
  return EventBuilder(KE_PROCEXIT, 9000, tid, tgid)
      .put_int(KPARAM(PROCEXIT, status), 0)
      .put_int(KPARAM(PROCEXIT, ret), 0)
      .put_int(KPARAM(PROCEXIT, sig), 0)
      .put_int(KPARAM(PROCEXIT, core), 0)
      .put_int(KPARAM(PROCEXIT, reaper_tid), reaper)
      .finish_or_throw();
}

inline std::vector<uint8_t> open_event(uint32_t tid, uint32_t tgid, int64_t fd, std::string_view path, uint32_t flags) {
  return EventBuilder(KE_OPEN, 3000, tid, tgid)
      .put_int(KPARAM(OPEN, fd), fd)
      .put_str(KPARAM(OPEN, name), path)
      .put_int(KPARAM(OPEN, flags), flags)
      .put_int(KPARAM(OPEN, mode), 0644)
      .put_int(KPARAM(OPEN, dev), 0x801)
      .put_int(KPARAM(OPEN, ino), 4242)
      .finish_or_throw();
}

inline std::vector<uint8_t> openat_event(uint32_t tid, uint32_t tgid, int64_t fd, int64_t dirfd, std::string_view path,
                                         uint32_t flags) {
  return EventBuilder(KE_OPENAT, 3000, tid, tgid)
      .put_int(KPARAM(OPENAT, fd), fd)
      .put_int(KPARAM(OPENAT, dirfd), dirfd)
      .put_str(KPARAM(OPENAT, name), path)
      .put_int(KPARAM(OPENAT, flags), flags)
      .put_int(KPARAM(OPENAT, mode), 0)
      .put_int(KPARAM(OPENAT, dev), 0x801)
      .put_int(KPARAM(OPENAT, ino), 4243)
      .finish_or_throw();
}

inline std::vector<uint8_t> close_event(uint32_t tid, uint32_t tgid, int64_t fd, int64_t res = 0) {
  return EventBuilder(KE_CLOSE, 3100, tid, tgid)
      .put_int(KPARAM(CLOSE, res), res)
      .put_int(KPARAM(CLOSE, fd), fd)
      .finish_or_throw();
}

inline std::vector<uint8_t> chdir_event(uint32_t tid, uint32_t tgid, std::string_view path, int64_t res = 0) {
  return EventBuilder(KE_CHDIR, 3200, tid, tgid)
      .put_int(KPARAM(CHDIR, res), res)
      .put_str(KPARAM(CHDIR, path), path)
      .finish_or_throw();
}

inline std::vector<uint8_t> socket_event(uint32_t tid, uint32_t tgid, int64_t fd, uint32_t domain, uint32_t type,
                                         uint32_t proto = 0) {
  return EventBuilder(KE_SOCKET, 4000, tid, tgid)
      .put_int(KPARAM(SOCKET, fd), fd)
      .put_int(KPARAM(SOCKET, domain), domain)
      .put_int(KPARAM(SOCKET, type), type)
      .put_int(KPARAM(SOCKET, proto), proto)
      .finish_or_throw();
}

// A generic event from a thread that changes no state (a read).
inline std::vector<uint8_t> read_event(uint32_t tid, uint32_t tgid, int64_t fd) {
  return EventBuilder(KE_READ, 5000, tid, tgid)
      .put_int(KPARAM(READ, res), 1)
      .put_int(KPARAM(READ, fd), fd)
      .put_int(KPARAM(READ, size), 1)
      .put_bytes(KPARAM(READ, data), std::vector<uint8_t>{'x'})
      .finish_or_throw();
}

}  // namespace kestrel::test
