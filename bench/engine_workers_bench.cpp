// engine_workers_bench — the engine stage's throughput (state updates and
// rule evaluation, app/pipeline.h) with N engine workers against 1, on the
// events of a capture (a long live one: record it with `kestrel -A -w`).
//
//   engine_workers_bench CAPTURE WORKERS RULES.yaml...
//
// The capture's events of the types the rules and the state tables take
// (what a live source would be asked for) are read into memory once; each
// run replays them through a Pipeline whose source is read on the
// pipeline's own thread (no reader thread, no file): with 1 worker that
// thread does everything, as today; with N it also routes each event to
// the worker that owns its process (app/engine_workers.h). Alerts go to a
// dispatcher with no sink. Runs alternate 1, N, 1, N, 1, N; each setting's
// best of three is reported (other work on a shared host only slows a run
// down), with the ratio, all in this one invocation.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/collector_plan.h"
#include "app/pipeline.h"
#include "engine/rule_set.h"
#include "sources/capture/capture_source.h"
#include "sources/memory_source.h"

namespace kestrel {
namespace {

// The records in memory, read on the consumer's thread: it takes no judge
// (Multiplexer::read_directly) and passes nothing over.
class PreloadedSource final : public MemorySource {
 public:
  using MemorySource::MemorySource;
  bool prejudge_with(EventPrejudge*) override { return true; }
};

struct Capture {
  std::vector<std::vector<uint8_t>> records;
  std::vector<ThreadInfo> initial;
};

Result<Capture> load_capture(const std::string& path, const EventTypeSet& wanted) {
  auto source = make_capture_source(path);
  if (Status s = source->open(); !s.ok()) return s;
  Capture c;
  c.initial = source->initial_state();
  EventBatch batch;
  for (;;) {
    batch.clear();
    auto outcome = source->next(batch, std::chrono::milliseconds(100));
    if (!outcome.ok()) return outcome.status();
    if (*outcome == NextOutcome::kEof) break;
    for (const Event& ev : batch.events) {
      if (ev.enter || ev.domain != kHostDomain || !wanted.test(ev.view.type())) continue;
      auto bytes = ev.view.bytes();
      c.records.emplace_back(bytes.begin(), bytes.end());
    }
  }
  source->close();
  return c;
}

struct RunResult {
  double seconds = 0;
  uint64_t events = 0, alerts = 0;
};

Result<RunResult> run_once(const engine::RuleSet& rules, const Capture& capture, size_t workers) {
  std::vector<std::unique_ptr<engine::eval::RuleEngine>> engines;
  for (size_t i = 0; i < workers; ++i) {
    auto e = engine::eval::RuleEngine::create(rules, {});
    if (!e.ok()) return e.status();
    engines.push_back(std::move(*e));
  }
  ThreadTable table;
  Multiplexer mux;
  mux.add(std::make_unique<PreloadedSource>("preloaded", capture.records, kHostDomain, 512, capture.initial));
  engine::AlertDispatcher outputs({}, {});
  Pipeline pipeline(mux, table, *engines[0], outputs);
  std::vector<engine::eval::RuleEngine*> others;
  for (size_t i = 1; i < workers; ++i) others.push_back(engines[i].get());
  pipeline.use_workers(others);
  std::atomic<bool> stop{false};
  const auto start = std::chrono::steady_clock::now();
  auto summary = pipeline.run(stop);
  const auto end = std::chrono::steady_clock::now();
  if (!summary.ok()) return summary.status();
  if (summary->workers != workers) return Status(StatusCode::kInternal, "the pipeline ran another worker count");
  return RunResult{std::chrono::duration<double>(end - start).count(), summary->events, summary->alerts};
}

int bench(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: engine_workers_bench CAPTURE WORKERS RULES.yaml...\n");
    return 2;
  }
  const std::string capture_path = argv[1];
  const size_t workers = std::stoul(argv[2]);
  std::vector<std::string> rule_paths(argv + 3, argv + argc);
  engine::LoadResult loaded;
  engine::RuleSet rules = engine::load_rules(rule_paths, loaded);
  if (!loaded.ok()) {
    std::fprintf(stderr, "engine_workers_bench: the rules did not load\n");
    return 1;
  }
  auto probe = engine::eval::RuleEngine::create(rules, {});
  if (!probe.ok()) {
    std::fprintf(stderr, "engine_workers_bench: %s\n", probe.status().to_string().c_str());
    return 1;
  }
  const EventTypeSet wanted = (*probe)->required_event_types() | state_event_types();
  auto capture = load_capture(capture_path, wanted);
  if (!capture.ok()) {
    std::fprintf(stderr, "engine_workers_bench: %s: %s\n", capture_path.c_str(), capture.status().to_string().c_str());
    return 1;
  }
  std::printf("capture %s: %zu events of the %zu types the rules and state take, %zu threads at start; %zu rules\n",
              capture_path.c_str(), capture->records.size(), wanted.count(), capture->initial.size(),
              (*probe)->rule_count());
  RunResult best[2];
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 2; ++k) {
      const size_t n = k == 0 ? 1 : workers;
      auto r = run_once(rules, *capture, n);
      if (!r.ok()) {
        std::fprintf(stderr, "engine_workers_bench: %s\n", r.status().to_string().c_str());
        return 1;
      }
      std::printf("  run %d, %zu worker(s): %.3f s, %.0f events/s, %lu alerts\n", round + 1, n, r->seconds,
                  static_cast<double>(r->events) / r->seconds, static_cast<unsigned long>(r->alerts));
      if (round == 0 || r->seconds < best[k].seconds) best[k] = *r;
    }
  }
  if (best[0].alerts != best[1].alerts) std::printf("ALERT COUNTS DIFFER: %lu vs %lu\n",
                                                    static_cast<unsigned long>(best[0].alerts),
                                                    static_cast<unsigned long>(best[1].alerts));
  std::printf("best: 1 worker %.0f events/s, %zu workers %.0f events/s; ratio %.2fx\n",
              static_cast<double>(best[0].events) / best[0].seconds, workers,
              static_cast<double>(best[1].events) / best[1].seconds, best[0].seconds / best[1].seconds);
  return 0;
}

}  // namespace
}  // namespace kestrel

int main(int argc, char** argv) { return kestrel::bench(argc, argv); }
