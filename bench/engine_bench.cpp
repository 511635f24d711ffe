// engine_bench — rule evaluation + field extraction throughput on one core.
//
// BM_EngineDefaultRules runs Kestrel's own default ruleset on the same mix.
// Loads the whole stable upstream ruleset (falco_rules.yaml), compiles it
// with RuleEngine, seeds a thread table (a few hundred processes with open
// files and sockets) and replays a synthetic syscall mix shaped like a busy
// host: execve with arguments, openat of config/library/proc/log files,
// read/write, close, socket/connect/accept, unlinkat, setuid. The events
// are built once; the timed loop only evaluates (state is already in the
// table), so the numbers are the engine's own cost per event.
// BM_EngineWithState adds the StateUpdater's work on the same stream.
#include <benchmark/benchmark.h>
#include <fcntl.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/eval/rule_engine.h"
#include "engine/rule_set.h"
#include "sources/event/event_builder.h"
#include "sources/event/process_block.h"
#include "state/state_updater.h"
#include "state/thread_table.h"

#ifndef KESTREL_SHARED_DIR
#error "the build defines KESTREL_SHARED_DIR"
#endif
#ifndef KESTREL_SOURCE_DIR
#error "the build defines KESTREL_SOURCE_DIR"
#endif

namespace kestrel::engine::eval {
namespace {

struct Bench {
  ThreadTable table;
  std::vector<std::vector<uint8_t>> records;
  std::vector<Event> events;
  std::unique_ptr<RuleEngine> engine;
  RuleSet rules;
};

const char* kBinaries[][2] = {
    {"/usr/bin/bash", "bash"},     {"/usr/bin/python3", "python3"}, {"/usr/bin/curl", "curl"},
    {"/usr/bin/git", "git"},       {"/usr/bin/ls", "ls"},           {"/usr/bin/cat", "cat"},
    {"/usr/bin/grep", "grep"},     {"/usr/sbin/nginx", "nginx"},    {"/usr/bin/node", "node"},
    {"/usr/bin/sed", "sed"},       {"/usr/bin/awk", "awk"},         {"/usr/bin/ps", "ps"},
    {"/usr/bin/sh", "sh"},         {"/usr/bin/java", "java"},       {"/usr/bin/sleep", "sleep"},
};
const char* kFiles[] = {
    "/etc/ld.so.cache",         "/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/passwd",
    "/proc/self/stat",          "/var/log/app/app.log",               "/home/alice/project/main.py",
    "/etc/nsswitch.conf",       "/usr/share/zoneinfo/UTC",            "/tmp/build-1234/out.o",
    "/etc/shadow",              "/dev/null",                          "/sys/fs/cgroup/cpu.max",
    "/etc/hosts",               "/usr/lib/python3.11/os.py",          "/root/.ssh/authorized_keys",
    "/var/lib/dpkg/status",
};

ThreadInfo make_process(int64_t pid, int64_t ppid, const char* exe, const char* comm, std::mt19937& rng) {
  ThreadInfo t;
  t.tid = t.pid = t.vtid = t.vpid = pid;
  t.ptid = ppid;
  t.sid = t.pgid = ppid > 1 ? ppid : pid;
  t.comm = comm;
  t.exe = t.exepath = exe;
  t.args = {"--flag", "value" + std::to_string(rng() % 100), "/path/to/input"};
  t.cwd = "/home/alice";
  t.root = "/";
  t.uid = t.euid = t.gid = t.egid = rng() % 3 == 0 ? 0 : 1000;
  t.loginuid = t.uid == 0 ? UINT32_MAX : 1000;
  t.tty = rng() % 4 == 0 ? 34816 : 0;
  t.container_id = rng() % 5 == 0 ? "abcdef012345" : "";
  t.start_ts = 1000;
  t.env = {"HOME=/home/alice", "PATH=/usr/bin:/bin"};
  return t;
}

void setup(Bench& b, size_t n_events, const std::string& rules_path) {
  LoadResult result;
  b.rules = load_rules({rules_path}, result);
  if (!result.ok()) {
    std::fprintf(stderr, "engine_bench: loading rules failed\n");
    std::abort();
  }
  RuleEngineOptions opt;
  opt.hostname = "bench";
  opt.rule_matching = RuleMatching::kAll;
  auto engine = RuleEngine::create(b.rules, opt);
  if (!engine.ok()) {
    std::fprintf(stderr, "engine_bench: %s\n", engine.status().message().c_str());
    std::abort();
  }
  b.engine = std::move(engine).value();

  std::mt19937 rng(12345);
  // A process tree: 1 → 20 services → 300 workers/shells.
  ThreadInfo init = make_process(1, 0, "/usr/lib/systemd/systemd", "systemd", rng);
  b.table.put(init);
  for (int64_t s = 2; s < 22; ++s) {
    auto& bin = kBinaries[rng() % std::size(kBinaries)];
    b.table.put(make_process(s, 1, bin[0], bin[1], rng));
  }
  std::vector<int64_t> pids;
  for (int64_t p = 100; p < 400; ++p) {
    auto& bin = kBinaries[rng() % std::size(kBinaries)];
    b.table.put(make_process(p, 2 + static_cast<int64_t>(rng() % 20), bin[0], bin[1], rng));
    pids.push_back(p);
    // Open files on fds 3..10, a connected socket on 11, a listening one on 12.
    for (int64_t fd = 3; fd <= 10; ++fd) {
      FdInfo f;
      f.fd = fd;
      f.type = FdType::kFile;
      f.name = kFiles[rng() % std::size(kFiles)];
      f.open_flags = O_RDONLY;
      b.table.put_fd(kHostDomain, p, f);
    }
    const uint8_t lip[4] = {10, 0, 0, 5}, rip[4] = {93, 184, 216, static_cast<uint8_t>(rng() % 255)};
    FdInfo sock;
    sock.fd = 11;
    sock.type = FdType::kIpv4;
    sock.l4proto = 6;
    sock.tuple = encode_tuple_in(lip, 40000, rip, 443);
    sock.name = "10.0.0.5:40000->93.184.216.1:443";
    b.table.put_fd(kHostDomain, p, sock);
  }

  uint64_t ts = 1'700'000'000'000'000'000ull;
  for (size_t i = 0; i < n_events; ++i) {
    int64_t pid = pids[rng() % pids.size()];
    auto tid = static_cast<uint32_t>(pid);
    ts += 1000;
    unsigned kind = rng() % 100;
    std::vector<uint8_t> rec;
    if (kind < 8) {  // execve
      auto& bin = kBinaries[rng() % std::size(kBinaries)];
      const ThreadInfo* cur = b.table.find(kHostDomain, pid);
      std::string a1 = "-c", a2 = "arg" + std::to_string(rng() % 50);
      std::vector<std::string_view> args = {a1, a2};
      std::vector<std::string_view> env = {"HOME=/home/alice"};
      EventBuilder eb(KE_EXECVE, ts, tid, tid);
      eb.put_int(KPARAM(EXECVE, res), 0);
      ProcessBlockValues p;
      p.exe = bin[0];
      p.args = args;
      p.tid = p.pid = p.vtid = p.vpid = pid;
      p.ptid = cur->ptid;
      p.cwd = cur->cwd;
      p.comm = bin[1];
      p.env = env;
      p.tty = cur->tty;
      p.pgid = cur->pgid;
      p.sid = cur->sid;
      p.loginuid = cur->loginuid;
      p.uid = cur->uid;
      p.euid = cur->euid;
      p.gid = cur->gid;
      p.egid = cur->egid;
      p.cap_inheritable = p.cap_permitted = p.cap_effective = 0;
      p.exe_flags = 0;
      p.start_ts = ts;
      put_process_block(eb, p);  // cgroups, exepath: empty
      rec = eb.finish_or_throw();
    } else if (kind < 38) {  // openat of an fd the table knows
      int64_t fd = 3 + static_cast<int64_t>(rng() % 8);
      const FdInfo* f = b.table.fd(kHostDomain, pid, fd);
      uint32_t flags = rng() % 4 == 0 ? (O_WRONLY | O_CREAT | O_TRUNC) : O_RDONLY | O_CLOEXEC;
      EventBuilder eb(KE_OPENAT, ts, tid, tid);
      eb.put_int(KPARAM(OPENAT, fd), fd)
          .put_int(KPARAM(OPENAT, dirfd), -100)
          .put_str(KPARAM(OPENAT, name), f->name)
          .put_int(KPARAM(OPENAT, flags), flags)
          .put_int(KPARAM(OPENAT, mode), 0644)
          .put_int(KPARAM(OPENAT, dev), 0)
          .put_int(KPARAM(OPENAT, ino), 0);
      rec = eb.finish_or_throw();
    } else if (kind < 50) {  // close
      EventBuilder eb(KE_CLOSE, ts, tid, tid);
      eb.put_int(KPARAM(CLOSE, res), 0).put_int(KPARAM(CLOSE, fd), 3 + static_cast<int64_t>(rng() % 8));
      rec = eb.finish_or_throw();
    } else if (kind < 85) {  // read / write
      const uint8_t data[16] = {};
      EventBuilder eb(kind < 70 ? KE_READ : KE_WRITE, ts, tid, tid);
      eb.put_int("res", 16).put_int("fd", 3 + static_cast<int64_t>(rng() % 9)).put_int("size", 4096);
      eb.put_bytes("data", data);
      rec = eb.finish_or_throw();
    } else if (kind < 92) {  // connect
      const uint8_t lip[4] = {10, 0, 0, 5}, rip[4] = {93, 184, 216, 34};
      EventBuilder eb(KE_CONNECT, ts, tid, tid);
      eb.put_int(KPARAM(CONNECT, res), 0)
          .put_int(KPARAM(CONNECT, fd), 11)
          .put_bytes(KPARAM(CONNECT, tuple), encode_tuple_in(lip, 40000, rip, 443))
          .put_bytes(KPARAM(CONNECT, addr), encode_sockaddr_in(rip, 443));
      rec = eb.finish_or_throw();
    } else if (kind < 95) {  // socket
      EventBuilder eb(KE_SOCKET, ts, tid, tid);
      eb.put_int(KPARAM(SOCKET, fd), 13)
          .put_int(KPARAM(SOCKET, domain), 2)
          .put_int(KPARAM(SOCKET, type), 1)
          .put_int(KPARAM(SOCKET, proto), 0);
      rec = eb.finish_or_throw();
    } else if (kind < 98) {  // unlinkat
      EventBuilder eb(KE_UNLINKAT, ts, tid, tid);
      eb.put_int(KPARAM(UNLINKAT, res), 0)
          .put_int(KPARAM(UNLINKAT, dirfd), -100)
          .put_str(KPARAM(UNLINKAT, name), "/tmp/build-1234/tmp.o")
          .put_int(KPARAM(UNLINKAT, flags), 0);
      rec = eb.finish_or_throw();
    } else {  // setuid
      EventBuilder eb(KE_SETUID, ts, tid, tid);
      eb.put_int(KPARAM(SETUID, res), 0).put_int(KPARAM(SETUID, uid), 1000);
      rec = eb.finish_or_throw();
    }
    b.records.push_back(std::move(rec));
  }
  for (const auto& r : b.records) {
    auto v = EventView::parse(r);
    if (!v.ok()) std::abort();
    b.events.push_back(Event{*v, kHostDomain, 0});
  }
}

// The stable upstream ruleset (issue 3's target) on the synthetic mix.
Bench& shared_bench() {
  static Bench* b = [] {
    auto* x = new Bench();
    setup(*x, 1 << 14, std::string(KESTREL_SHARED_DIR) + "/upstream-rules/falco_rules.yaml");
    return x;
  }();
  return *b;
}

// Kestrel's own default ruleset (rules/, as embedded) on the same mix.
Bench& default_rules_bench() {
  static Bench* b = [] {
    auto* x = new Bench();
    setup(*x, 1 << 14, std::string(KESTREL_SOURCE_DIR) + "/rules/kestrel_rules.yaml");
    return x;
  }();
  return *b;
}

void evaluate_loop(benchmark::State& state, Bench& b) {
  std::vector<Alert> alerts;
  alerts.reserve(64);
  size_t i = 0, n = b.events.size();
  uint64_t raised = 0;
  for (auto _ : state) {
    b.engine->process(b.events[i], b.table, alerts);
    raised += alerts.size();
    alerts.clear();
    if (++i == n) i = 0;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["ns/event"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["alerts/event"] = static_cast<double>(raised) / static_cast<double>(state.iterations());
  state.counters["rules"] = static_cast<double>(b.engine->rule_count());
  state.counters["evals/event"] = static_cast<double>(b.engine->stats().rules_evaluated) /
                                  static_cast<double>(b.engine->stats().events);
}

void BM_EngineEvaluate(benchmark::State& state) { evaluate_loop(state, shared_bench()); }
BENCHMARK(BM_EngineEvaluate);

void BM_EngineDefaultRules(benchmark::State& state) { evaluate_loop(state, default_rules_bench()); }
BENCHMARK(BM_EngineDefaultRules);

// The same stream with the state updater applied first (what the collector
// does per event). The table's fds churn (close/open), so this mixes in
// the cost of misses as well.
void BM_EngineWithState(benchmark::State& state) {
  Bench& b = shared_bench();
  ThreadTable table;
  table.load(b.table.snapshot());
  StateUpdater updater(table);
  std::vector<Alert> alerts;
  size_t i = 0, n = b.events.size();
  for (auto _ : state) {
    updater.apply(b.events[i]);
    b.engine->process(b.events[i], table, alerts);
    alerts.clear();
    if (++i == n) i = 0;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EngineWithState);

}  // namespace
}  // namespace kestrel::engine::eval

BENCHMARK_MAIN();
