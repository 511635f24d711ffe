// gvisor_e2e_drops — end to end: how many runsc points are lost while a
// sandbox runs a syscall-heavy loop and Kestrel's gVisor source reads them.
//
// A GvisorSource (the code the kestrel binary runs for engine.kind=gvisor)
// listens on a temporary socket with the default socket buffer; a reader
// thread drains it with next() as the multiplexer does (optionally sleeping
// per batch, --reader-delay-us, to show what a reader that falls behind
// costs). Then real sandboxes run, one per workload:
//
//   open-close  this binary re-executed inside the sandbox, N x (open +
//               close of /dev/null): two schematized points per loop;
//   fork-exec   /bin/sh running `cat /dev/null` M times: clone, execve,
//               opens, mmaps, exits (~30 points per loop).
//
// with `runsc --network=none --pod-init-config=<every point the source can
// use> do ...`. For each: points received, runsc's own dropped counter (from
// the wire headers: what the sandbox could not send because our socket was
// full) and lost = dropped / (received + dropped). Drops runsc counted after
// its last sent message are not visible to any receiver.
//
// Needs root and /usr/bin/runsc. Not run by `make test`; `make bench` runs it.
//
// --retries R sets the remote sink's "retries" (pod_init_config.h): runsc
// then waits (backing off from 25us to 10ms) instead of dropping at once.
//
//   gvisor_e2e_drops [--open-close N] [--fork-exec M] [--reader-delay-us U] [--retries R]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gvisor/gvisor_source.h"
#include "gvisor/pod_init_config.h"

namespace {

using namespace kestrel;
using namespace kestrel::gvisor;
using Clock = std::chrono::steady_clock;

constexpr const char* kRunsc = "/usr/bin/runsc";

// Inside the sandbox: the tight loop.
int workload_open_close(long n) {
  for (long i = 0; i < n; ++i) {
    int fd = ::open("/dev/null", O_RDONLY);
    if (fd >= 0) ::close(fd);
  }
  return 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct Totals {
  uint64_t packets = 0, events = 0, dropped = 0, malformed = 0, unknown = 0;
};

Totals totals(const GvisorSource& src) {
  Totals t;
  for (const SandboxStats& s : src.sandbox_stats()) {
    t.packets += s.packets;
    t.events += s.events;
    t.dropped += s.sandbox_dropped;
    t.malformed += s.malformed;
    t.unknown += s.unknown_type;
  }
  return t;
}

// Runs runsc ... do argv; returns the exit status.
int run_sandbox(const std::string& dir, const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open((dir + "/runsc.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<std::string> args = {kRunsc, "--root=" + dir + "/root", "--network=none",
                                     "--pod-init-config=" + dir + "/pod_init.json", "do", "--quiet"};
    args.insert(args.end(), argv.begin(), argv.end());
    std::vector<char*> c;
    for (auto& a : args) c.push_back(a.data());
    c.push_back(nullptr);
    ::execv(kRunsc, c.data());
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void report(const char* name, const Totals& before, const Totals& after, double seconds, long loops) {
  uint64_t got = after.packets - before.packets, dropped = after.dropped - before.dropped;
  double lost = got + dropped ? double(dropped) / double(got + dropped) : 0.0;
  std::printf("%-10s loops %7ld  %6.1f s  points received %9llu (%8.0f/s)  records %9llu  "
              "runsc dropped %8llu  lost %.4f%%\n",
              name, loops, seconds, static_cast<unsigned long long>(got), got / seconds,
              static_cast<unsigned long long>(after.events - before.events),
              static_cast<unsigned long long>(dropped), lost * 100.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--workload-open-close") return workload_open_close(std::atol(argv[2]));
  long open_close = 100000, fork_exec = 2000, delay_us = 0, retries = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long v = std::atol(argv[i + 1]);
    if (k == "--open-close") open_close = v;
    else if (k == "--fork-exec") fork_exec = v;
    else if (k == "--reader-delay-us") delay_us = v;
    else if (k == "--retries") retries = v;
    else {
      std::fprintf(stderr, "usage: %s [--open-close N] [--fork-exec M] [--reader-delay-us U] [--retries R]\n", argv[0]);
      return 2;
    }
  }
  if (::geteuid() != 0 || ::access(kRunsc, X_OK) != 0) {
    std::fprintf(stderr, "gvisor_e2e_drops: needs root and %s (Debian package runsc)\n", kRunsc);
    return 1;
  }
  char tmpl[] = "/tmp/kestrel-e2e-drops-XXXXXX";
  if (!::mkdtemp(tmpl)) return 1;
  std::string dir = tmpl;
  std::filesystem::create_directories(dir + "/root");

  GvisorSourceConfig cfg;
  cfg.server.socket_path = dir + "/gvisor.sock";
  auto src = make_gvisor_source(cfg);
  if (Status s = src->open(); !s.ok()) {
    std::fprintf(stderr, "gvisor_e2e_drops: %s\n", s.to_string().c_str());
    return 1;
  }
  PodInitConfigOptions opt;
  opt.endpoint = cfg.server.socket_path;
  opt.ignore_setup_error = false;
  opt.retries = static_cast<int>(retries);
  std::ofstream(dir + "/pod_init.json") << pod_init_config_json(src->capabilities().event_types, opt);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> read_events{0};
  std::thread reader([&] {
    EventBatch batch;
    while (!stop.load()) {
      auto r = src->next(batch, std::chrono::milliseconds(50));
      if (!r.ok()) break;
      read_events += batch.events.size();
      if (delay_us > 0 && !batch.events.empty()) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    }
  });

  std::printf("socket buffer default rmem %s / wmem %s bytes, sink retries %ld, reader delay %ld us/batch, "
              "%u cpus, load %s\n",
              read_file("/proc/sys/net/core/rmem_default").c_str(), read_file("/proc/sys/net/core/wmem_default").c_str(),
              retries, delay_us, std::thread::hardware_concurrency(), read_file("/proc/loadavg").c_str());
  int rc = 0;
  auto run = [&](const char* name, long loops, const std::vector<std::string>& cmd) {
    if (loops <= 0) return;
    Totals before = totals(*src);
    auto start = Clock::now();
    int status = run_sandbox(dir, cmd);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    // Let the reader drain what is queued, then read the counters.
    for (int i = 0; i < 100; ++i) {
      bool open = false;
      for (const SandboxStats& s : src->sandbox_stats()) open = open || s.open;
      if (!open) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "%s: sandbox failed (status %d); see %s/runsc.log\n", name, status, dir.c_str());
      rc = 1;
    }
    report(name, before, totals(*src), seconds, loops);
  };
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  run("open-close", open_close, {self, "--workload-open-close", std::to_string(open_close)});
  run("fork-exec", fork_exec,
      {"/bin/sh", "-c", "i=0; while [ $i -lt " + std::to_string(fork_exec) + " ]; do cat /dev/null; i=$((i+1)); done"});

  stop = true;
  reader.join();
  Totals t = totals(*src);
  std::printf("total: points %llu, records delivered to the reader %llu, runsc dropped %llu, malformed %llu, "
              "unknown types %llu\n",
              static_cast<unsigned long long>(t.packets), static_cast<unsigned long long>(read_events.load()),
              static_cast<unsigned long long>(t.dropped), static_cast<unsigned long long>(t.malformed),
              static_cast<unsigned long long>(t.unknown));
  src->close();
  if (rc == 0) std::filesystem::remove_all(dir);
  return rc;
}
