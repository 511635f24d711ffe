// engine_workers_bench — the engine stage's throughput (state updates and
// rule evaluation, app/pipeline.h) with N engine workers against 1, on the
// events of a capture (a long live one: record it with `kestrel -A -w`).
//
//   engine_workers_bench CAPTURE WORKERS [--passes=K] [--rounds=R] [--once] [--per-cpu] RULES.yaml...
//
// The capture's events of the types the rules and the state tables take
// (what a live source would be asked for) are read into memory once; each
// run replays them K times (default 1) through a Pipeline whose source is
// read on the pipeline's own thread (no reader thread, no file): with 1
// worker that thread does everything, as today; with N it also routes each
// event to the worker that owns its process (app/engine_workers.h). A
// capture of a minute replays in a fraction of a second, which a shared
// host's noise swamps: the passes make a run long enough to measure; a
// later pass sees the processes of the first again (their clones, execs and
// exits replayed), as a host whose workload repeats would. Alerts go to a
// dispatcher with no sink. Runs alternate 1, N, 1, N... for R rounds
// (default 3); each setting's best and median are reported (other work on
// a shared host only slows a run down), with the ratios and the median of
// each round's own ratio, all in this one invocation. On this VM memory
// latency drifts by up to 3x within minutes (a random-access loop took
// 0.5-1.7 s), so a short run and many rounds sample it evenly. --once
// runs WORKERS once and nothing else (to profile one setting).
//
// --per-cpu: each round also runs 1 worker pinned to each CPU, and the
// report adds what the CPUs allow: on this VM one vCPU at a time often runs
// this engine ~1.5x slower than the other (the host's other work on its
// core: a high-IPC loop pinned to it was ~18 % slower, the engine more),
// and for a while, then the other; an N-worker run can at best take the sum
// of the CPUs' 1-worker rates, so its rate over that sum is the parallel
// efficiency, and over the faster CPU's rate the ratio the issue asks for.
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/collector_plan.h"
#include "app/pipeline.h"
#include "engine/rule_set.h"
#include "sources/capture/capture_source.h"

namespace kestrel {
namespace {

// The records in memory, `passes` times over, read on the consumer's
// thread: it takes no judge (Multiplexer::read_directly) and passes
// nothing over.
class PreloadedSource final : public Source {
 public:
  PreloadedSource(const std::vector<std::vector<uint8_t>>& records, size_t passes, std::vector<ThreadInfo> initial)
      : records_(records), passes_(passes), initial_(std::move(initial)) {
    caps_.name = "preloaded";
    caps_.live = false;
    caps_.event_types.set();
  }
  bool prejudge_with(EventPrejudge*) override { return true; }
  const SourceCapabilities& capabilities() const override { return caps_; }
  Status open() override { return ok_status(); }
  std::vector<ThreadInfo> initial_state() override { return initial_; }
  Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds) override {
    out.clear();
    while (out.events.size() < kBatch && pass_ < passes_) {
      auto view = EventView::parse(records_[pos_]);  // parsed once at load: cannot fail
      out.events.push_back(Event{*view, kHostDomain, 0});
      if (++pos_ == records_.size()) {
        pos_ = 0;
        ++pass_;
      }
    }
    events_ += out.events.size();
    return out.events.empty() ? NextOutcome::kEof : NextOutcome::kBatch;
  }
  SourceStats stats() const override {
    SourceStats s;
    s.events = events_;
    return s;
  }
  void close() override {}

 private:
  static constexpr size_t kBatch = 512;
  const std::vector<std::vector<uint8_t>>& records_;
  size_t passes_, pass_ = 0, pos_ = 0;
  std::vector<ThreadInfo> initial_;
  SourceCapabilities caps_;
  uint64_t events_ = 0;  // read on this thread only (stats() after run())
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

Result<RunResult> run_once(const engine::RuleSet& rules, const Capture& capture, size_t passes, size_t workers) {
  std::vector<std::unique_ptr<engine::eval::RuleEngine>> engines;
  for (size_t i = 0; i < workers; ++i) {
    auto e = engine::eval::RuleEngine::create(rules, {});
    if (!e.ok()) return e.status();
    engines.push_back(std::move(*e));
  }
  ThreadTable table;
  Multiplexer mux;
  mux.add(std::make_unique<PreloadedSource>(capture.records, passes, capture.initial));
  engine::AlertDispatcher outputs({}, {});
  // On this thread with 1 worker too: with no prejudge types (the upstream
  // rules have none) the Pipeline would start a reader thread, which gave
  // the 1-worker runs a second core to copy the events on.
  if (!mux.read_directly(nullptr)) return Status(StatusCode::kInternal, "the source cannot be read directly");
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

// run_once with 1 worker on `cpu` only (the pipeline's thread is this one).
Result<RunResult> run_pinned(const engine::RuleSet& rules, const Capture& capture, size_t passes, int cpu) {
  cpu_set_t before, only;
  if (sched_getaffinity(0, sizeof before, &before) != 0) return Status(StatusCode::kInternal, "sched_getaffinity");
  CPU_ZERO(&only);
  CPU_SET(cpu, &only);
  if (sched_setaffinity(0, sizeof only, &only) != 0)
    return Status(StatusCode::kInternal, "cannot pin to CPU " + std::to_string(cpu));
  auto r = run_once(rules, capture, passes, 1);
  sched_setaffinity(0, sizeof before, &before);
  return r;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int bench(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: engine_workers_bench CAPTURE WORKERS [--passes=K] [--rounds=R] [--once] [--per-cpu] RULES.yaml...\n");
    return 2;
  }
  const std::string capture_path = argv[1];
  const size_t workers = std::stoul(argv[2]);
  size_t passes = 1;
  int rounds = 3;
  int first_rules = 3;
  bool once = false;
  bool per_cpu = false;
  for (; first_rules < argc && std::string_view(argv[first_rules]).starts_with("--"); ++first_rules) {
    const std::string_view opt = argv[first_rules];
    if (opt.starts_with("--passes=")) passes = std::max<size_t>(1, std::stoul(std::string(opt.substr(9))));
    else if (opt.starts_with("--rounds=")) rounds = std::max(1, std::stoi(std::string(opt.substr(9))));
    else if (opt == "--once") once = true;
    else if (opt == "--per-cpu") per_cpu = true;
    else {
      std::fprintf(stderr, "engine_workers_bench: unknown option %s\n", argv[first_rules]);
      return 2;
    }
  }
  std::vector<std::string> rule_paths(argv + first_rules, argv + argc);
  engine::LoadResult loaded;
  engine::RuleSet rules = engine::load_rules(rule_paths, loaded);
  if (rule_paths.empty() || !loaded.ok()) {
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
  std::printf("capture %s: %zu events of the %zu types the rules and state take, %zu threads at start; %zu rules; "
              "%zu pass(es) per run\n",
              capture_path.c_str(), capture->records.size(), wanted.count(), capture->initial.size(),
              (*probe)->rule_count(), passes);
  if (once) {
    auto r = run_once(rules, *capture, passes, workers);
    if (!r.ok()) {
      std::fprintf(stderr, "engine_workers_bench: %s\n", r.status().to_string().c_str());
      return 1;
    }
    std::printf("  %zu worker(s): %.3f s, %.0f events/s, %lu alerts\n", workers, r->seconds,
                static_cast<double>(r->events) / r->seconds, static_cast<unsigned long>(r->alerts));
    return 0;
  }
  const int cpus = per_cpu ? static_cast<int>(std::min<unsigned>(std::thread::hardware_concurrency(), 8)) : 0;
  std::vector<std::vector<double>> pinned(static_cast<size_t>(cpus));
  std::vector<double> seconds[2];
  uint64_t events[2] = {0, 0}, alerts[2] = {0, 0};
  for (int round = 0; round < rounds; ++round) {
    for (int cpu = 0; cpu < cpus; ++cpu) {
      auto r = run_pinned(rules, *capture, passes, cpu);
      if (!r.ok()) {
        std::fprintf(stderr, "engine_workers_bench: %s\n", r.status().to_string().c_str());
        return 1;
      }
      std::printf("  run %d, 1 worker on CPU %d: %.3f s, %.0f events/s\n", round + 1, cpu, r->seconds,
                  static_cast<double>(r->events) / r->seconds);
      pinned[static_cast<size_t>(cpu)].push_back(r->seconds);
    }
    for (int k = 0; k < 2; ++k) {
      const size_t n = k == 0 ? 1 : workers;
      auto r = run_once(rules, *capture, passes, n);
      if (!r.ok()) {
        std::fprintf(stderr, "engine_workers_bench: %s\n", r.status().to_string().c_str());
        return 1;
      }
      std::printf("  run %d, %zu worker(s): %.3f s, %.0f events/s, %lu alerts\n", round + 1, n, r->seconds,
                  static_cast<double>(r->events) / r->seconds, static_cast<unsigned long>(r->alerts));
      std::fflush(stdout);
      seconds[k].push_back(r->seconds);
      if (round > 0 && (r->events != events[k] || r->alerts != alerts[k]))
        std::printf("RUNS DIFFER: %lu events %lu alerts, then %lu events %lu alerts\n",
                    static_cast<unsigned long>(events[k]), static_cast<unsigned long>(alerts[k]),
                    static_cast<unsigned long>(r->events), static_cast<unsigned long>(r->alerts));
      events[k] = r->events;
      alerts[k] = r->alerts;
    }
  }
  if (alerts[0] != alerts[1])
    std::printf("ALERT COUNTS DIFFER: %lu vs %lu\n", static_cast<unsigned long>(alerts[0]),
                static_cast<unsigned long>(alerts[1]));
  const double best1 = *std::min_element(seconds[0].begin(), seconds[0].end());
  const double bestn = *std::min_element(seconds[1].begin(), seconds[1].end());
  const double med1 = median_of(seconds[0]), medn = median_of(seconds[1]);
  std::printf("best: 1 worker %.0f events/s, %zu workers %.0f events/s; ratio %.2fx\n",
              static_cast<double>(events[0]) / best1, workers, static_cast<double>(events[1]) / bestn, best1 / bestn);
  std::printf("median: 1 worker %.3f s, %zu workers %.3f s; ratio %.2fx\n", med1, workers, medn, med1 / medn);
  std::vector<double> round_ratios;
  for (size_t i = 0; i < seconds[0].size(); ++i) round_ratios.push_back(seconds[0][i] / seconds[1][i]);
  std::printf("median of the rounds' own ratios: %.2fx (%zu rounds)\n", median_of(round_ratios), round_ratios.size());
  if (cpus > 0) {
    // Per round: the N-worker rate over the sum of the CPUs' 1-worker
    // rates (efficiency), and over the faster CPU's (the ratio with
    // the slower core's handicap taken out of the 1-worker side).
    std::vector<double> efficiency, over_fastest, spread;
    for (size_t i = 0; i < seconds[1].size(); ++i) {
      double sum = 0, fastest = 0, slowest = 1e30;
      for (const auto& p : pinned) {
        sum += 1 / p[i];
        fastest = std::max(fastest, 1 / p[i]);
        slowest = std::min(slowest, 1 / p[i]);
      }
      efficiency.push_back((1 / seconds[1][i]) / sum);
      over_fastest.push_back((1 / seconds[1][i]) / fastest);
      spread.push_back(fastest / slowest);
    }
    for (int cpu = 0; cpu < cpus; ++cpu)
      std::printf("1 worker on CPU %d: median %.3f s\n", cpu, median_of(pinned[static_cast<size_t>(cpu)]));
    std::printf("per round, medians: fastest CPU / slowest CPU %.2fx; %zu workers / fastest CPU's 1 worker %.2fx; "
                "%zu workers / sum of the CPUs' 1-worker rates %.0f %%\n",
                median_of(spread), workers, median_of(over_fastest), workers, 100 * median_of(efficiency));
  }
  return 0;
}

}  // namespace
}  // namespace kestrel

int main(int argc, char** argv) { return kestrel::bench(argc, argv); }
