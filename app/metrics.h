// metrics.h — the collector's statistics at one moment, and their three
// renderings: a one-line log summary, a JSON object, Prometheus text.
//
// A MetricsSnapshot is taken on the engine thread from the pipeline's
// running summary (see Pipeline::on_tick) plus process figures from /proc;
// rates (events/s) come from the difference with the previous snapshot.
// Prometheus names are `kestrel_…`; counters end in `_total`. The figures
// Falco also publishes follow under Falco's own names (falco_metrics.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/host_netinfo.h"
#include "app/host_usage.h"
#include "app/pipeline.h"

namespace kestrel {

struct ProcessUsage {
  uint64_t rss_bytes = 0;
  uint64_t vsz_bytes = 0;
  uint64_t pss_bytes = 0;  // /proc/self/smaps_rollup's Pss (0 where the kernel has none)
  double cpu_seconds = 0;  // user + system since start
  uint64_t open_fds = 0;
  // Memory charged to Kestrel's own cgroup (cgroup_memory.h); 0 where unreadable.
  uint64_t container_memory_bytes = 0;
};

// This process's RSS and virtual size (from /proc/self/statm), PSS (/proc/self/smaps_rollup),
// CPU time (getrusage), fd count (/proc/self/fd) and its cgroup's memory
// (cgroup_memory.h). Missing files leave fields at 0.
ProcessUsage read_process_usage();

struct SourceMetrics {
  std::string name;
  uint64_t events = 0;
  double events_per_second = 0;
  std::map<std::string, uint64_t> drops;  // by reason, queue_full and dropped_at_exit included
  std::map<std::string, std::vector<uint64_t>> drops_per_cpu;  // kernel drops: reason -> per ring/CPU
  std::vector<uint64_t> buffer_full_by_type;  // SourceStats::buffer_full_by_type
  std::vector<uint64_t> events_per_cpu;       // SourceStats::events_per_cpu
  std::map<std::string, uint64_t> counters;  // the source's own (SourceStats::counters)
  std::map<std::string, uint64_t> plugin_metrics;  // SourceStats::plugin_metrics (name = the plugin's)
  std::vector<SourceStats::BpfProgram> bpf_programs;  // SourceStats::bpf_programs
  // The source ended with an error (a plugin's next_batch failed): it
  // delivers nothing more, the other sources go on.
  bool failed = false;
  std::string error;
};

// Falco's metrics groups (falco.yaml metrics.*): which figures the
// Falco-shaped renderings (falco_metrics.h: the snapshot alert,
// metrics.output_file, the falcosecurity_* Prometheus families) carry. A
// disabled group's keys are absent, as in Falco. Defaults are falco.yaml's.
struct MetricsGroups {
  bool rules_counters = true;        // falco.rules.*, falcosecurity_falco_rules_matches_total
  bool resource_utilization = true;  // process and host CPU, memory, open fds
  bool state_counters = true;        // thread and fd table sizes
  bool kernel_event_counters = true;  // scap.n_evts, scap.n_drops*, their Prometheus families
  bool kernel_event_counters_per_cpu = false;  // drops per CPU ring (turns kernel_event_counters on)
  bool libbpf_stats = true;          // each eBPF program's run count and time (scap.<prog>.run_cnt ...)
  bool plugins_metrics = true;       // the plugins' own metrics (plugins.<plugin>.<metric>)
  bool convert_memory_to_mb = true;  // snapshot memory in MB (*_mb), else as libs reports it (*_kb)
  bool include_empty_values = false;  // snapshot keys whose value is 0 (never n_evts, n_drops, n_drops_perc)
};

struct MetricsSnapshot {
  std::chrono::system_clock::time_point taken;
  MetricsGroups groups;  // set by the collector from metrics.*
  double uptime_seconds = 0;
  uint64_t events = 0;
  double events_per_second = 0;
  std::vector<SourceMetrics> sources;
  std::map<std::string, uint64_t> alerts_by_rule;
  std::map<std::string, uint64_t> alerts_by_priority;
  std::vector<RuleMatches> rule_matches;  // with each rule's source, priority and tags
  uint64_t alerts = 0;
  std::string hostname;  // set by the collector (the alerts' hostname)
  uint64_t rules_loaded = 0;  // set by the collector: enabled rules in use
  uint64_t start_ns = 0;  // wall-clock start of the collector
  // Set by the collector: wall-clock time of the last (re)load of config and
  // rules — the start, then each SIGHUP / watched-file reload that applied.
  uint64_t reload_ns = 0;
  // Set by the collector: (path, SHA-256 hex) of each rules file and each
  // config file loaded (file_digests.h), as of the last (re)load.
  std::vector<std::pair<std::string, std::string>> rules_files_sha256;
  std::vector<std::pair<std::string, std::string>> config_files_sha256;
  // Output path: per sink, what was delivered and lost (by reason), and
  // each sink's own counters.
  engine::DispatcherStats outputs;
  ThreadTableStats state;
  ExeDigestStats exe_digests;  // proc.exe_sha256's hashing, all engines
  ProcessUsage process;
  HostUsage host;  // the machine's CPU, memory, running processes, open files (host_usage.h)
  HostNetinfo netinfo;  // the machine's interface addresses (host_netinfo.h)
  // Container metadata store counters (app/container_setup.h), empty
  // without a store.
  std::map<std::string, uint64_t> containers;
  // --forward: the forwarder's counters (produced, sent, dropped, ...), empty without one.
  std::map<std::string, uint64_t> forward;
  // fleet.correlations' counters (fleet_correlator_counters), empty without any.
  std::map<std::string, uint64_t> correlations;
  // Where this Kestrel runs (machine_environment.h): kind, hypervisor, cloud.
  std::map<std::string, std::string> environment;
};

// Builds a snapshot from the pipeline summary; `previous` (may be null)
// gives the rates. `started` is when the collector started.
MetricsSnapshot make_snapshot(const PipelineSummary& summary, const MetricsSnapshot* previous,
                              std::chrono::steady_clock::time_point started, const ProcessUsage& usage);

// "events=… (…/s) drops=… alerts=… threads=… fds=… rss=…MiB cpu=…s"
std::string metrics_log_line(const MetricsSnapshot& s);
std::string metrics_json(const MetricsSnapshot& s);
// Prometheus text exposition format 0.0.4.
std::string metrics_prometheus(const MetricsSnapshot& s);

}  // namespace kestrel
