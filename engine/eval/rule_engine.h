// rule_engine.h — the evaluation facade: events in, alerts out.
//
// Pipeline position: rule_set (loaded, resolved rules) → compile (this
// constructor: every enabled syscall rule's condition and output) →
// program (per-event-type buckets of compiled rules) → evaluate (process())
// → format (OutputFormat into Alert).
//
// Buckets: a rule goes into the bucket of every Kestrel event type its
// condition can match (LoadedRule::evttypes); a rule with no restriction is
// in every bucket. Inside a bucket rules keep definition order, so
// `rule_matching: first` raises the first matching rule in the order the
// rules files define them, as Falco does; `all` raises every match.
//
// Rules are skipped (and counted in skipped_rules()) when disabled, of
// another source than options.source, or below the minimum priority.
//
// Threading: one engine is used by one thread. process() does not throw
// and, after warm-up, allocates only for the alerts it produces.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/eval/output_format.h"
#include "engine/eval/program.h"
#include "engine/alert.h"
#include "engine/append_output.h"
#include "engine/rule_set.h"
#include "sources/source.h"

namespace kestrel::engine::eval {

enum class RuleMatching { kFirst, kAll };

struct RuleEngineOptions {
  RuleMatching rule_matching = RuleMatching::kFirst;
  // Rules less severe than this are not loaded (Falco's `priority`).
  Priority min_priority = Priority::kDebug;
  std::string hostname;
  std::string source = "syscall";
  // Fills the fields of `source` when it is not "syscall" (a plugin's
  // extractor, field_provider.h); must outlive the engine. Without one,
  // such fields read as missing.
  FieldProvider* field_provider = nullptr;
  // Names and summaries of the plugins behind plugin events (evt.pluginname,
  // evt.plugininfo); must outlive the engine. Without it those read as
  // missing.
  PluginEventInfo* plugin_events = nullptr;
  // Container metadata for container.* / k8s.* (state/containers/); must
  // outlive the engine. Without it only container.id/full_id/type fill.
  ContainerMetadata* containers = nullptr;
  // Which machine each domain is, for vm.* and machine.* (a RemoteSource
  // registers its guests); must outlive the engine. Without it those read
  // as missing.
  const MachineDirectory* machines = nullptr;
  // The fields the rules were loaded against (the app's registry, with its
  // loaded plugins' fields); never null, must outlive the engine.
  const FieldRegistry* fields = &builtin_field_registry();
  // Falco's append_output, applied to each rule as it compiles (an
  // extra_output or extra field naming no field of this source fails the
  // rule as its own output would).
  std::vector<AppendOutput> append_output;
};

struct RuleEngineStats {
  uint64_t events = 0;           // process() calls
  uint64_t rules_evaluated = 0;  // condition evaluations
  uint64_t alerts = 0;
};

struct RuleStats {
  std::string name;
  uint64_t evaluated = 0;
  uint64_t matches = 0;
};

class RuleEngine {
 public:
  // Compiles `rules`. An error names the rule ("rule 'X': …") and the
  // position in its condition or the output token at fault.
  static Result<std::unique_ptr<RuleEngine>> create(const RuleSet& rules, RuleEngineOptions options = {});

  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  // Evaluates the event's bucket against `lookup` (which must already
  // reflect the event: apply state first) and appends one Alert per match
  // to `out`. Returns the number of alerts appended. `event_number` is the
  // event's evt.num, which field providers also get (plugins: the evtnum
  // of extract_fields); the pipeline numbers every event once, so that a
  // plugin's parse_event and extract_fields see the same number for one
  // event. Without it, this engine's own count of events.
  size_t process(const Event& event, const ThreadLookup& lookup, std::vector<Alert>& out,
                 std::optional<uint64_t> event_number = std::nullopt);

  // user.name / group.name from a replayed capture's user list instead of
  // this host's (UserNames::use_capture_users).
  void use_capture_users(const CaptureUsers& users) { env_.users.use_capture_users(users); }
  // user.name / group.name inside a sandbox: its own users, from `resolver`
  // (the sources' Source::domain_users). Without one, sandbox names are
  // missing.
  void set_domain_users(UserNames::DomainUsersResolver resolver) { env_.users.set_domain_resolver(std::move(resolver)); }
  // The host's user/group name cache counts against `budget` (the state
  // tables' engine.memory_limit_mb; UserNames::set_budget).
  void set_memory_budget(MemoryBudget* budget) { env_.users.set_budget(budget); }
  // Whether host events come from live sources only, so host facts may be
  // read from this machine's /proc (ExtractEnvironment::live_host).
  void set_live_host(bool live) { env_.live_host = live; }
  // The counters of the executable hashes and pid-namespace starts this
  // engine looked up (proc.exe_sha256, proc.pidns_init_start_ts).
  const ExeDigestStats& exe_digest_stats() const { return env_.exe_digests.stats(); }
  const PidNamespaceStats& pidns_stats() const { return env_.pidns_starts.stats(); }

  // The event types some compiled rule can match (for selective capture).
  EventTypeSet required_event_types() const;
  // Of those, the types some rule can match on an enter record (evt.dir
  // '>', replayed .scap captures only): a rule whose condition is false on
  // every enter (`evt.dir=<`) asks for none (engine/evtdir_index.h).
  EventTypeSet required_enter_types() const;
  // The types on whose exit records every rule of the bucket reads only
  // the thread/fd state (engine/state_only_index.h): there the answer for
  // one (type, thread, fd number) holds while the state tables do not
  // change. A type no rule can match is in the set too.
  const EventTypeSet& state_determined_types() const { return state_determined_; }
  // Counts an exit record of a state-determined type as evaluated with no
  // match, as process() would have counted it (the pipeline answered it
  // from an earlier identical evaluation).
  void count_unmatched(uint16_t type);

  size_t rule_count() const { return rules_.size(); }
  size_t skipped_rules() const { return skipped_; }
  const RuleEngineStats& stats() const { return stats_; }
  std::vector<RuleStats> rule_stats() const;
  // Distinct field operands across conditions and outputs.
  size_t field_slots() const { return cache_.size(); }
  uint64_t extractions() const { return cache_.extractions(); }

 private:
  RuleEngine(RuleEngineOptions options);

  struct CompiledRule {
    std::string name;
    Priority priority = Priority::kDebug;
    std::vector<std::string> tags;
    bool capture = false;
    uint64_t capture_duration_ms = 0;
    PredicatePtr condition;
    OutputFormat output;
    struct ExtraField {
      std::string name;
      OutputFormat format;
      bool raw = false;  // a field's typed value, not rendered text
    };
    std::vector<ExtraField> extra_fields;  // append_output's, JSON only
    uint64_t evaluated = 0;
    uint64_t matches = 0;
  };

  RuleEngineOptions options_;
  ExtractEnvironment env_;
  ExtractContext ctx_;
  FieldCache cache_;
  std::vector<CompiledRule> rules_;
  std::vector<std::vector<uint32_t>> buckets_;  // by event type: rule indices
  EventTypeSet required_;
  EventTypeSet enters_required_;
  EventTypeSet state_determined_ = EventTypeSet().set();
  RuleEngineStats stats_;
  size_t skipped_ = 0;
};

}  // namespace kestrel::engine::eval
