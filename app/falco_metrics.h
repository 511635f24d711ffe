// falco_metrics.h — Kestrel's figures under the Prometheus names Falco
// publishes (falcosecurity_*), so Falco's Grafana dashboard and alerting
// rules work unchanged. Only what Kestrel measures the same way is
// published; Kestrel-only figures keep their kestrel_* names (metrics.h).
//
// Names, types and labels are Falco's (falco.org/docs/concepts/metrics):
//   falcosecurity_falco_version_info{version}                       gauge 1
//   falcosecurity_scap_engine_name_info{engine_name,evt_source}     gauge 1
//     engine_name as libscap names its engines: ebpf → modern_bpf,
//     kmod → kmod, gvisor → gvisor, a replay → savefile, a plugin → source_plugin
//   falcosecurity_falco_evt_source_info{evt_source}                 gauge 1
//   falcosecurity_evt_hostname_info{hostname}                       gauge 1
//   falcosecurity_falco_kernel_release_info{kernel_release}         gauge 1
//   falcosecurity_falco_start_timestamp_nanoseconds                 gauge
//   falcosecurity_falco_host_boot_timestamp_nanoseconds             gauge
//   falcosecurity_falco_host_num_cpus_total                         gauge
//   falcosecurity_falco_duration_seconds_total                      counter
//   falcosecurity_falco_n_evts_total           events the engine processed
//   falcosecurity_falco_outputs_queue_num_drops_total  alerts lost because
//     an output queue was full (Kestrel: every sink's queue_full)
//   falcosecurity_falco_rules_matches_total{priority,rule_name,source,tags,
//     tag_<tag>}: priority as Falco's number (Emergency 0 … Debug 7), tags
//     sorted and joined with ", " (Falco 0.39) and one tag_<tag>="true" per
//     tag (later Falco), tag names made label-safe
//   falcosecurity_falco_cpu_usage_ratio        CPU time / wall time since start
//     (ps's %cpu, as Falco's), of one CPU
//   falcosecurity_falco_memory_rss_bytes, falcosecurity_falco_memory_vsz_bytes,
//   falcosecurity_falco_memory_pss_bytes
//   falcosecurity_falco_host_cpu_usage_ratio, falcosecurity_falco_host_memory_used_bytes,
//   falcosecurity_falco_host_procs_running_total, falcosecurity_falco_host_open_fds_total
//     gauges of the machine, measured as libs does (host_usage.h)
//   falcosecurity_scap_n_evts_total            events the syscall sources
//     delivered (ebpf, kmod, gvisor, replay)
//   falcosecurity_scap_n_drops_total           events those sources lost, every
//     reason (the kernel ring's, our queue's)
//   falcosecurity_scap_n_drops_buffer_total{dir,drop}  the kernel ring's
//     buffer_full drops in Falco's fourteen categories (falco_drop_categories.h);
//     like Falco, no sample for the total. Filled where the source's kernel
//     side knows the type of what it lost (ebpf, kmod); gVisor reports its
//     drops per sandbox without types, so its drops are in no category.
//   falcosecurity_scap_n_drops_cpu_total{cpu}  kernel drops per CPU ring
//   falcosecurity_scap_n_evts_cpu_total{cpu}   events per CPU, where each ring
//     is one CPU's (kmod; ebpf with cpus_for_each_buffer 1), counted as read
//   falcosecurity_scap_n_drops_scratch_map_total  the probe's scratch_unavailable
//   falcosecurity_scap_n_drops_full_threadtable_total  always 0: a full
//     thread table evicts (kestrel_state_evictions_total), it never drops events
//   falcosecurity_scap_n_threads_total, falcosecurity_scap_n_fds_total  gauges
//   falcosecurity_falco_sha256_rules_files_info{file_name,sha256},
//   falcosecurity_falco_sha256_config_files_info{file_name,sha256}  gauge 1 per
//     file read at the last (re)load (file_digests.h)
//   falcosecurity_falco_reload_timestamp_nanoseconds  gauge: that (re)load's time
//   falcosecurity_falco_container_memory_used_bytes  gauge: Kestrel's cgroup's
//     memory (cgroup_memory.h)
//   falcosecurity_scap_<prog>_run_cnt_total, ..._run_time_nanoseconds_total,
//   ..._avg_time_nanoseconds  per eBPF program (libbpf_stats), named as libs
//     names them (falco_metric_names.h) after the kernel's program name
//   falcosecurity_plugins_<plugin>_<metric>_total  a plugin source's
//     monotonic metrics (plugins_metrics)
// Not published (Kestrel does not measure them): per-CPU event counts of
// rings shared by several CPUs, lookup counters, a non-source plugin's metrics, non-monotonic plugin metrics.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "app/metrics.h"
#include "app/prometheus_text.h"

namespace kestrel {

// libscap's engine name for a Kestrel source name ("ebpf" → "modern_bpf").
std::string falco_engine_name(const std::string& source_name);

// Appends the falcosecurity_* families to `w`.
void write_falco_prometheus(const MetricsSnapshot& s, PromWriter& w);

// The snapshot's figures as Falco's metrics output_fields, the one body
// of both Falco renderings below: falco.version, falco.num_evts,
// falco.num_evts_prev, falco.evts_rate_sec, falco.duration_sec,
// falco.start_ts, falco.host_boot_ts, falco.host_num_cpus,
// falco.kernel_release, falco.outputs_queue_num_drops, falco.reload_ts,
// falco.sha256_rules_file.<file>, falco.sha256_config_file.<file> (file
// names sanitized as Falco does), falco.host_netinfo.interfaces.<if>.
// protocols.<ipv4|ipv6>.addresses, scap.engine_name, evt.time,
// evt.hostname, evt.source (always); then per group
// (s.groups, Falco's metrics.*_enabled; a disabled group's keys absent):
//   resource_utilization  falco.cpu_usage_perc, falco.memory_{rss,vsz,pss}_mb,
//     falco.container_memory_used_mb (_bytes without convert_memory_to_mb),
//     falco.host_cpu_usage_perc, falco.host_memory_used_mb,
//     falco.host_procs_running, falco.host_open_fds (memory as *_kb, libs'
//     unit, with convert_memory_to_mb false)
//   state_counters        falco.n_threads, falco.n_fds
//   rules_counters        falco.rules.<name> per rule (spaces as '_'),
//     falco.rules.matches_total
//   kernel_event_counters scap.n_evts, scap.n_evts_prev, scap.evts_rate_sec,
//     scap.n_drops, scap.n_drops_prev, scap.evts_drop_rate_sec, scap.n_drops_perc,
//     scap.n_drops_buffer_total, scap.n_drops_buffer_<drop>_<dir> per
//     category, scap.n_drops_scratch_map
//   kernel_event_counters_per_cpu  scap.n_evts_cpu_<n>, scap.n_drops_cpu_<n>
//   libbpf_stats          scap.<prog>.run_cnt, .run_time_ns, .avg_time_ns
//   plugins_metrics       plugins.<plugin>.<metric>
// A group's figure that is 0 is left out unless include_empty_values
// (never n_evts, n_drops, n_drops_perc, matches_total), as Falco.
// `previous` (may be null) is the last snapshot emitted, for the *_prev
// figures and rates.
using FalcoMetricFields = std::vector<std::pair<std::string, engine::FieldValue>>;
FalcoMetricFields falco_metrics_output_fields(const MetricsSnapshot& s, const MetricsSnapshot* previous);

// Falco's `metrics.output_rule`: those fields as the internal alert Falco
// emits every metrics.interval — rule "Falco internal: metrics snapshot",
// Informational, source internal, output "Falco metrics snapshot".
engine::Alert falco_metrics_snapshot_alert(const MetricsSnapshot& s, const MetricsSnapshot* previous);

// Falco's `metrics.output_file` line (stats_writer): not the alert but
// {"output_fields":{...the same fields...},"sample":N}, N counting the
// snapshots written since start from 1.
std::string falco_metrics_file_line(const MetricsSnapshot& s, const MetricsSnapshot* previous, uint64_t sample);

}  // namespace kestrel
