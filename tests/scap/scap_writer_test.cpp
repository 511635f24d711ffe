// The .scap writer, round trip: synthetic Kestrel records and a thread table
// written by ScapWriter, read back by the independent reader path
// (ScapReader + ScapConverter, already checked against sysdig on Falco's
// traces). Every Kestrel param a written scap row carries must come back
// with the value the record had; the rest come back empty. Also the -w
// format rules of the command line (run in-process).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "app/cli.h"
#include "sources/capture/capture_recorder.h"
#include "sources/capture/scap_converter.h"
#include "sources/capture/scap_event_table.h"
#include "sources/capture/scap_format.h"
#include "sources/capture/scap_reader.h"
#include "sources/capture/scap_writer.h"
#include "sources/event/event_builder.h"
#include "sources/event/event_view.h"

#ifndef KESTREL_FALCO_TRACES
#error "KESTREL_FALCO_TRACES must name the falco-regression trace_files directory"
#endif

namespace kestrel {
namespace {

using Value = std::variant<int64_t, std::string, std::vector<std::string>, std::vector<uint8_t>>;

// A whole record: every param of the row in order, those not given empty.
std::vector<uint8_t> record(uint16_t type, uint64_t ts, uint32_t tid, uint32_t tgid,
                            const std::map<std::string, Value>& values) {
  EventBuilder b(type, ts, tid, tgid);
  for (const ParamInfo& p : event_info(type).params) {
    auto it = values.find(std::string(p.name));
    if (it == values.end()) {
      b.put_empty(p.name);
    } else if (auto* i = std::get_if<int64_t>(&it->second)) {
      b.put_int(p.name, *i);
    } else if (auto* s = std::get_if<std::string>(&it->second)) {
      b.put_str(p.name, *s);
    } else if (auto* l = std::get_if<std::vector<std::string>>(&it->second)) {
      std::vector<std::string_view> views(l->begin(), l->end());
      b.put_strings(p.name, views);
    } else {
      b.put_bytes(p.name, std::get<std::vector<uint8_t>>(it->second));
    }
  }
  return b.finish_or_throw();
}

const uint8_t kLo[4] = {127, 0, 0, 1};
const uint8_t kPeer[4] = {10, 1, 2, 3};

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "scap_writer_" + name; }

// The Kestrel params `type`'s written scap rows (exit, and its enter) fill.
std::set<std::string> carried(uint16_t type) {
  std::set<std::string> out;
  const scap::EventRow* row = scap::written_row(type);
  if (!row) return out;
  for (const auto* r : {row, scap::find_event(uint16_t(row->id - 1))}) {
    if (!r || r->kestrel_type != type) continue;
    for (const auto& p : r->params)
      if (!p.kestrel.empty()) out.insert(std::string(p.kestrel));
  }
  return out;
}

struct ReadBack {
  std::vector<ThreadInfo> threads;
  std::vector<scap::UserEntry> users;
  std::vector<scap::GroupEntry> groups;
  std::vector<std::vector<uint8_t>> exits;  // exit (and enter-only) records
  size_t enters = 0;
  std::map<uint16_t, uint64_t> unmodelled;
  uint64_t malformed = 0;
};

ReadBack read_back(const std::string& path) {
  ReadBack rb;
  scap::ScapReader reader;
  Status st = reader.open(path);
  EXPECT_TRUE(st.ok()) << st.to_string();
  if (!st.ok()) return rb;
  rb.users = reader.users();
  rb.groups = reader.groups();
  rb.threads = reader.take_threads();
  scap::ScapConverter conv;
  conv.seed_threads(rb.threads);
  scap::RawEvent ev;
  for (;;) {
    auto r = reader.next(ev);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok() || *r == scap::NextResult::kEnd) break;
    auto c = conv.convert(ev);
    if (!c) continue;
    // procexit is enter-only: the converter flags it enter, it is the
    // event's one record.
    if (c->enter && EventView::parse(c->record)->type() != KE_PROCEXIT) ++rb.enters;
    else rb.exits.emplace_back(c->record.begin(), c->record.end());
  }
  rb.unmodelled = conv.unmodelled_by_id();
  rb.malformed = conv.malformed() + reader.malformed_events();
  return rb;
}

// Param-by-param: carried params equal, the others empty.
void expect_round_trip(const std::vector<uint8_t>& original, const std::vector<uint8_t>& back) {
  auto a = EventView::parse(original);
  auto b = EventView::parse(back);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->type(), b->type());
  const EventInfo& info = a->info();
  SCOPED_TRACE(std::string(info.name));
  EXPECT_EQ(a->ts(), b->ts());
  EXPECT_EQ(a->tid(), b->tid());
  EXPECT_EQ(a->tgid(), b->tgid());
  const std::set<std::string> kept = carried(a->type());
  for (uint16_t i = 0; i < info.params.size(); ++i) {
    const std::string name(info.params[i].name);
    auto pa = a->param(i), pb = b->param(i);
    if (kept.contains(name)) {
      EXPECT_EQ(std::vector<uint8_t>(pa.begin(), pa.end()), std::vector<uint8_t>(pb.begin(), pb.end())) << name;
    } else {
      EXPECT_TRUE(pb.empty()) << name << " is not in the scap rows, yet came back";
    }
  }
}

TEST(ScapWriter, RecordsAndStateRoundTripThroughTheReader) {
  // The thread table at capture start: a process with a file, a connected
  // and a listening socket; one of its threads; a second process.
  ThreadInfo sh;
  sh.tid = sh.pid = 4242;
  sh.ptid = 1;
  sh.sid = 4242;
  sh.pgid = 4242;
  sh.vtid = sh.vpid = 4242;
  sh.comm = "sh";
  sh.exe = "/bin/sh";
  sh.exepath = "/usr/bin/dash";
  sh.args = {"-c", "sleep 100"};
  sh.env = {"HOME=/root", "PATH=/usr/bin"};
  sh.cwd = "/srv/work/";
  sh.root = "/";
  sh.uid = sh.euid = 1000;
  sh.gid = sh.egid = 1001;
  sh.loginuid = 1000;
  sh.cap_inheritable = 0;
  sh.cap_permitted = 0x1ff;
  sh.cap_effective = 0x3;
  auto fd_of = [](int64_t fd, FdType type, std::string name) {
    FdInfo f;
    f.fd = fd;
    f.type = type;
    f.name = std::move(name);
    return f;
  };
  FdInfo file = fd_of(3, FdType::kFile, "/var/log/app.log");
  file.open_flags = O_WRONLY | O_APPEND;
  file.ino = 777;
  FdInfo conn = fd_of(4, FdType::kIpv4, "127.0.0.1:40000->10.1.2.3:443");
  conn.tuple = encode_tuple_in(kLo, 40000, kPeer, 443);
  conn.l4proto = 6;
  FdInfo listen = fd_of(5, FdType::kIpv4, "127.0.0.1:8080");
  listen.tuple = encode_tuple_in(std::array<uint8_t, 4>{}.data(), 0, kLo, 8080);
  listen.l4proto = 6;
  listen.listening = true;
  sh.fds = {file, conn, listen};
  ThreadInfo worker = sh;
  worker.tid = 4243;
  worker.fds.clear();
  ThreadInfo other;
  other.tid = other.pid = 77;
  other.ptid = 1;
  other.comm = "cron";
  other.exe = "/usr/sbin/cron";
  other.args = {"-f"};
  other.cwd = "/";
  other.root = "/";

  std::vector<std::vector<uint8_t>> records;
  const std::vector<uint8_t> data = {'h', 'i', 0, 1, 2};
  records.push_back(record(KE_OPENAT, 1000, 4242, 4242,
                           {{"fd", int64_t(6)}, {"dirfd", int64_t(-100)}, {"name", std::string("/etc/shadow")},
                            {"flags", int64_t(O_RDONLY | O_CLOEXEC)}, {"mode", int64_t(0)}, {"dev", int64_t(0xfe00)},
                            {"ino", int64_t(123456)}}));
  records.push_back(record(KE_OPEN, 1001, 4243, 4242,
                           {{"fd", int64_t(7)}, {"name", std::string("/tmp/x")},
                            {"flags", int64_t(O_WRONLY | O_CREAT | O_TRUNC)}, {"mode", int64_t(0644)},
                            {"dev", int64_t(1)}, {"ino", int64_t(9)}}));
  records.push_back(record(KE_READ, 1002, 4242, 4242,
                           {{"res", int64_t(5)}, {"fd", int64_t(6)}, {"size", int64_t(4096)}, {"data", data}}));
  records.push_back(record(KE_CONNECT, 1003, 4242, 4242,
                           {{"res", int64_t(-115)}, {"fd", int64_t(4)},
                            {"addr", encode_sockaddr_in(kPeer, 443)},
                            {"tuple", encode_tuple_in(kLo, 40000, kPeer, 443)}}));
  records.push_back(record(KE_EXECVE, 1004, 4242, 4242,
                           {{"res", int64_t(0)}, {"exe", std::string("/usr/bin/id")},
                            {"args", std::vector<std::string>{"-u", "--name"}}, {"tid", int64_t(4242)},
                            {"pid", int64_t(4242)}, {"ptid", int64_t(1)}, {"cwd", std::string("/srv/work/")},
                            {"comm", std::string("id")}, {"env", std::vector<std::string>{"A=1", "B=2"}},
                            {"tty", int64_t(34816)}, {"pgid", int64_t(4242)}, {"loginuid", int64_t(1000)}}));
  // A child-side clone (res = 0): also written as its caller's exit.
  records.push_back(record(KE_CLONE, 1005, 5000, 5000,
                           {{"res", int64_t(0)}, {"exe", std::string("/bin/sh")},
                            {"args", std::vector<std::string>{"-c", "x"}}, {"tid", int64_t(5000)},
                            {"pid", int64_t(5000)}, {"ptid", int64_t(4242)}, {"cwd", std::string("/srv/work/")},
                            {"comm", std::string("sh")}, {"vtid", int64_t(5000)}, {"vpid", int64_t(5000)},
                            {"uid", int64_t(1000)}, {"gid", int64_t(1001)},
                            {"flags", int64_t(CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID)}}));
  records.push_back(record(KE_MMAP, 1006, 4242, 4242,
                           {{"res", int64_t(0x7f0000000000LL)}, {"addr", int64_t(0)}, {"length", int64_t(8192)},
                            {"prot", int64_t(PROT_READ | PROT_EXEC)}, {"flags", int64_t(MAP_PRIVATE | MAP_ANONYMOUS)},
                            {"fd", int64_t(-1)}, {"offset", int64_t(0)}}));
  records.push_back(record(KE_PROCEXIT, 1007, 77, 77,
                           {{"status", int64_t(256)}, {"ret", int64_t(1)}, {"sig", int64_t(0)}, {"core", int64_t(0)}}));
  // No scap row is written for dup2 (sysdig 0.29 knows no dup2 event):
  // counted, not written.
  records.push_back(record(KE_DUP2, 1008, 4242, 4242, {{"res", int64_t(1)}, {"oldfd", int64_t(6)}, {"newfd", int64_t(1)}}));

  const std::string path = temp_path("round_trip.scap");
  scap::ScapWriter w;
  scap::ScapHeader header;
  header.machine = {.num_cpus = 2, .memory_bytes = 1u << 30, .max_pid = 4194304, .hostname = "writer-test"};
  header.users = {{0, 0, "root", "/root", "/bin/bash"}, {1000, 1001, "alice", "/home/alice", "/bin/sh"}};
  header.groups = {{0, "root"}, {1001, "staff"}};
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.write_header(header).ok());
  ASSERT_TRUE(w.write_threads({sh, worker, other}).ok());
  for (const auto& r : records) ASSERT_TRUE(w.append(r).ok());
  ASSERT_TRUE(w.close().ok());
  EXPECT_EQ(w.records_written(), records.size());
  ASSERT_EQ(w.not_written().size(), 1u);
  EXPECT_EQ(w.not_written().at(KE_DUP2), 1u);

  ReadBack rb = read_back(path);
  EXPECT_EQ(rb.malformed, 0u);
  EXPECT_TRUE(rb.unmodelled.empty());

  // Users and groups.
  ASSERT_EQ(rb.users.size(), 2u);
  EXPECT_EQ(rb.users[1].name, "alice");
  EXPECT_EQ(rb.users[1].uid, 1000u);
  EXPECT_EQ(rb.users[1].gid, 1001u);
  EXPECT_EQ(rb.users[1].home, "/home/alice");
  EXPECT_EQ(rb.users[1].shell, "/bin/sh");
  ASSERT_EQ(rb.groups.size(), 2u);
  EXPECT_EQ(rb.groups[1].name, "staff");

  // The thread table, fds on the leader.
  ASSERT_EQ(rb.threads.size(), 3u);
  std::map<int64_t, ThreadInfo> by_tid;
  for (auto& t : rb.threads) by_tid[t.tid] = t;
  const ThreadInfo& t = by_tid.at(4242);
  EXPECT_EQ(t.pid, 4242);
  EXPECT_EQ(t.ptid, 1);
  EXPECT_EQ(t.sid, 4242);
  EXPECT_EQ(t.pgid, 4242);
  EXPECT_EQ(t.comm, "sh");
  EXPECT_EQ(t.exe, "/bin/sh");
  EXPECT_EQ(t.exepath, "/usr/bin/dash");
  EXPECT_EQ(t.args, sh.args);
  EXPECT_EQ(t.env, sh.env);
  EXPECT_EQ(t.cwd, "/srv/work/");
  EXPECT_EQ(t.uid, 1000u);
  EXPECT_EQ(t.gid, 1001u);
  EXPECT_EQ(t.vtid, 4242);
  EXPECT_EQ(t.loginuid, 1000u);
  EXPECT_EQ(t.cap_permitted, 0x1ffu);
  EXPECT_EQ(t.cap_effective, 0x3u);
  ASSERT_EQ(t.fds.size(), 3u);
  EXPECT_EQ(t.fds[0].fd, 3);
  EXPECT_EQ(t.fds[0].type, FdType::kFile);
  EXPECT_EQ(t.fds[0].name, "/var/log/app.log");
  EXPECT_EQ(t.fds[0].open_flags, uint32_t(O_WRONLY | O_APPEND));
  EXPECT_EQ(t.fds[0].ino, 777u);
  EXPECT_EQ(t.fds[1].type, FdType::kIpv4);
  EXPECT_EQ(t.fds[1].tuple, conn.tuple);
  EXPECT_EQ(t.fds[1].name, "127.0.0.1:40000->10.1.2.3:443");
  EXPECT_EQ(t.fds[1].l4proto, 6);
  EXPECT_TRUE(t.fds[2].listening);
  EXPECT_EQ(t.fds[2].tuple, listen.tuple);
  EXPECT_EQ(t.fds[2].name, "127.0.0.1:8080");
  EXPECT_EQ(by_tid.at(4243).pid, 4242);
  EXPECT_EQ(by_tid.at(77).comm, "cron");
  EXPECT_EQ(by_tid.at(77).args, std::vector<std::string>{"-f"});

  // Events: one exit per written record, plus the clone caller's exit
  // right before the child's; an enter for each syscall exit.
  ASSERT_EQ(rb.exits.size(), records.size() - 1 + 1);
  size_t j = 0;
  for (size_t i = 0; i + 1 < records.size(); ++i, ++j) {
    auto v = EventView::parse(records[i]);
    if (v->type() == KE_CLONE) {
      auto caller = EventView::parse(rb.exits[j]);
      ASSERT_TRUE(caller.ok());
      EXPECT_EQ(caller->type(), KE_CLONE);
      EXPECT_EQ(caller->tid(), 4242u);
      EXPECT_EQ(caller->param_int(*caller->info().param_index("res")), 5000);
      EXPECT_EQ(caller->param_int(*caller->info().param_index("vtid")), 4242);
      ++j;
    }
    expect_round_trip(records[i], rb.exits[j]);
  }
  EXPECT_EQ(rb.enters, rb.exits.size() - 1);  // procexit has no enter
}

// scap events carry a tid, not a pid: the converter learns a new thread's
// process from its creator's clone exit. clone3 (glibc's pthread_create)
// as much as clone: a thread's events then carry its process's pid.
TEST(ScapWriter, Clone3ThreadsBelongToTheirProcess) {
  std::vector<std::vector<uint8_t>> records;
  records.push_back(record(KE_CLONE3, 2000, 4242, 4242,
                           {{"res", int64_t(4300)}, {"exe", std::string("/usr/bin/app")}, {"tid", int64_t(4242)},
                            {"pid", int64_t(4242)}, {"ptid", int64_t(1)}, {"comm", std::string("app")},
                            {"flags", int64_t(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)}}));
  records.push_back(record(KE_CLONE3, 2001, 4242, 4242,
                           {{"res", int64_t(4400)}, {"exe", std::string("/usr/bin/app")}, {"tid", int64_t(4242)},
                            {"pid", int64_t(4242)}, {"ptid", int64_t(1)}, {"comm", std::string("app")},
                            {"flags", int64_t(0)}}));
  records.push_back(record(KE_MMAP, 2002, 4300, 0, {{"res", int64_t(0)}, {"fd", int64_t(-1)}}));
  records.push_back(record(KE_MMAP, 2003, 4400, 0, {{"res", int64_t(0)}, {"fd", int64_t(-1)}}));
  const std::string path = temp_path("clone3.scap");
  scap::ScapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.write_header({}).ok());
  ASSERT_TRUE(w.write_threads({}).ok());
  for (const auto& r : records) ASSERT_TRUE(w.append(r).ok());
  ASSERT_TRUE(w.close().ok());
  ReadBack rb = read_back(path);
  std::map<uint32_t, uint32_t> pid_of;
  for (const auto& rec : rb.exits) {
    auto v = EventView::parse(rec);
    ASSERT_TRUE(v.ok());
    if (v->type() == KE_MMAP) pid_of[v->tid()] = v->tgid();
  }
  EXPECT_EQ(pid_of.at(4300), 4242u);  // CLONE_THREAD: a thread of 4242
  EXPECT_EQ(pid_of.at(4400), 4400u);  // a new process
}

TEST(ScapWriter, LongStringsAreCutToLibscapLimitsNotRefused) {
  ThreadInfo t;
  t.tid = t.pid = 10;
  t.comm = "long";
  t.exe = std::string(3000, 'e');                 // above SCAP_MAX_PATH_SIZE
  t.args = {std::string(5000, 'a'), "tail"};      // above SCAP_MAX_ARGS_SIZE
  t.cwd = "/";
  const std::string path = temp_path("long.scap");
  scap::ScapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.write_header({}).ok());
  ASSERT_TRUE(w.write_threads({t}).ok());
  ASSERT_TRUE(w.close().ok());
  ReadBack rb = read_back(path);
  ASSERT_EQ(rb.threads.size(), 1u);
  EXPECT_EQ(rb.threads[0].exe.size(), scap::kMaxPathSize);
  EXPECT_TRUE(rb.threads[0].args.empty());  // the first argument alone is over the limit
}

TEST(ScapWriter, WriteErrorsAreReportedNotSwallowed) {
  // /dev/full accepts the open and fails every write with ENOSPC.
  scap::ScapWriter w;
  ASSERT_TRUE(w.open("/dev/full").ok());
  Status st = w.write_header({});
  if (st.ok()) st = w.write_threads({});
  const auto rec = record(KE_WRITE, 1, 2, 2, {{"res", int64_t(3)}, {"fd", int64_t(1)}, {"size", int64_t(3)}});
  for (int i = 0; st.ok() && i < 100000; ++i) st = w.append(rec);
  if (st.ok()) st = w.close();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.to_string().find("/dev/full"), std::string::npos) << st.to_string();
  EXPECT_FALSE(w.close().ok()) << "the first error is sticky";
}

TEST(CaptureFormat, ChosenByExtensionOrFlag) {
  EXPECT_EQ(*capture_format_for("a.kcap", std::nullopt), CaptureFormat::kKcap);
  EXPECT_EQ(*capture_format_for("a.kcap.gz", std::nullopt), CaptureFormat::kKcap);
  EXPECT_EQ(*capture_format_for("a.scap", std::nullopt), CaptureFormat::kScap);
  EXPECT_EQ(*capture_format_for("a.scap.gz", std::nullopt), CaptureFormat::kScap);
  EXPECT_EQ(*capture_format_for("a.kcap", std::string("scap")), CaptureFormat::kScap);
  EXPECT_EQ(*capture_format_for("a.bin", std::string("kcap")), CaptureFormat::kKcap);
  auto bad = capture_format_for("a.pcap", std::nullopt);
  ASSERT_FALSE(bad.ok());
  for (const char* ext : {".kcap", ".kcap.gz", ".scap", ".scap.gz", "--capture-format"})
    EXPECT_NE(bad.status().message().find(ext), std::string::npos) << bad.status().message();
  EXPECT_FALSE(capture_format_for("a.scap", std::string("pcap")).ok());
}

int run(std::vector<std::string> args, std::string& err) {
  args.insert(args.begin(), "kestrel");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, e;
  int code = run_kestrel(static_cast<int>(argv.size()), argv.data(), out, e);
  err = e.str();
  return code;
}

TEST(CaptureFormat, CommandLine) {
  const std::string trace = std::string(KESTREL_FALCO_TRACES) + "/cat_write.scap";
  std::string err;
  // An extension that is neither: a usage error naming what is accepted,
  // and no file.
  const std::string odd = temp_path("odd.capture");
  unlink(odd.c_str());
  EXPECT_EQ(run({"-e", trace, "-w", odd}, err), kExitUsage);
  EXPECT_NE(err.find(".scap"), std::string::npos) << err;
  EXPECT_NE(err.find(".kcap"), std::string::npos) << err;
  EXPECT_NE(access(odd.c_str(), F_OK), 0) << "nothing is written on a usage error";
  EXPECT_EQ(run({"-e", trace, "-w", odd, "--capture-format", "pcap"}, err), kExitUsage);
  EXPECT_EQ(run({"-e", trace, "--capture-format", "scap"}, err), kExitUsage);
  EXPECT_NE(err.find("-w"), std::string::npos) << err;

  // --capture-format scap wins over the extension: the file is a .scap the
  // reader opens, holding cat_write's opens.
  ASSERT_EQ(run({"-e", trace, "-w", odd, "--capture-format", "scap"}, err), kExitOk) << err;
  ReadBack rb = read_back(odd);
  size_t opens = 0;
  for (const auto& r : rb.exits) opens += EventView::parse(r)->type() == KE_OPEN;
  EXPECT_EQ(opens, 4u) << "cat_write.scap holds 4 open exits";
  // A writer error (here: no space left) fails the run, with the reason.
  EXPECT_EQ(run({"-e", trace, "-w", "/dev/full", "--capture-format", "scap"}, err), kExitFailure);
  EXPECT_NE(err.find("recording failed"), std::string::npos) << err;
  EXPECT_NE(err.find("/dev/full"), std::string::npos) << err;
  // And .kcap by flag on a .scap name is a .kcap (the scap reader refuses it).
  const std::string kc = temp_path("really_kcap.scap");
  ASSERT_EQ(run({"-e", trace, "-w", kc, "--capture-format", "kcap"}, err), kExitOk) << err;
  scap::ScapReader reader;
  EXPECT_FALSE(reader.open(kc).ok());
}

}  // namespace
}  // namespace kestrel
