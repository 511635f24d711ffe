#include "tests/eval/eval_world.h"

#include <cstdlib>

#include "sources/event/process_block.h"

namespace kestrel::engine::eval::testing {

void World::add_process(const ProcSpec& p) {
  ThreadInfo t;
  t.tid = t.pid = p.pid;
  t.ptid = p.ppid;
  t.sid = p.pid;
  t.pgid = p.pid;
  t.vtid = t.vpid = p.pid;
  t.comm = p.comm;
  t.exepath = p.exepath;
  t.exe = p.exepath;
  t.args = p.args;
  t.cwd = p.cwd;
  t.root = "/";
  t.uid = t.euid = p.uid;
  t.gid = t.egid = p.uid;
  t.loginuid = p.loginuid;
  t.tty = p.tty;
  t.container_id = p.container_id;
  if (!p.container_id.empty()) {
    t.container_full_id = p.container_id + std::string(52, '0');
    t.container_type = "docker";
  }
  t.cap_effective = t.cap_permitted = p.cap_effective;
  t.exe_flags = p.exe_flags;
  t.env = p.env;
  t.start_ts = 500;
  table_.put(std::move(t));
}

void World::seed_tree() {
  auto proc = [](int64_t pid, int64_t ppid, std::string comm, std::string exepath, std::vector<std::string> args) {
    ProcSpec p;
    p.pid = pid;
    p.ppid = ppid;
    p.comm = std::move(comm);
    p.exepath = std::move(exepath);
    p.args = std::move(args);
    return p;
  };
  ProcSpec init = proc(1, 0, "systemd", "/usr/lib/systemd/systemd", {"--system"});
  init.cap_effective = ~0ull >> 23;
  add_process(init);
  ProcSpec sshd = proc(100, 1, "sshd", "/usr/sbin/sshd", {"-D"});
  sshd.cap_effective = ~0ull >> 23;
  add_process(sshd);
  ProcSpec bash = proc(200, 100, "bash", "/usr/bin/bash", {});
  bash.cwd = "/home/alice";
  bash.uid = bash.loginuid = 1000;
  bash.tty = 34816;
  bash.env = {"HOME=/home/alice", "SHELL=/bin/bash"};
  add_process(bash);
  ProcSpec py = proc(300, 200, "python3", "/usr/bin/python3", {"app.py", "--port", "8080"});
  py.cwd = "/home/alice";
  py.uid = py.loginuid = 1000;
  py.tty = 34816;
  py.env = {"HOME=/home/alice"};
  add_process(py);
  ProcSpec nginx = proc(400, 1, "nginx", "/usr/sbin/nginx", {"-g", "daemon off;"});
  nginx.container_id = "abcdef012345";
  nginx.cap_effective = (1ull << 10) | (1ull << 21);
  add_process(nginx);
}

int64_t World::pid_of(int64_t tid) const {
  const ThreadInfo* t = table_.find(kHostDomain, tid);
  return t ? t->pid : tid;
}

const Event& World::add(std::vector<uint8_t> bytes, DomainId domain) {
  const Event& e = build_only(std::move(bytes), domain);
  updater_.apply(e);
  return e;
}

const Event& World::build_only(std::vector<uint8_t> bytes, DomainId domain) {
  records_.push_back(std::move(bytes));
  auto view = EventView::parse(records_.back());
  if (!view.ok()) std::abort();
  events_.push_back(Event{*view, domain, 0});
  return events_.back();
}

const Event& World::execve(int64_t tid, std::string_view exepath, std::vector<std::string> args,
                           std::string_view comm, int64_t res, uint64_t ts, const ExeInodeValues& inode) {
  const ThreadInfo* cur = find(tid);
  int64_t pid = pid_of(tid);
  EventBuilder b(KE_EXECVE, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid));
  std::vector<std::string_view> argv(args.begin(), args.end());
  std::vector<std::string_view> env;
  if (cur) env.assign(cur->env.begin(), cur->env.end());
  b.put_int(KPARAM(EXECVE, res), res);
  ProcessBlockValues p;
  p.exe = exepath;
  p.args = argv;
  p.tid = p.vtid = tid;
  p.pid = p.vpid = pid;
  p.ptid = cur ? cur->ptid : 1;
  p.cwd = cur ? std::string_view(cur->cwd) : "/";
  p.comm = comm;
  p.env = env;
  p.tty = cur ? cur->tty : 0;
  p.pgid = cur ? cur->pgid : pid;
  p.sid = cur ? cur->sid : pid;
  p.loginuid = cur ? cur->loginuid : UINT32_MAX;
  p.uid = cur ? cur->uid : 0;
  p.euid = cur ? cur->euid : 0;
  p.gid = cur ? cur->gid : 0;
  p.egid = cur ? cur->egid : 0;
  p.cap_inheritable = 0;
  p.cap_permitted = cur ? cur->cap_permitted : 0;
  p.cap_effective = cur ? cur->cap_effective : 0;
  p.exe_flags = 0;
  p.start_ts = ts;
  put_process_block(b, p);  // cgroups, exepath: unknown (empty)
  put_exe_inode(b, inode);
  return add(b.finish_or_throw());
}

const Event& World::openat(int64_t tid, int64_t fd, std::string_view path, uint32_t flags, uint64_t ts) {
  EventBuilder b(KE_OPENAT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.put_int(KPARAM(OPENAT, fd), fd)
      .put_int(KPARAM(OPENAT, dirfd), -100)
      .put_str(KPARAM(OPENAT, name), path)
      .put_int(KPARAM(OPENAT, flags), flags)
      .put_int(KPARAM(OPENAT, mode), 0644)
      .put_int(KPARAM(OPENAT, dev), 0)
      .put_int(KPARAM(OPENAT, ino), 0);
  return add(b.finish_or_throw());
}

const Event& World::close(int64_t tid, int64_t fd, uint64_t ts) {
  EventBuilder b(KE_CLOSE, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.put_int(KPARAM(CLOSE, res), 0).put_int(KPARAM(CLOSE, fd), fd);
  return add(b.finish_or_throw());
}

const Event& World::read(int64_t tid, int64_t fd, int64_t res, uint64_t ts) {
  EventBuilder b(KE_READ, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  const uint8_t data[4] = {'a', 'b', 'c', 'd'};
  b.put_int(KPARAM(READ, res), res)
      .put_int(KPARAM(READ, fd), fd)
      .put_int(KPARAM(READ, size), 4096)
      .put_bytes(KPARAM(READ, data), data);
  return add(b.finish_or_throw());
}

const Event& World::write(int64_t tid, int64_t fd, int64_t res, uint64_t ts) {
  EventBuilder b(KE_WRITE, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  const uint8_t data[4] = {'w', 'x', 'y', 'z'};
  b.put_int(KPARAM(WRITE, res), res)
      .put_int(KPARAM(WRITE, fd), fd)
      .put_int(KPARAM(WRITE, size), 4096)
      .put_bytes(KPARAM(WRITE, data), data);
  return add(b.finish_or_throw());
}

const Event& World::socket(int64_t tid, int64_t fd, uint32_t domain, uint32_t type, uint64_t ts) {
  EventBuilder b(KE_SOCKET, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.put_int(KPARAM(SOCKET, fd), fd)
      .put_int(KPARAM(SOCKET, domain), domain)
      .put_int(KPARAM(SOCKET, type), type)
      .put_int(KPARAM(SOCKET, proto), 0);
  return add(b.finish_or_throw());
}

const Event& World::connect(int64_t tid, int64_t fd, const uint8_t sip[4], uint16_t sport, const uint8_t dip[4],
                            uint16_t dport, int64_t res, uint64_t ts) {
  EventBuilder b(KE_CONNECT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.put_int(KPARAM(CONNECT, res), res)
      .put_int(KPARAM(CONNECT, fd), fd)
      .put_bytes(KPARAM(CONNECT, tuple), encode_tuple_in(sip, sport, dip, dport))
      .put_bytes(KPARAM(CONNECT, addr), encode_sockaddr_in(dip, dport));
  return add(b.finish_or_throw());
}

const Event& World::accept(int64_t tid, int64_t fd, const uint8_t cip[4], uint16_t cport, const uint8_t sip[4],
                           uint16_t sport, uint64_t ts) {
  EventBuilder b(KE_ACCEPT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.put_int(KPARAM(ACCEPT, fd), fd)
      .put_bytes(KPARAM(ACCEPT, tuple), encode_tuple_in(cip, cport, sip, sport))
      .put_int(KPARAM(ACCEPT, listen_fd), 3);
  return add(b.finish_or_throw());
}

const Event& World::unlinkat(int64_t tid, std::string_view path, int64_t res, uint64_t ts) {
  EventBuilder b(KE_UNLINKAT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.put_int(KPARAM(UNLINKAT, res), res)
      .put_int(KPARAM(UNLINKAT, dirfd), -100)
      .put_str(KPARAM(UNLINKAT, name), path)
      .put_int(KPARAM(UNLINKAT, flags), 0);
  return add(b.finish_or_throw());
}

const Event& World::setuid(int64_t tid, uint32_t uid, int64_t res, uint64_t ts) {
  EventBuilder b(KE_SETUID, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.put_int(KPARAM(SETUID, res), res).put_int(KPARAM(SETUID, uid), uid);
  return add(b.finish_or_throw());
}

}  // namespace kestrel::engine::eval::testing
