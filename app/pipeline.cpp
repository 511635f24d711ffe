#include "app/pipeline.h"

#include <algorithm>
#include <ostream>

#include "engine/eval/extract.h"

namespace kestrel {

Pipeline::Pipeline(Multiplexer& mux, ThreadTable& table, engine::eval::RuleEngine& rules, engine::AlertDispatcher& outputs)
    : mux_(mux), table_(table), updater_(table), rules_(&rules), outputs_(outputs) {
  // An event from a process no clone/exec introduced (runsc exec in a
  // sandbox): the source that sent it may still know who it is.
  updater_.set_resolver([this](DomainId domain, int64_t pid) { return mux_.describe_process(domain, pid); });
  use_domain_users(rules);
}

void Pipeline::use_domain_users(engine::eval::RuleEngine& rules) {
  // user.name inside a sandbox: the sandbox's own users, which its source
  // reads from its rootfs.
  rules.set_domain_users([this](uint32_t domain) { return mux_.domain_users(domain); });
  // And its user-name cache counts against the state tables' memory budget.
  rules.set_memory_budget(&table_.budget());
}

void Pipeline::configure_engine(engine::eval::RuleEngine& rules) {
  for (const auto& u : mux_.capture_users()) rules.use_capture_users(u);
  use_domain_users(rules);
  // Host facts from this machine's /proc (proc.exe_sha256, pid namespaces)
  // only when no source replays another time's pids.
  rules.set_live_host(mux_.all_live());
}

void Pipeline::replace_rules(engine::eval::RuleEngine& rules, std::vector<engine::eval::RuleEngine*> worker_rules) {
  rules_->set_memory_budget(nullptr);  // the old rules may outlive the table
  for (auto* e : worker_rules_) e->set_memory_budget(nullptr);
  rules_ = &rules;
  judging_ = false;  // the verdicts were the old rules'
  verdicts_.clear();
  configure_engine(rules);
  if (workers_) {
    for (auto* e : worker_rules) configure_engine(*e);
    workers_->replace_rules(worker_rules);  // after the events routed so far
  }
  worker_rules_ = std::move(worker_rules);
}

std::string Pipeline::workers_blocked_by() const {
  if (parsing_) return "plugins parse the events";
  for (auto* r : routes_)
    if (r) return "plugin event sources";
  if (!plugin_id_routes_.empty()) return "plugin events are routed";
  if (triggered_) return "rule captures (capture.enabled) record the events around a match";
  if (correlator_) return "fleet.correlations see every alert in event order";
  return "";
}

namespace {

// The plugin id of the event source an async event went to (0: syscall).
uint32_t async_target(const Event& ev) {
  return static_cast<uint32_t>(ev.view.param_int(KP_ASYNCEVENT_plugin_id).value_or(0));
}

}  // namespace

int Pipeline::fd_param(uint16_t type) const {
  if (type >= KE_COUNT || !judged_types_.test(type)) return -1;
  return engine::eval::param_roles(type).fd;
}

void Pipeline::prejudge_if_possible() {
  if (recorder_ || triggered_ || parsing_ || !plugin_id_routes_.empty()) return;
  for (auto* r : routes_)
    if (r) return;
  // Exit types whose records change no state (apply() only makes the
  // thread known), whose fd the rules read from the event's fd param
  // (no open-family path standing in for a missing fd), and whose rules
  // read only thread/fd state.
  judged_types_.reset();
  // Only types some rule reads: the others' exits are not delivered at
  // all (the capture request leaves them out), and reading on this thread
  // would only give up the reader thread.
  const EventTypeSet by_rules = rules_->state_determined_types() & rules_->required_event_types();
  for (uint16_t t = 0; t < KE_COUNT; ++t) {
    if (t == KE_SYSCALL || !by_rules.test(t) || StateUpdater::changes_state(t)) continue;
    const EventInfo& info = event_info(t);
    if (!info.is_syscall()) continue;
    const auto& roles = engine::eval::param_roles(t);
    if (roles.fd < 0 || roles.path >= 0 || info.params[static_cast<size_t>(roles.fd)].type != KPT_FD) continue;
    judged_types_.set(t);
  }
  if (judged_types_.none()) return;
  judging_ = mux_.read_directly(this);
}

bool Pipeline::may_pass_over(uint16_t type, int64_t tid, int64_t fd) const {
  // A verdict of an earlier epoch stays void: the records before this
  // event can only move the epoch on.
  if (!judging_) return false;
  auto it = verdicts_.find(VerdictKey{type, tid, fd});
  return it != verdicts_.end() && it->second == state_epoch_;
}

bool Pipeline::pass_over(uint16_t type, int64_t tid, int64_t fd, uint64_t ts_ns) {
  if (!judging_ || running_ == nullptr) return false;
  const VerdictKey key{type, tid, fd};
  // A key recently passed over, at the same epoch, holds: a few threads
  // take turns (a pipe's writer and reader), and the map's lookup (a
  // division by its bucket count) was a tenth of this call.
  PassedKey& recent = recently_passed_[passed_slot(key)];
  if (recent.epoch != state_epoch_ || !(recent.key == key)) {
    auto it = verdicts_.find(key);
    if (it == verdicts_.end() || it->second != state_epoch_) return false;
  }
  // A checkpoint of event time is handled in run(), with the event.
  if (on_event_second_ && event_clock_.would_pass(ts_ns)) return false;
  // What handle() would have done with it, the rules answering no: the
  // state's count and the thread's recency, the event's number, the rules'
  // counts, the clock.
  if (!updater_.apply_unchanged(kHostDomain, tid, last_touched_tid_ == tid)) return false;
  last_touched_tid_ = tid;
  recent = PassedKey{key, state_epoch_};
  if (on_event_second_) event_clock_.passed(ts_ns);
  ++running_->events;
  rules_->count_unmatched(type);
  return true;
}

void Pipeline::handle(const Event& ev, std::vector<engine::Alert>& alerts, PipelineSummary& summary) {
  ++summary.events;
  alerts.clear();
  const uint16_t type = ev.view.type();
  // For the judge: whether this record may change the state tables (then
  // every verdict taken before is void), and whether it can give one.
  bool verdict_possible = false;
  if (judging_) {
    last_touched_tid_ = -1;  // apply() below marks this record's thread
    const bool only_thread = ev.enter ? ev.view.info().is_syscall() : !StateUpdater::changes_state(type);
    // get(), not find(): find() counts a lookup the run without a judge
    // would not; the recency get() marks, apply() marks again just after.
    const bool known = table_.get(ev.domain, ev.view.tid()) != nullptr;
    if (!only_thread || !known) ++state_epoch_;
    verdict_possible = only_thread && known && !ev.enter && ev.domain == kHostDomain && judged_types_.test(type);
  }
  // Plugins parse an event after Kestrel's own state took it and before
  // any rule reads it (Falco's order); close and procexit, whose rules run
  // before the state forgets, are parsed before the rules too.
  // summary.events numbers the event for everyone: the plugins' parse_event
  // and, through the engine, evt.num and extract_fields (one evtnum).
  auto parse = [&] {
    if (parsing_) parsing_->parse(ev, summary.events);
  };
  if (ev.source_id < routes_.size() && routes_[ev.source_id]) {
    // A plugin's events: its own source's rules, no thread state.
    parse();
    routes_[ev.source_id]->process(ev, table_, alerts, summary.events);
  } else if (type == KE_ASYNCEVENT && async_target(ev) != 0) {
    // An async event a plugin sent into a plugin source's stream (live, or
    // replayed from a capture): that source's rules, when it is loaded.
    parse();
    if (auto it = plugin_id_routes_.find(async_target(ev)); it != plugin_id_routes_.end() && it->second)
      it->second->process(ev, table_, alerts, summary.events);
  } else if (type == KE_PLUGINEVENT) {
    parse();
    // A plugin event no plugin source claims (replayed from a capture):
    // the rules of its plugin's source when that plugin is loaded; syscall
    // rules never apply to another source's events.
    auto id = ev.view.param_int(KP_PLUGINEVENT_plugin_id);
    if (auto it = plugin_id_routes_.find(static_cast<uint32_t>(id.value_or(0))); id && it != plugin_id_routes_.end() && it->second)
      it->second->process(ev, table_, alerts, summary.events);
  } else {
    update_and_evaluate(ev, updater_, table_, *rules_, alerts, summary.events, parse);
  }
  pass_on(ev, alerts, summary);
  if (verdict_possible) {
    if (auto fd = ev.view.param_int(static_cast<uint16_t>(engine::eval::param_roles(type).fd))) {
      const VerdictKey key{type, ev.view.tid(), *fd};
      if (alerts.empty()) verdicts_[key] = state_epoch_;
      else {
        verdicts_.erase(key);
        recently_passed_.fill(PassedKey{});
      }
    }
  }
  if (!alerts.empty()) submit(ev.domain, alerts, summary);  // (nearly every event raises none)
}

void Pipeline::handle_routed(const Event& ev, std::vector<engine::Alert>& alerts, PipelineSummary& summary) {
  ++summary.events;
  alerts.clear();
  const uint16_t type = ev.view.type();
  // Plugin events (replayed): no routes with workers, so no rules read them.
  if (type != KE_PLUGINEVENT && !(type == KE_ASYNCEVENT && async_target(ev) != 0)) {
    if (workers_->route(ev, summary.events) == 0)
      update_and_evaluate(ev, updater_, table_, *rules_, alerts, summary.events, [] {});
    else
      workers_->apply_on_worker0(ev);
    workers_->routed(ev);
  }
  pass_on(ev, alerts, summary);
  if (!alerts.empty()) submit(ev.domain, alerts, summary);  // (nearly every event raises none)
}

void Pipeline::submit_workers_alerts(PipelineSummary& summary, bool all) {
  if (all) workers_->flush();
  else workers_->hand_over();
  worker_alerts_.clear();
  workers_->collect(worker_alerts_);
  // (No correlator with workers: the domain is not needed.)
  if (!worker_alerts_.empty()) submit(kHostDomain, worker_alerts_, summary);
}

void Pipeline::pass_on(const Event& ev, const std::vector<engine::Alert>& alerts, PipelineSummary& summary) {
  if (triggered_) {
    for (const auto& alert : alerts)
      if (triggered_->wanted(alert.capture))
        triggered_->trigger(ev.view.ts(), summary.events, alert.capture_duration_ms, [&] { return table_.snapshot(); });
    triggered_->on_event(ev.view.bytes(), ev.domain, ev.enter, ev.view.ts());
  }
  if (forwarder_) forwarder_->append(ev.view.bytes(), ev.domain);
  if (publisher_) (void)publisher_->append(ev.view.bytes(), ev.domain, ev.enter);
  if (recorder_ && summary.recording.ok()) {
    summary.recording = recorder_->append(ev.view.bytes(), ev.domain, ev.enter);
    if (summary.recording.ok()) ++summary.recorded;
  }
}

void Pipeline::submit(DomainId domain, std::vector<engine::Alert>& alerts, PipelineSummary& summary) {
  if (correlator_ && !alerts.empty()) {
    correlated_.clear();
    const std::string node = node_of_(domain);
    for (const auto& alert : alerts) correlator_->offer(alert, node, correlated_);
    for (auto& alert : correlated_) alerts.push_back(std::move(alert));
  }
  for (auto& alert : alerts) {
    ++summary.alerts;
    ++summary.alerts_by_rule[alert.rule];
    ++summary.alerts_by_priority[std::string(engine::priority_name(alert.priority))];
    auto [it, added] = summary.rule_matches.try_emplace({alert.source, alert.rule});
    if (added) it->second = {alert.rule, alert.source, alert.priority, alert.tags, 0};
    ++it->second.matches;
    outputs_.submit(std::move(alert));
  }
}

Result<PipelineSummary> Pipeline::run(const std::atomic<bool>& stop,
                                      std::optional<std::chrono::milliseconds> max_duration,
                                      const std::function<void()>& on_started) {
  workers_note_ = worker_rules_.empty() ? "" : workers_blocked_by();
  const bool parallel = !worker_rules_.empty() && workers_note_.empty();
  // The judge answers for the one table; workers hold several. A replay
  // that can be read on this thread is, with no judge: N workers, N threads.
  if (!parallel) prejudge_if_possible();
  else (void)mux_.read_directly(nullptr);
  if (Status s = mux_.start(); !s.ok()) return s;
  for (auto [source_id, threads] : mux_.initial_states()) {
    (void)source_id;
    table_.load(std::move(threads));
  }
  // A replay's user names are the recording machine's.
  for (const auto& u : mux_.capture_users()) rules_->use_capture_users(u);
  // Host facts from this machine's /proc (proc.exe_sha256, pid namespaces)
  // only when no source replays another time's pids.
  rules_->set_live_host(mux_.all_live());
  PipelineSummary summary;
  running_ = &summary;
  if (recorder_) summary.recording = recorder_->begin(table_.snapshot());
  if (publisher_) (void)publisher_->begin(table_.snapshot());
  if (parallel) {
    for (auto* e : worker_rules_) configure_engine(*e);
    workers_ = std::make_unique<EngineWorkers>(
        worker_rules_, table_, updater_,
        [this](DomainId domain, int64_t pid) { return mux_.describe_process(domain, pid); });
    summary.workers = workers_->count();
  }
  if (on_started) on_started();
  if (workers_) workers_->start();
  const auto deadline = max_duration ? std::optional(std::chrono::steady_clock::now() + *max_duration) : std::nullopt;
  EventBatch batch;
  std::vector<engine::Alert> alerts;
  auto next_tick = std::chrono::steady_clock::now() + tick_interval_;
  for (;;) {
    if (!summary.interrupted &&
        (stop.load(std::memory_order_relaxed) || (deadline && std::chrono::steady_clock::now() >= *deadline))) {
      // A stop (signal or -M) ends the reading; what the readers already
      // took from the sources is still evaluated by this loop (bounded by
      // the queues' size), not counted as dropped at exit.
      summary.interrupted = true;
      mux_.stop_reading();
    }
    auto outcome = mux_.next(batch, std::chrono::milliseconds(summary.interrupted ? 0 : 100));
    if (!outcome.ok()) return outcome.status();
    if (forwarder_) forwarder_->poll([&] { return table_.snapshot(); });
    if (*outcome == NextOutcome::kEof) break;
    // (After stop_reading() every reader has ended, so an empty queue is
    // kEof; an idle answer would only repeat.)
    if (summary.interrupted && *outcome == NextOutcome::kIdle) break;
    bool stop_now = false;
    for (const auto& ev : batch.events) {
      if (on_event_second_ && ev.view.type() != KE_PLUGINEVENT && event_clock_.passed(ev.view.ts())) {
        summary.sources = mux_.reports();
        if (!on_event_second_(ev.view.ts(), summary)) {
          stop_now = true;
          break;
        }
      }
      if (workers_) handle_routed(ev, alerts, summary);
      else handle(ev, alerts, summary);
    }
    if (workers_) submit_workers_alerts(summary, false);
    if (stop_now) break;
    if (on_tick_ && std::chrono::steady_clock::now() >= next_tick) {
      fill_counters(summary);
      on_tick_(summary);
      next_tick = std::chrono::steady_clock::now() + tick_interval_;
    }
  }
  mux_.stop();
  if (workers_) {
    // What the workers still hold is handled: the events were taken from
    // the sources.
    workers_->stop();
    submit_workers_alerts(summary, true);
  }
  outputs_.stop();
  if (triggered_) triggered_->finish();
  if (publisher_) (void)publisher_->close();
  if (recorder_) {
    Status closed = recorder_->close();
    if (summary.recording.ok()) summary.recording = closed;
    summary.not_recorded = recorder_->not_written();
  }
  fill_counters(summary);
  return summary;
}

void Pipeline::fill_counters(PipelineSummary& summary) const {
  summary.sources = mux_.reports();
  if (correlator_) summary.correlations = correlator_->stats();
  summary.outputs = outputs_.stats();
  summary.state = table_.stats();
  if (workers_) {
    // Every replica holds the same state: sizes and evictions are worker
    // 0's; the lookups are each worker's own; the budget holds them all.
    const ThreadTableStats r = workers_->replica_lookups();
    summary.state.lookups += r.lookups;
    summary.state.lookup_misses += r.lookup_misses;
    summary.state.fd_lookups += r.fd_lookups;
    summary.state.fd_lookup_misses += r.fd_lookup_misses;
  }
  summary.exe_digests = rules_->exe_digest_stats();
  if (workers_) summary.exe_digests += workers_->replica_exe_digests();
}

void print_source_counters(std::ostream& out, const PipelineSummary& s) {
  for (const auto& src : s.sources) {
    out << "Source " << src.name << " counters:";
    if (src.stats.counters.empty()) out << " none";
    out << "\n";
    for (const auto& [name, n] : src.stats.counters) out << "   " << name << ": " << n << "\n";
  }
  // The state tables against engine.memory_limit_mb (state/memory_budget.h).
  const MemoryBudgetStats& m = s.state.memory;
  out << "State: " << s.state.threads << " threads, " << s.state.fds << " fds; evicted " << s.state.thread_evictions
      << " threads, " << s.state.fd_evictions << " fds\n";
  out << "State memory: " << m.total_bytes << " bytes accounted, limit " << m.limit_bytes << "\n";
  for (size_t t = 0; t < kMemoryTableCount; ++t)
    out << "   " << memory_table_name(static_cast<MemoryTable>(t)) << ": " << m.bytes[t] << " bytes, "
        << m.evictions[t] << " evicted for the limit\n";
  out << "Executable digests (proc.exe_sha256):";
  for (const auto& [name, n] : exe_digest_counters(s.exe_digests)) out << " " << name << " " << n;
  out << "\n";
  if (const auto& c = s.correlations) {
    out << "Fleet correlations:\n";
    for (const auto& [name, n] : fleet_correlator_counters(*c)) out << "   " << name << ": " << n << "\n";
  }
}

void print_summary(std::ostream& out, const PipelineSummary& s) {
  out << "Events processed: " << s.events << "\n";
  out << "Alerts: " << s.alerts << "\n";
  if (!s.alerts_by_priority.empty()) {
    out << "Alerts by priority:\n";
    for (const auto& [p, n] : s.alerts_by_priority) out << "   " << p << ": " << n << "\n";
    out << "Alerts by rule:\n";
    for (const auto& [r, n] : s.alerts_by_rule) out << "   " << r << ": " << n << "\n";
  }
  for (const auto& src : s.sources) {
    out << "Source " << src.name << ": " << src.stats.events << " events";
    for (const auto& [reason, n] : src.stats.drops) {
      if (!n) continue;
      out << ", dropped " << n << " (" << reason;
      if (auto it = src.stats.drops_per_cpu.find(reason); it != src.stats.drops_per_cpu.end()) {
        out << ": by cpu";
        for (size_t cpu = 0; cpu < it->second.size(); ++cpu)
          if (it->second[cpu]) out << " " << cpu << "=" << it->second[cpu];
      }
      out << ")";
    }
    if (src.queue_drops) out << ", dropped " << src.queue_drops << " (queue_full)";
    if (src.dropped_at_exit) out << ", dropped " << src.dropped_at_exit << " (dropped_at_exit)";
    if (!src.error.ok()) out << ", failed: " << src.error.to_string();
    out << "\n";
    if (std::any_of(src.stats.events_by_type.begin(), src.stats.events_by_type.end(), [](uint64_t n) { return n; })) {
      out << "Source " << src.name << " events by type:";
      for (size_t t = 0; t < src.stats.events_by_type.size() && t < KE_COUNT; ++t)
        if (src.stats.events_by_type[t]) out << " " << event_info(static_cast<uint16_t>(t)).name << "=" << src.stats.events_by_type[t];
      out << "\n";
    }
  }
  if (s.recorded || !s.recording.ok()) {
    out << "Recorded: " << s.recorded << " events";
    if (!s.recording.ok()) out << " (recording failed: " << s.recording.to_string() << ")";
    out << "\n";
  }
  if (!s.not_recorded.empty()) {
    out << "Not recorded (the -w format has no mapping for them):";
    for (const auto& [type, n] : s.not_recorded) out << " " << event_info(type).name << "=" << n;
    out << "\n";
  }
  if (s.outputs.dropped_rate_limited) out << "Alerts dropped by the rate limiter: " << s.outputs.dropped_rate_limited << "\n";
  for (const auto& [sink, d] : s.outputs.sinks) {
    out << "Output " << sink << ": " << d.delivered << " delivered";
    for (const auto& [reason, n] : d.lost_by_reason())
      if (n) out << ", dropped " << n << " (" << reason << ")";
    out << "\n";
  }
}

}  // namespace kestrel
