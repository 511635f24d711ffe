// source.h — the one interface every event source implements.
//
// A Source yields event records (sources/abi/kestrel_event.h) from one place:
// the eBPF probe, the kernel module, a gVisor monitoring socket, a capture
// file, a plugin. It knows nothing about rules. The multiplexer runs several
// sources, each on its own thread, and tags every event with the source it
// came from and its domain.
//
// Lifecycle: construct with the source's own config -> open() -> next()
// until it returns kEof or an error -> close(). stats() may be called from
// any thread at any time after open(). A source is used by one reader
// thread; only stats() must be thread-safe.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sources/event/event.h"
#include "sources/kernel_filter.h"
#include "state/thread_info.h"

namespace kestrel {

// Views in a batch point into memory the source owns; they are valid until
// the next call to next() or close() on that source.
//
// A source that builds its records itself (a .scap replay converting each
// event) may build them in `storage` instead and set records_in_storage:
// the views then point into the batch's own buffer, and the multiplexer
// takes the batch whole, buffers swapped, where it otherwise copies every
// record and parses it again. The source then finds a different (empty)
// buffer in `storage` at its next next().
//
// A consumer that views records on its own thread (the multiplexer's
// engine side) sets consumer_views: such a source may then list its
// records in `records` only, `events` left empty, so the views (an Event
// is several times a small record's size) are built where they are read
// instead of crossing between cores.
struct EventBatch {
  struct Record {
    uint32_t end = 0;  // where the record ends in `storage`; it starts where the previous one ends
    DomainId domain = kHostDomain;
    bool enter = false;  // Event::enter
  };
  std::vector<Event> events;
  std::vector<uint8_t> storage;
  bool records_in_storage = false;
  bool consumer_views = false;  // set by the consumer, kept by clear()
  std::vector<Record> records;
  bool empty() const { return events.empty() && records.empty(); }
  void clear() {
    events.clear();
    storage.clear();
    records.clear();
    records_in_storage = false;
  }
};

struct SourceStats {
  uint64_t events = 0;  // records delivered by next()
  uint64_t bytes = 0;
  // Records lost before they reached us, by reason ("buffer_full",
  // "too_large", "malformed", "sandbox_reported", ...). Never silent.
  std::map<std::string, uint64_t> drops;
  // The same drops per CPU ring, for sources that have them (ebpf, kmod):
  // reason -> one count per ring. Sums equal `drops` for those reasons.
  std::map<std::string, std::vector<uint64_t>> drops_per_cpu;
  // The "buffer_full" drops by event type (index: kestrel_event_type), for
  // sources whose kernel side knows what it could not fit (ebpf, kmod);
  // empty for the others. Feeds Falco's drop categories
  // (app/falco_drop_categories.h).
  std::vector<uint64_t> buffer_full_by_type;
  // Records delivered per CPU, for sources with one ring per CPU (kmod;
  // ebpf with cpus_per_buffer 1); empty for the others.
  std::vector<uint64_t> events_per_cpu;
  // Records delivered by event type (index: kestrel_event_type), for the
  // ring sources (ebpf, kmod); empty for the others. --stats prints them.
  std::vector<uint64_t> events_by_type;
  // Reasons in `drops` whose counts an untrusted peer controls (a gVisor
  // sandbox's own drop claims, packets it malformed, connections refused):
  // reported like every drop, but the drop alarm (app/drop_alarm.h) never
  // acts on them, so a sandbox cannot raise it or stop Kestrel.
  std::set<std::string> untrusted_reasons;
  // A source's own monotonic counters that are not events lost by the
  // collector, by name: e.g. a plugin's metrics (k8saudit's webhook
  // requests accepted / refused by reason — a refused request was answered
  // with an error status, the sender still has it). Not part of drops.
  std::map<std::string, uint64_t> counters;
  // A plugin source's metrics (plugin_get_metrics) by the plugin's metric
  // name, for Falco's plugins.<plugin>.<metric> figures; empty for others.
  std::map<std::string, uint64_t> plugin_metrics;
  // The eBPF source's programs as the kernel accounts them while BPF
  // run-time stats are on (EbpfOptions::bpf_run_time_stats); empty for
  // others. `name` is the kernel's (bpf_prog_info.name, at most 15 chars),
  // as Falco's libbpf stats name them.
  struct BpfProgram {
    std::string name;
    uint64_t run_count = 0;
    uint64_t run_time_ns = 0;
  };
  std::vector<BpfProgram> bpf_programs;
  uint64_t total_drops() const {
    uint64_t n = 0;
    for (const auto& [reason, count] : drops) n += count;
    return n;
  }
};

struct SourceCapabilities {
  std::string name;              // "ebpf", "kmod", "gvisor", "capture", ...
  bool live = false;             // false for replays: time comes from the events
  bool sees_containers = false;  // events from inside containers on the host
  bool sees_sandboxes = false;   // events from inside gVisor sandboxes
  EventTypeSet event_types;      // what it can emit
};

// The optional params of the process block (execve/clone records) a
// consumer reads. A source that can leave them out (the eBPF probe, where
// copying the environment and walking the cgroups costs time on every
// process creation) sends those not asked for empty, as the ABI allows.
struct ProcessParamSet {
  bool env = true;
  bool cwd = true;
  bool cgroups = true;
  // execve's exe_sha256: a gVisor sandbox sends it only when its pod-init
  // config asks sentry/execve for the optional field binary_info, which
  // makes the Sentry read every executable whole (runsc's own proto calls
  // that likely extremely slow), so it is asked for only when a rule reads
  // the digest. Other sources never send it (no cost either way).
  bool exe_sha256 = true;
  bool operator==(const ProcessParamSet&) const = default;
};

// What the consumer asks a source for: the event types (the rules' and the
// state tables') and, within them, the optional process params the rules'
// fields and the state tables read. Defaults: everything.
struct CaptureRequest {
  EventTypeSet event_types = EventTypeSet().set();
  ProcessParamSet process_params;
  // Of `event_types`, those whose enter records (Event::enter: replayed
  // .scap captures hold a syscall's enter and exit) the consumer reads. A
  // source may leave out the enters of the other types: their exits still
  // carry the enters' params. Live sources emit exits only.
  EventTypeSet enter_event_types = EventTypeSet().set();
  // Predicates a kernel-side source checks before it sends an event of a
  // listed type (sources/kernel_filter.h); empty: everything goes up.
  KernelFilterSet kernel_filters;
};

// The users and groups of the machine a capture was recorded on (a .scap
// file's user list): a replay's user.name and group.name come from these,
// not from the host replaying it.
struct CaptureUsers {
  struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string name, home, shell;
  };
  struct Group {
    uint32_t gid = 0;
    std::string name;
  };
  std::vector<User> users;
  std::vector<Group> groups;
};

enum class NextOutcome {
  kBatch,  // `out` holds one or more events
  kIdle,   // nothing arrived within the wait; call again
  kEof,    // the source is finished (end of a capture file); stop calling
};

// Answers, for a source read on the consumer's own thread, whether an exit
// record it is about to build would change nothing: match no rule, change
// no state (app/pipeline.h implements it from its earlier evaluations of
// the same (type, thread, fd number), valid while the state tables stay
// unchanged). A source asks only when every record it delivered before has
// been processed: its current batch is empty.
class EventPrejudge {
 public:
  virtual ~EventPrejudge() = default;
  // The exit types it answers for, and the Kestrel param of each that holds
  // the fd number (-1: none, never judged).
  virtual const EventTypeSet& judged_types() const = 0;
  virtual int fd_param(uint16_t type) const = 0;
  // True: the exit record of `type` on host thread `tid` with fd param `fd`
  // at `ts_ns` would match no rule and change no state. It is then counted
  // as processed (event number, rule and state counts, as if handled), and
  // the source passes over it without building it.
  virtual bool pass_over(uint16_t type, int64_t tid, int64_t fd, uint64_t ts_ns) = 0;
  // A hint, cheap and with no effect: whether pass_over() could answer true
  // for this key once the records before it are processed. A source may end
  // its batch before such an event, so that pass_over() can be asked.
  virtual bool may_pass_over(uint16_t type, int64_t tid, int64_t fd) const = 0;
};

class Source {
 public:
  virtual ~Source() = default;

  // Read on the consumer's thread (Multiplexer::read_directly), a source
  // may ask `judge` before building an exit record and pass over the ones
  // it answers for (see EventPrejudge). False: this source does not (the
  // default). Call before open().
  virtual bool prejudge_with(EventPrejudge* judge) {
    (void)judge;
    return false;
  }

  virtual const SourceCapabilities& capabilities() const = 0;

  // Acquires what the source needs (files, sockets, BPF programs). An error
  // says what is missing and what the user can do about it.
  virtual Status open() = 0;

  // Processes that existed before capture started (a /proc scan, a capture
  // file's snapshot, `runsc trace procfs`). Called once after open().
  virtual std::vector<ThreadInfo> initial_state() { return {}; }

  // A capture's own user and group lists (see CaptureUsers); nullopt for
  // sources whose users are this host's. Called once after open().
  virtual std::optional<CaptureUsers> capture_users() const { return std::nullopt; }

  // Limits emission to `types` (the engine's and state tables' needs). A
  // source that cannot filter may ignore it; the engine filters anyway.
  virtual Status set_event_filter(const EventTypeSet& types) {
    (void)types;
    return ok_status();
  }

  // The whole capture request: event types as set_event_filter(), and the
  // optional process params, which a source that can leave them out
  // applies from the next open() (the eBPF probe fixes them at load).
  // Call before open(). The default filters event types only.
  virtual Status set_capture_request(const CaptureRequest& request) { return set_event_filter(request.event_types); }

  // Replaces the in-kernel filters while running (a rules reload): the
  // request's kernel_filters, as set_capture_request() would set them. A
  // source that filters nothing in the kernel ignores them (the default);
  // one that cannot change them now returns an error and the caller must
  // not rely on the new set.
  virtual Status update_kernel_filters(const KernelFilterSet& filters) {
    (void)filters;
    return ok_status();
  }

  // Clears `out` and fills it with the next events, waiting up to `wait`
  // when none are ready. Returns an error only for failures that end the
  // source (malformed single records are counted in stats() and skipped).
  virtual Result<NextOutcome> next(EventBatch& out, std::chrono::milliseconds wait) = 0;

  // The consumer is done with the next `events` events this source
  // delivered (in delivery order): the multiplexer calls it, on the
  // consumer's thread, when it takes the batch after theirs, and at stop()
  // for the last one. A source whose input must outlive processing (the
  // fleet bus's event source acks its messages only then) counts these;
  // the others ignore them. Must be cheap and thread-safe.
  virtual void consumed(uint64_t events) { (void)events; }

  // Thread-safe snapshot of counters.
  virtual SourceStats stats() const = 0;

  // What the source knows of process `pid` of `domain` although it never
  // reported its creation (e.g. a process `runsc exec` started: its points
  // carry its name, cwd and credentials but no clone or exec came first).
  // The state tables ask when an event names an unknown process. Called
  // from the consumer's thread while next() runs on another: must be
  // thread-safe. nullopt: unknown here (the default).
  virtual std::optional<std::vector<ThreadInfo>> describe_process(DomainId domain, int64_t pid) const {
    (void)domain;
    (void)pid;
    return std::nullopt;
  }

  // The users and groups of `domain` by its own /etc/passwd and /etc/group
  // (a gVisor sandbox's, read through its bundle's rootfs), for user.name
  // and group.name there; nullopt: not known here (the default; the host's
  // domain is answered from the host's databases). Called from the
  // consumer's thread: must be thread-safe.
  virtual std::optional<CaptureUsers> domain_users(DomainId domain) const {
    (void)domain;
    return std::nullopt;
  }

  // Called from another thread when capture stops: a next() that may wait
  // without a bound (a capture streamed through a FIFO whose writer went
  // quiet) returns promptly; an error it then returns is not reported as
  // the source's failure. Sources whose next() honours `wait` keep the
  // default. Must be thread-safe.
  virtual void interrupt() {}

  // Releases everything open() acquired. Idempotent.
  virtual void close() = 0;
};

}  // namespace kestrel
