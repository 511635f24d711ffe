// container_metadata_bench — the steady-state cost of container metadata
// fields: every event of a known container is a cache hit.
//
// BM_StoreFindHit: ContainerStore::find() on a cached id (what the first
// container.* extraction of each event costs). BM_RulesWithMetadata: a rule
// reading five metadata fields (container.name, .image.repository,
// .image.tag, .mount.dest[/proc*], k8s.pod.name) evaluated on openat events
// of a container thread, with the store; BM_RulesWithoutMetadata: the same
// without a store (the fields are <NA>), so the difference is what the
// metadata costs per event. The store is filled once from a local HTTP
// server on a unix socket answering an Engine API inspect document; the
// live first-event latency with a real dockerd is
// bench/container_first_event_latency.py.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/eval/rule_engine.h"
#include "engine/rule_set.h"
#include "sources/event/event_builder.h"
#include "state/containers/container_store.h"
#include "state/containers/docker_runtime.h"
#include "state/thread_table.h"

namespace kestrel::engine::eval {
namespace {

const std::string kId = "3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
const std::string kInspect = R"({"Id":")" + kId + R"(","Name":"/web-1","Image":"sha256:d807",
  "State":{"StartedAt":"2026-12-06T19:38:03.1Z"},"HostConfig":{"Privileged":false},
  "Mounts":[{"Source":"/data","Destination":"/data","Mode":"","RW":true,"Propagation":"rprivate"},
            {"Source":"/proc","Destination":"/host/proc","Mode":"ro","RW":false,"Propagation":"rprivate"}],
  "Config":{"Image":"team/web:2.1","Labels":{"io.kubernetes.pod.name":"web","io.kubernetes.pod.namespace":"shop"}}})";

// Answers every request with kInspect, one connection at a time.
void serve(int listen_fd) {
  for (;;) {
    int c = accept(listen_fd, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    (void)!read(c, buf, sizeof buf);
    std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(kInspect.size()) + "\r\nConnection: close\r\n\r\n" + kInspect;
    (void)!write(c, reply.data(), reply.size());
    close(c);
  }
}

struct Fixture {
  std::string socket = "/tmp/kestrel_ctr_bench_" + std::to_string(getpid()) + ".sock";
  std::unique_ptr<ContainerStore> store;
  ThreadTable table;
  std::vector<std::vector<uint8_t>> records;
  std::vector<Event> events;
  RuleSet rules;

  Fixture() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket.c_str());
    unlink(socket.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 4) != 0) std::abort();
    std::thread(serve, fd).detach();
    std::vector<std::unique_ptr<ContainerRuntime>> rt;
    rt.push_back(std::make_unique<DockerRuntime>(socket));
    store = std::make_unique<ContainerStore>(std::move(rt));
    if (store->find(kId) == nullptr) std::abort();  // filled: every later find() is a hit

    ThreadInfo t;
    t.tid = t.pid = t.vtid = t.vpid = 4242;
    t.comm = "nginx";
    t.exe = t.exepath = "/usr/sbin/nginx";
    t.container_full_id = kId;
    t.container_id = kId.substr(0, 12);
    t.container_type = "docker";
    table.put(t);
    for (int i = 0; i < 1024; ++i) {
      EventBuilder eb(KE_OPENAT, 1'800'000'000'000'000'000ull + i, 4242, 4242);
      eb.put_int(KPARAM(OPENAT, fd), 3)
          .put_int(KPARAM(OPENAT, dirfd), -100)
          .put_str(KPARAM(OPENAT, name), "/etc/hosts")
          .put_int(KPARAM(OPENAT, flags), 0)
          .put_int(KPARAM(OPENAT, mode), 0)
          .put_int(KPARAM(OPENAT, dev), 0)
          .put_int(KPARAM(OPENAT, ino), 0);
      records.push_back(eb.finish_or_throw());
    }
    for (const auto& r : records) events.push_back(Event{*EventView::parse(r), kHostDomain, 0});
    const std::string path = "/tmp/kestrel_ctr_bench_rules_" + std::to_string(getpid()) + ".yaml";
    std::ofstream(path) << R"(- rule: metadata
  desc: five metadata fields, never true
  condition: evt.type=openat and (container.name="x" or container.image.repository="x" or container.image.tag="x"
             or container.mount.dest[/proc*]="x" or k8s.pod.name="x")
  output: "%container.name"
  priority: WARNING
)";
    LoadResult result;
    rules = load_rules({path}, result);
    unlink(path.c_str());
    if (!result.ok()) std::abort();
  }
  ~Fixture() { unlink(socket.c_str()); }
};

Fixture& fixture() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_StoreFindHit(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.store->find(kId));
  state.counters["lookups"] = static_cast<double>(f.store->stats().lookups.load());
}
BENCHMARK(BM_StoreFindHit);

void run_rules(benchmark::State& state, bool with_store) {
  Fixture& f = fixture();
  RuleEngineOptions opt;
  opt.hostname = "bench";
  opt.containers = with_store ? f.store.get() : nullptr;
  auto engine = RuleEngine::create(f.rules, opt);
  if (!engine.ok()) std::abort();
  std::vector<Alert> alerts;
  size_t i = 0;
  for (auto _ : state) {
    (*engine)->process(f.events[i], f.table, alerts);
    i = (i + 1) % f.events.size();
  }
  if (!alerts.empty()) std::abort();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
void BM_RulesWithMetadata(benchmark::State& state) { run_rules(state, true); }
void BM_RulesWithoutMetadata(benchmark::State& state) { run_rules(state, false); }
BENCHMARK(BM_RulesWithMetadata);
BENCHMARK(BM_RulesWithoutMetadata);

}  // namespace
}  // namespace kestrel::engine::eval

BENCHMARK_MAIN();
