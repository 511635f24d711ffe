#include "app/metrics.h"

#include "app/cgroup_memory.h"
#include "app/falco_metrics.h"
#include "app/prometheus_text.h"
#include "sources/event/event_table.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kestrel {

ProcessUsage read_process_usage() {
  ProcessUsage u;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long size = 0, resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) == 2) {
      u.rss_bytes = static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
      u.vsz_bytes = static_cast<uint64_t>(size) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
    std::fclose(f);
  }
  // Pss, as Falco reads it; a kernel without smaps_rollup (< 4.14) leaves it 0.
  if (FILE* f = std::fopen("/proc/self/smaps_rollup", "r")) {
    char line[256];
    unsigned long kb = 0;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "Pss: %lu kB", &kb) == 1) {
        u.pss_bytes = static_cast<uint64_t>(kb) * 1024;
        break;
      }
    std::fclose(f);
  }
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    u.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (struct dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++u.open_fds;
    closedir(d);
    if (u.open_fds) --u.open_fds;  // the directory stream itself
  }
  u.container_memory_bytes = read_cgroup_memory();
  return u;
}

MetricsSnapshot make_snapshot(const PipelineSummary& summary, const MetricsSnapshot* previous,
                              std::chrono::steady_clock::time_point started, const ProcessUsage& usage) {
  MetricsSnapshot s;
  s.taken = std::chrono::system_clock::now();
  s.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  s.events = summary.events;
  s.alerts = summary.alerts;
  s.alerts_by_rule = summary.alerts_by_rule;
  s.alerts_by_priority = summary.alerts_by_priority;
  if (summary.correlations) s.correlations = fleet_correlator_counters(*summary.correlations);
  s.exe_digests = summary.exe_digests;
  for (const auto& [key, m] : summary.rule_matches) s.rule_matches.push_back(m);
  s.start_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(s.taken.time_since_epoch()).count() -
      static_cast<int64_t>(s.uptime_seconds * 1e9));
  double dt = previous ? std::chrono::duration<double>(s.taken - previous->taken).count() : s.uptime_seconds;
  auto rate = [&](uint64_t now, uint64_t before) {
    return dt > 0 && now >= before ? static_cast<double>(now - before) / dt : 0.0;
  };
  s.events_per_second = rate(s.events, previous ? previous->events : 0);
  for (const auto& src : summary.sources) {
    SourceMetrics m;
    m.name = src.name;
    m.events = src.stats.events;
    m.drops = src.stats.drops;
    m.drops_per_cpu = src.stats.drops_per_cpu;
    m.buffer_full_by_type = src.stats.buffer_full_by_type;
    m.events_per_cpu = src.stats.events_per_cpu;
    m.counters = src.stats.counters;
    m.plugin_metrics = src.stats.plugin_metrics;
    m.bpf_programs = src.stats.bpf_programs;
    m.failed = !src.error.ok();
    if (m.failed) m.error = src.error.to_string();
    if (src.queue_drops) m.drops["queue_full"] += src.queue_drops;
    if (src.dropped_at_exit) m.drops["dropped_at_exit"] += src.dropped_at_exit;
    uint64_t before = 0;
    if (previous)
      for (const auto& p : previous->sources)
        if (p.name == m.name) before = p.events;
    m.events_per_second = rate(m.events, before);
    s.sources.push_back(std::move(m));
  }
  s.host = read_host_usage();
  s.netinfo = read_host_netinfo();
  s.outputs = summary.outputs;
  s.state = summary.state;
  s.process = usage;
  return s;
}

std::string metrics_log_line(const MetricsSnapshot& s) {
  uint64_t drops = 0;
  for (const auto& src : s.sources)
    for (const auto& [reason, n] : src.drops) drops += n;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "events=%llu (%.0f/s) drops=%llu alerts=%llu output_drops=%llu threads=%llu fds=%llu "
                "evictions=%llu/%llu rss=%.1fMiB cpu=%.2fs",
                static_cast<unsigned long long>(s.events), s.events_per_second,
                static_cast<unsigned long long>(drops), static_cast<unsigned long long>(s.alerts),
                static_cast<unsigned long long>(s.outputs.dropped_total()),
                static_cast<unsigned long long>(s.state.threads), static_cast<unsigned long long>(s.state.fds),
                static_cast<unsigned long long>(s.state.thread_evictions),
                static_cast<unsigned long long>(s.state.fd_evictions),
                static_cast<double>(s.process.rss_bytes) / (1024.0 * 1024.0), s.process.cpu_seconds);
  std::string line = buf;
  for (const auto& src : s.sources)
    if (src.failed) line += " failed_source=" + src.name;
  return line;
}

std::string metrics_json(const MetricsSnapshot& s) {
  nlohmann::json j;
  j["uptime_seconds"] = s.uptime_seconds;
  j["events"] = s.events;
  j["events_per_second"] = s.events_per_second;
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& src : s.sources) {
    // The buffer_full drops by event type name, types with none left out.
    nlohmann::json by_type = nlohmann::json::object();
    for (size_t t = 0; t < src.buffer_full_by_type.size() && t < KE_COUNT; ++t)
      if (src.buffer_full_by_type[t]) by_type[std::string(event_info(static_cast<uint16_t>(t)).name)] = src.buffer_full_by_type[t];
    sources.push_back({{"name", src.name}, {"events", src.events}, {"events_per_second", src.events_per_second},
                       {"drops", src.drops}, {"drops_per_cpu", src.drops_per_cpu},
                       {"buffer_full_by_type", std::move(by_type)}, {"counters", src.counters},
                       {"failed", src.failed}, {"error", src.error}});
  }
  j["sources"] = std::move(sources);
  j["alerts"] = {{"total", s.alerts}, {"by_rule", s.alerts_by_rule}, {"by_priority", s.alerts_by_priority}};
  nlohmann::json sinks = nlohmann::json::object();
  for (const auto& [name, d] : s.outputs.sinks)
    sinks[name] = {{"offered", d.offered},
                   {"delivered", d.delivered},
                   {"queued", d.queued},
                   {"drops", d.lost_by_reason()},
                   {"counters", d.counters}};
  j["outputs"] = {{"submitted", s.outputs.submitted},
                  {"dropped_rate_limited", s.outputs.dropped_rate_limited},
                  {"dropped_total", s.outputs.dropped_total()},
                  {"sinks", std::move(sinks)}};
  nlohmann::json memory_bytes = nlohmann::json::object(), memory_evictions = nlohmann::json::object();
  for (size_t t = 0; t < kMemoryTableCount; ++t) {
    const std::string table(memory_table_name(static_cast<MemoryTable>(t)));
    memory_bytes[table] = s.state.memory.bytes[t];
    memory_evictions[table] = s.state.memory.evictions[t];
  }
  j["state"] = {{"threads", s.state.threads},
                {"processes", s.state.processes},
                {"fds", s.state.fds},
                {"thread_evictions", s.state.thread_evictions},
                {"fd_evictions", s.state.fd_evictions},
                {"memory", {{"limit_bytes", s.state.memory.limit_bytes},
                            {"total_bytes", s.state.memory.total_bytes},
                            {"bytes", std::move(memory_bytes)},
                            {"evictions", std::move(memory_evictions)}}}};
  nlohmann::json digests = nlohmann::json::object();
  for (const auto& [name, n] : exe_digest_counters(s.exe_digests)) digests[name] = n;
  j["exe_digests"] = std::move(digests);
  j["process"] = {{"rss_bytes", s.process.rss_bytes},
                  {"cpu_seconds", s.process.cpu_seconds},
                  {"open_fds", s.process.open_fds}};
  if (!s.containers.empty()) j["containers"] = s.containers;
  if (!s.forward.empty()) j["forward"] = s.forward;
  if (!s.correlations.empty()) j["fleet_correlations"] = s.correlations;
  if (!s.environment.empty()) j["environment"] = s.environment;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string metrics_prometheus(const MetricsSnapshot& s) {
  PromWriter w;
  w.family("kestrel_uptime_seconds", "gauge", "Seconds since the collector started.");
  w.sample("kestrel_uptime_seconds", s.uptime_seconds);
  w.family("kestrel_events_total", "counter", "Events processed, by source.");
  for (const auto& src : s.sources) w.sample("kestrel_events_total", src.events, {{"source", src.name}});
  w.family("kestrel_events_per_second", "gauge", "Event rate over the last metrics interval, by source.");
  for (const auto& src : s.sources) w.sample("kestrel_events_per_second", src.events_per_second, {{"source", src.name}});
  w.family("kestrel_event_drops_total", "counter", "Events lost before the engine, by source and reason.");
  for (const auto& src : s.sources)
    for (const auto& [reason, n] : src.drops)
      w.sample("kestrel_event_drops_total", n, {{"source", src.name}, {"reason", reason}});
  w.family("kestrel_event_drops_per_cpu_total", "counter",
           "Events the kernel side lost, by source, reason and CPU ring.");
  for (const auto& src : s.sources)
    for (const auto& [reason, per_cpu] : src.drops_per_cpu)
      for (size_t cpu = 0; cpu < per_cpu.size(); ++cpu)
        w.sample("kestrel_event_drops_per_cpu_total", per_cpu[cpu],
                 {{"source", src.name}, {"reason", reason}, {"cpu", std::to_string(cpu)}});
  w.family("kestrel_source_counter_total", "counter",
           "A source's own counters, not event drops (e.g. webhook requests accepted / refused by reason).");
  for (const auto& src : s.sources)
    for (const auto& [name, n] : src.counters)
      w.sample("kestrel_source_counter_total", n, {{"source", src.name}, {"counter", name}});
  w.family("kestrel_kernel_filtered_events_total", "counter",
           "Events the kernel side dropped because no loaded rule and no state table needs them "
           "(engine.kernel_filter), by source and event type.");
  for (const auto& src : s.sources)
    for (const auto& [name, n] : src.counters)
      if (name.starts_with("kernel_filtered."))
        w.sample("kestrel_kernel_filtered_events_total", n,
                 {{"source", src.name}, {"evt_type", name.substr(std::string_view("kernel_filtered.").size())}});
  w.family("kestrel_source_failed", "gauge", "1 when the source ended with an error (the other sources go on).");
  for (const auto& src : s.sources) w.sample("kestrel_source_failed", src.failed ? 1 : 0, {{"source", src.name}});
  w.family("kestrel_alerts_total", "counter", "Alerts raised, by rule and priority.");
  // Per-rule counts do not carry the priority; a rule has one priority, so
  // the per-priority family is separate.
  for (const auto& [rule, n] : s.alerts_by_rule) w.sample("kestrel_alerts_total", n, {{"rule", rule}});
  w.family("kestrel_alerts_by_priority_total", "counter", "Alerts raised, by priority.");
  for (const auto& [p, n] : s.alerts_by_priority) w.sample("kestrel_alerts_by_priority_total", n, {{"priority", p}});
  w.family("kestrel_output_alerts_submitted_total", "counter", "Alerts handed to the outputs.");
  w.sample("kestrel_output_alerts_submitted_total", s.outputs.submitted);
  w.family("kestrel_output_delivered_total", "counter", "Alerts a sink delivered, by sink.");
  for (const auto& [sink, d] : s.outputs.sinks) w.sample("kestrel_output_delivered_total", d.delivered, {{"sink", sink}});
  w.family("kestrel_output_drops_total", "counter",
           "Alerts lost on the way out, by sink and reason (sink \"all\": the rate limiter, before any sink).");
  w.sample("kestrel_output_drops_total", s.outputs.dropped_rate_limited, {{"sink", "all"}, {"reason", "rate_limited"}});
  for (const auto& [sink, d] : s.outputs.sinks)
    for (const auto& [reason, n] : d.lost_by_reason())
      w.sample("kestrel_output_drops_total", n, {{"sink", sink}, {"reason", reason}});
  w.family("kestrel_output_errors_total", "counter", "Alerts a sink failed to deliver (write errors), by sink.");
  for (const auto& [sink, d] : s.outputs.sinks) w.sample("kestrel_output_errors_total", d.failed, {{"sink", sink}});
  w.family("kestrel_output_queue_length", "gauge", "Alerts waiting in a sink's queue.");
  for (const auto& [sink, d] : s.outputs.sinks) w.sample("kestrel_output_queue_length", d.queued, {{"sink", sink}});
  w.family("kestrel_output_sink_counter", "gauge", "Each sink's own counters (retries, restarts, ...).");
  for (const auto& [sink, d] : s.outputs.sinks)
    for (const auto& [name, n] : d.counters) w.sample("kestrel_output_sink_counter", n, {{"sink", sink}, {"counter", name}});
  w.family("kestrel_state_threads", "gauge", "Threads in the thread table.");
  w.sample("kestrel_state_threads", s.state.threads);
  w.family("kestrel_state_fds", "gauge", "File descriptors in the fd tables.");
  w.sample("kestrel_state_fds", s.state.fds);
  w.family("kestrel_state_evictions_total", "counter", "Table entries evicted at the configured bounds.");
  w.sample("kestrel_state_evictions_total", s.state.thread_evictions, {{"table", "threads"}});
  w.sample("kestrel_state_evictions_total", s.state.fd_evictions, {{"table", "fds"}});
  // engine.memory_limit_mb (state/memory_budget.h): what each table holds,
  // and what was evicted to keep the total under the limit.
  w.family("kestrel_state_memory_bytes", "gauge", "Approximate bytes the state tables hold, by table.");
  for (size_t t = 0; t < kMemoryTableCount; ++t)
    w.sample("kestrel_state_memory_bytes", s.state.memory.bytes[t],
             {{"table", std::string(memory_table_name(static_cast<MemoryTable>(t)))}});
  w.family("kestrel_state_memory_limit_bytes", "gauge", "engine.memory_limit_mb in bytes (0: no limit).");
  w.sample("kestrel_state_memory_limit_bytes", s.state.memory.limit_bytes);
  w.family("kestrel_state_memory_evictions_total", "counter",
           "Entries evicted to keep the state tables under engine.memory_limit_mb, by table.");
  for (size_t t = 0; t < kMemoryTableCount; ++t)
    w.sample("kestrel_state_memory_evictions_total", s.state.memory.evictions[t],
             {{"table", std::string(memory_table_name(static_cast<MemoryTable>(t)))}});
  w.family("kestrel_exe_digest_total", "counter",
           "proc.exe_sha256: executables hashed and bytes read, answers from the digest cache, answers <NA> by "
           "reason (unreadable, too_large, read_errors, changed, no_identity), identities evicted.");
  for (const auto& [name, n] : exe_digest_counters(s.exe_digests))
    w.sample("kestrel_exe_digest_total", n, {{"counter", name}});
  w.family("kestrel_resident_memory_bytes", "gauge", "Resident set size of the collector.");
  w.sample("kestrel_resident_memory_bytes", s.process.rss_bytes);
  w.family("kestrel_cpu_seconds_total", "counter", "User and system CPU time of the collector.");
  w.sample("kestrel_cpu_seconds_total", s.process.cpu_seconds);
  w.family("kestrel_open_fds", "gauge", "Open file descriptors of the collector.");
  w.sample("kestrel_open_fds", s.process.open_fds);
  // The same figures under Falco's names, for Falco's dashboards.
  write_falco_prometheus(s, w);
  if (!s.containers.empty()) {
    w.family("kestrel_container_metadata", "gauge",
             "Container metadata store: cache hits, synchronous lookups by outcome (lookup_timeouts: the runtime "
             "did not answer in time), evictions, runtime updates.");
    for (const auto& [name, n] : s.containers) w.sample("kestrel_container_metadata", n, {{"counter", name}});
  }
  if (!s.forward.empty()) {
    w.family("kestrel_forward", "gauge",
             "--forward: records produced, sent, dropped (buffer full or lost with a connection: capture never "
             "waits), batches and bytes sent, connections, connect failures, snapshots sent, connected (0/1).");
    for (const auto& [name, n] : s.forward) w.sample("kestrel_forward", n, {{"counter", name}});
  }
  if (!s.correlations.empty()) {
    w.family("kestrel_fleet_correlations", "gauge",
             "fleet.correlations: correlation alerts raised, keys (values of a correlation's key field) tracked now, "
             "evicted by the cap and expired after a window, alerts of a correlated rule without the key's value.");
    for (const auto& [name, n] : s.correlations) w.sample("kestrel_fleet_correlations", n, {{"counter", name}});
  }
  if (!s.environment.empty()) {
    w.family("kestrel_environment_info", "gauge", "Where this Kestrel runs (CPUID, DMI, /sys): always 1.");
    PromLabels labels(s.environment.begin(), s.environment.end());
    w.sample_with("kestrel_environment_info", 1, labels);
  }
  return w.str();
}

}  // namespace kestrel
