#include "tests/eval/eval_world.h"

#include <cstdlib>

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
                           std::string_view comm, int64_t res, uint64_t ts) {
  const ThreadInfo* cur = find(tid);
  int64_t pid = pid_of(tid);
  EventBuilder b(KE_EXECVE, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid));
  std::vector<std::string_view> argv(args.begin(), args.end());
  std::vector<std::string_view> env;
  if (cur) env.assign(cur->env.begin(), cur->env.end());
  std::vector<std::string_view> cgroups;
  b.add_int(res)
      .add_str(exepath)
      .add_strings(argv)
      .add_int(tid)
      .add_int(pid)
      .add_int(cur ? cur->ptid : 1)
      .add_str(cur ? cur->cwd : "/")
      .add_str(comm)
      .add_strings(env)
      .add_int(cur ? cur->tty : 0)
      .add_int(cur ? cur->pgid : pid)
      .add_int(cur ? cur->sid : pid)
      .add_int(tid)
      .add_int(pid)
      .add_int(cur ? cur->loginuid : UINT32_MAX)
      .add_int(cur ? cur->uid : 0)
      .add_int(cur ? cur->euid : 0)
      .add_int(cur ? cur->gid : 0)
      .add_int(cur ? cur->egid : 0)
      .add_int(0)
      .add_int(cur ? static_cast<int64_t>(cur->cap_permitted) : 0)
      .add_int(cur ? static_cast<int64_t>(cur->cap_effective) : 0)
      .add_empty()
      .add_int(0)
      .add_int(static_cast<int64_t>(ts));
  return add(b.finish());
}

const Event& World::openat(int64_t tid, int64_t fd, std::string_view path, uint32_t flags, uint64_t ts) {
  EventBuilder b(KE_OPENAT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.add_int(fd).add_int(-100).add_str(path).add_int(flags).add_int(0644).add_int(0).add_int(0);
  return add(b.finish());
}

const Event& World::close(int64_t tid, int64_t fd, uint64_t ts) {
  EventBuilder b(KE_CLOSE, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.add_int(0).add_int(fd);
  return add(b.finish());
}

const Event& World::read(int64_t tid, int64_t fd, int64_t res, uint64_t ts) {
  EventBuilder b(KE_READ, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  const uint8_t data[4] = {'a', 'b', 'c', 'd'};
  b.add_int(res).add_int(fd).add_int(4096).add_bytes(data);
  return add(b.finish());
}

const Event& World::write(int64_t tid, int64_t fd, int64_t res, uint64_t ts) {
  EventBuilder b(KE_WRITE, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  const uint8_t data[4] = {'w', 'x', 'y', 'z'};
  b.add_int(res).add_int(fd).add_int(4096).add_bytes(data);
  return add(b.finish());
}

const Event& World::socket(int64_t tid, int64_t fd, uint32_t domain, uint32_t type, uint64_t ts) {
  EventBuilder b(KE_SOCKET, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.add_int(fd).add_int(domain).add_int(type).add_int(0);
  return add(b.finish());
}

const Event& World::connect(int64_t tid, int64_t fd, const uint8_t sip[4], uint16_t sport, const uint8_t dip[4],
                            uint16_t dport, int64_t res, uint64_t ts) {
  EventBuilder b(KE_CONNECT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.add_int(res).add_int(fd).add_bytes(encode_tuple_in(sip, sport, dip, dport)).add_bytes(encode_sockaddr_in(dip, dport));
  return add(b.finish());
}

const Event& World::accept(int64_t tid, int64_t fd, const uint8_t cip[4], uint16_t cport, const uint8_t sip[4],
                           uint16_t sport, uint64_t ts) {
  EventBuilder b(KE_ACCEPT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.add_int(fd).add_bytes(encode_tuple_in(cip, cport, sip, sport)).add_int(3);
  return add(b.finish());
}

const Event& World::unlinkat(int64_t tid, std::string_view path, int64_t res, uint64_t ts) {
  EventBuilder b(KE_UNLINKAT, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.add_int(res).add_int(-100).add_str(path).add_int(0);
  return add(b.finish());
}

const Event& World::setuid(int64_t tid, uint32_t uid, int64_t res, uint64_t ts) {
  EventBuilder b(KE_SETUID, ts, static_cast<uint32_t>(tid), static_cast<uint32_t>(pid_of(tid)));
  b.add_int(res).add_int(uid);
  return add(b.finish());
}

}  // namespace kestrel::engine::eval::testing
