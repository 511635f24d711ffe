// pipeline.h — sources → state → rules → outputs, on the calling thread.
//
// The multiplexer's reader threads fill its queues; run() is the engine
// thread: for each event it updates the thread/fd tables and evaluates the
// rules, handing alerts to the dispatcher (which never blocks). Order per
// event follows Falco: state is updated first so rules see the state after
// the syscall (events are exit events), except for events that *remove*
// state (close, procexit), which are evaluated first so their rules still
// see the fd or process that goes away.
//
// engine.workers (use_workers): rule evaluation is split by process over
// several workers, this thread being worker 0, and every worker keeps its
// replica of the state tables (app/engine_workers.h); everything else
// (event numbers, -w, publishing, counters, the outputs) stays here, in
// event order.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "app/engine_workers.h"
#include "app/event_second_clock.h"
#include "app/fleet_correlator.h"
#include "engine/eval/rule_engine.h"
#include "outputs/alert_dispatcher.h"
#include "plugins/plugin_event_parsing.h"
#include "sources/capture/capture_recorder.h"
#include "sources/remote/forwarder.h"
#include "sources/capture/triggered_capture.h"
#include "sources/multiplexer.h"
#include "state/state_updater.h"
#include "state/thread_table.h"

namespace kestrel {

// One rule's matches with what Falco labels them by in
// falcosecurity_falco_rules_matches_total.
struct RuleMatches {
  std::string rule;
  std::string source;
  engine::Priority priority = engine::Priority::kDebug;
  std::vector<std::string> tags;
  uint64_t matches = 0;
};

struct PipelineSummary {
  uint64_t events = 0;
  uint64_t alerts = 0;
  std::map<std::string, uint64_t> alerts_by_rule;
  std::map<std::string, uint64_t> alerts_by_priority;
  // By (source, rule): a rule name is unique within its source.
  std::map<std::pair<std::string, std::string>, RuleMatches> rule_matches;
  std::vector<SourceReport> sources;
  engine::DispatcherStats outputs;
  ThreadTableStats state;
  // proc.exe_sha256's hashing (state/exe_digest.h), every engine's summed.
  ExeDigestStats exe_digests;
  size_t workers = 1;         // engine workers that evaluated (app/engine_workers.h)
  bool interrupted = false;  // stopped by a signal or -M, not by end of input
  uint64_t recorded = 0;     // events written to the -w capture
  Status recording;          // why recording stopped early, if it did
  std::optional<FleetCorrelatorStats> correlations;  // with fleet.correlations (filled with sources)
  // Events the -w file's format could not hold, by Kestrel event type
  // (a .scap has no row for them): counted, printed at exit.
  std::map<uint16_t, uint64_t> not_recorded;
};

// A replay read on this thread (Multiplexer::read_directly) asks the
// pipeline, as the EventPrejudge, about exit records of types the state
// tables do not change (StateUpdater::changes_state) and whose rules read
// only thread/fd state (RuleEngine::state_determined_types): when the same
// (type, thread, fd number) was last handled with no match and no state
// change has happened since, the answer is the same, and the replay passes
// over the event without building it. It is counted as handled: event
// number, rule and state counts, the thread's recency in the table, the
// event-time clock. Only with nothing else reading every event: no -w
// recording, no rule-triggered captures, no plugin parsing or plugin
// sources; a rules reload ends it.
class Pipeline : private EventPrejudge {
 public:
  // All references must outlive the pipeline. The multiplexer must not be
  // started yet: run() starts it.
  Pipeline(Multiplexer& mux, ThreadTable& table, engine::eval::RuleEngine& rules, engine::AlertDispatcher& outputs);
  // The rules' user cache leaves the table's memory budget (both outlive this).
  ~Pipeline() {
    workers_.reset();
    rules_->set_memory_budget(nullptr);
    for (auto* e : worker_rules_) e->set_memory_budget(nullptr);
  }

  // engine.workers: `engines` evaluate for workers 1..N-1 (N = size + 1),
  // compiled as the pipeline's rules (LoadedRules::worker_engines). Set
  // before run(). run() falls back to one worker (workers_note() says why)
  // with what only one thread can do: plugin parsing or routing, rule
  // captures, fleet correlations.
  void use_workers(std::vector<engine::eval::RuleEngine*> engines) { worker_rules_ = std::move(engines); }
  // After run() started: the workers in use, and why not more if fewer.
  size_t workers_in_use() const { return workers_ ? workers_->count() : 1; }
  const std::string& workers_note() const { return workers_note_; }

  // Runs until every source has ended, `stop` becomes true, or `max_duration`
  // passes. Errors: a source that could not be opened.
  // `on_started` runs once the sources are open and the initial state is
  // loaded (the moment from which nothing is missed).
  // Also write every event (and the initial state) to `writer`, which must
  // be open; the pipeline closes it at the end (-w FILE).
  void record_to(CaptureRecorder* writer) { recorder_ = writer; }
  // --forward: every event goes to `forwarder` too (never blocking), which
  // gets snapshots of the thread table when it (re)connects.
  void forward_to(remote::Forwarder* forwarder) { forwarder_ = forwarder; }
  // Also hand every event (and the initial state) to `publisher` (the
  // fleet bus's event stream, nats.publish_events), closed at the end. Its
  // errors are its own to count: they never stop the run or a -w file.
  void publish_to(CaptureRecorder* publisher) { publisher_ = publisher; }
  // fleet.correlations: every alert the rules raise is offered to
  // `correlator` with the node of its event (`node_of` its domain) before
  // it is dispatched; the correlation alerts it raises are dispatched (and
  // counted) after it. Set before run(); both must outlive the pipeline.
  void correlate_with(FleetCorrelator* correlator, std::function<std::string(uint32_t domain)> node_of) {
    correlator_ = correlator && !correlator->empty() ? correlator : nullptr;
    node_of_ = std::move(node_of);
  }
  // Rule-triggered captures (Falco's `capture:` section): the matches that
  // ask for one start or extend it, and every event is offered to it. The
  // open capture is finished when the run ends. Set before run().
  void capture_on_match(TriggeredCapture* capture) { triggered_ = capture; }

  // Calls `fn` about every `interval` with the running summary (sources,
  // outputs and state filled in), on the engine thread: periodic metrics and
  // the event-drop alarm. Set before run().
  void on_tick(std::chrono::milliseconds interval, std::function<void(const PipelineSummary&)> fn) {
    tick_interval_ = interval;
    on_tick_ = std::move(fn);
  }
  // Calls `fn` at every checkpoint of event time (EventSecondClock: about
  // once a second of the events' own timestamps, syscall events only),
  // on the engine thread, before the event at the checkpoint is handled,
  // with that event's timestamp and the running summary (sources filled
  // in): the drop alarm of a replay. `fn` returns false to stop at once
  // (that event and the rest are not handled). Set before run().
  void on_event_second(std::function<bool(uint64_t ts_ns, const PipelineSummary&)> fn) {
    on_event_second_ = std::move(fn);
  }
  // Evaluate events with `rules` from the next event on (SIGHUP reload).
  // Call on the engine thread, e.g. from the on_tick callback.
  // `worker_rules`: the new engines of workers 1..N-1 (as use_workers).
  void replace_rules(engine::eval::RuleEngine& rules, std::vector<engine::eval::RuleEngine*> worker_rules = {});
  // Events of multiplexer source `source_id` (a plugin's) are evaluated by
  // `rules` — the engine for that plugin's event source — and skip the
  // thread/fd state. nullptr: back to the default engine. Same thread
  // rules as replace_rules.
  void route_source(uint16_t source_id, engine::eval::RuleEngine* rules) {
    if (routes_.size() <= source_id) routes_.resize(source_id + 1u, nullptr);
    routes_[source_id] = rules;
  }

  // A replayed capture's plugin events (KE_PLUGINEVENT records from a
  // non-plugin source, -e) whose plugin_id is `plugin_id` are evaluated by
  // `rules`, the engine of that plugin's event source; plugin events of a
  // plugin not routed are not evaluated (syscall rules never apply to
  // them). Same thread rules as replace_rules.
  void route_plugin_id(uint32_t plugin_id, engine::eval::RuleEngine* rules) { plugin_id_routes_[plugin_id] = rules; }

  // Every event goes to the plugins that parse it (plugin API parse_event)
  // before the rules read it; nullptr or empty: none. Set before run().
  void parse_with(plugin::PluginEventParsing* parsing) {
    parsing_ = parsing && !parsing->empty() ? parsing : nullptr;
  }

  Result<PipelineSummary> run(const std::atomic<bool>& stop,
                              std::optional<std::chrono::milliseconds> max_duration = std::nullopt,
                              const std::function<void()>& on_started = {});

 private:
  void use_domain_users(engine::eval::RuleEngine& rules);
  void handle(const Event& ev, std::vector<engine::Alert>& alerts, PipelineSummary& summary);
  // handle() with workers: routes the event, applies or evaluates this
  // worker's part.
  void handle_routed(const Event& ev, std::vector<engine::Alert>& alerts, PipelineSummary& summary);
  // The event to everyone who takes every event: rule captures, --forward,
  // the fleet publisher, -w.
  void pass_on(const Event& ev, const std::vector<engine::Alert>& alerts, PipelineSummary& summary);
  // Alerts of an event of `domain` to the correlator, the counts, the outputs.
  void submit(DomainId domain, std::vector<engine::Alert>& alerts, PipelineSummary& summary);
  // The other workers' alerts raised so far, submitted.
  // The alerts the other workers raised so far; `all`: hands them every
  // routed event first, else only what is due (EngineWorkers::hand_over).
  void submit_workers_alerts(PipelineSummary& summary, bool all);
  // Why the configured workers cannot run (empty: they can).
  std::string workers_blocked_by() const;
  void configure_engine(engine::eval::RuleEngine& rules);
  // The summary's running counters (sources, correlations, outputs, state), for a tick and the end.
  void fill_counters(PipelineSummary& summary) const;

  // EventPrejudge (see the class comment).
  const EventTypeSet& judged_types() const override { return judged_types_; }
  int fd_param(uint16_t type) const override;
  bool pass_over(uint16_t type, int64_t tid, int64_t fd, uint64_t ts_ns) override;
  bool may_pass_over(uint16_t type, int64_t tid, int64_t fd) const override;
  // Before the multiplexer starts: reads the one replay source on this
  // thread with the pipeline as its judge, when nothing else needs every
  // event.
  void prejudge_if_possible();

  struct VerdictKey {
    uint16_t type;
    int64_t tid;
    int64_t fd;
    bool operator==(const VerdictKey&) const = default;
  };
  struct VerdictKeyHash {
    size_t operator()(const VerdictKey& k) const {
      return std::hash<int64_t>()(k.tid * 1000003 ^ k.fd * 131 ^ k.type);
    }
  };
  bool judging_ = false;
  EventTypeSet judged_types_;
  // Bumped by every handled record that may change the state tables: a
  // verdict holds while the epoch it was taken at is current.
  uint64_t state_epoch_ = 0;
  std::unordered_map<VerdictKey, uint64_t, VerdictKeyHash> verdicts_;  // no match, at that epoch
  PipelineSummary* running_ = nullptr;  // run()'s summary, for pass_over()
  // pass_over()'s last answers by key (a slot per key hash, the last one
  // in it kept): the key and the epoch it held at (UINT64_MAX: none).
  struct PassedKey {
    VerdictKey key{0, -1, -1};
    uint64_t epoch = UINT64_MAX;
  };
  std::array<PassedKey, 4> recently_passed_{};
  static size_t passed_slot(const VerdictKey& k) {
    return static_cast<size_t>(k.tid ^ (k.fd << 1) ^ k.type) & 3;
  }
  // The thread pass_over() last marked most recently used (-1 once a
  // handled record marked another).
  int64_t last_touched_tid_ = -1;

  Multiplexer& mux_;
  ThreadTable& table_;
  StateUpdater updater_;
  engine::eval::RuleEngine* rules_;
  std::vector<engine::eval::RuleEngine*> routes_;  // by source id; null: rules_
  std::map<uint32_t, engine::eval::RuleEngine*> plugin_id_routes_;  // replayed plugin events
  plugin::PluginEventParsing* parsing_ = nullptr;
  engine::AlertDispatcher& outputs_;
  CaptureRecorder* recorder_ = nullptr;
  remote::Forwarder* forwarder_ = nullptr;
  CaptureRecorder* publisher_ = nullptr;
  TriggeredCapture* triggered_ = nullptr;
  FleetCorrelator* correlator_ = nullptr;
  std::function<std::string(uint32_t)> node_of_;
  std::vector<engine::Alert> correlated_;  // raised by correlator_ for the event being handled
  std::chrono::milliseconds tick_interval_{1000};
  std::function<void(const PipelineSummary&)> on_tick_;
  std::function<bool(uint64_t, const PipelineSummary&)> on_event_second_;
  EventSecondClock event_clock_;
  std::vector<engine::eval::RuleEngine*> worker_rules_;  // workers 1..N-1
  std::unique_ptr<EngineWorkers> workers_;               // while run() uses them
  std::string workers_note_;
  std::vector<engine::Alert> worker_alerts_;
};

// Falco-style end-of-run summary: events, alerts by priority and by rule,
// per-source counters and drops.
// --stats: each source's own counters (SourceStats::counters), one a line,
// then the state tables' sizes and memory by table (engine.memory_limit_mb).
void print_source_counters(std::ostream& out, const PipelineSummary& s);
void print_summary(std::ostream& out, const PipelineSummary& s);

}  // namespace kestrel
